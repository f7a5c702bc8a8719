"""Load the exported Weights/*.h5 back into the PyTorch reference (float16 storage upcast to float32),
so evaluation and golden tensors use exactly the committed weights."""
from __future__ import annotations

import json
import os

import h5py
import torch

from . import common
from .models.dit import DiT, DiTConfig
from .models.refenc import ReferenceEncoder, RefEncoderConfig
from .models.vae import VAE, VAEConfig


def read(name: str):
    path = os.path.join(common.WEIGHTS, name)
    if not os.path.exists(path):
        raise SystemExit(f"{path} is missing: run `python3 Weights/recipe/export.py`")
    with h5py.File(path, "r") as h:
        state = {k: torch.from_numpy(h[k][...]).float() for k in h.keys()}
        attrs = {k: h.attrs[k] for k in h.attrs}
    return state, json.loads(attrs["config"]), attrs


def vae():
    s, c, _ = read("nb-mini-vae.h5")
    c["channels"] = tuple(c["channels"])
    m = VAE(VAEConfig(**c))
    m.load_state_dict(s)
    return m.eval()


def dit(preset: str):
    s, c, _ = read(f"nb-mini-{preset}.h5")
    m = DiT(DiTConfig(**c))
    m.load_state_dict(s)
    return m.eval()


def refenc():
    s, c, _ = read("nb-mini-refenc.h5")
    m = ReferenceEncoder(RefEncoderConfig(**c))
    m.load_state_dict(s)
    return m.eval()


def judges():
    """(scene judge, identity judge) from the exported nb-mini-judges.h5, in eval mode."""
    from .checkpoints import new_judges
    s, _, _ = read("nb-mini-judges.h5")
    scene_j, id_j = new_judges()
    scene_j.load_state_dict({k[len("scene."):]: v for k, v in s.items() if k.startswith("scene.")})
    id_j.load_state_dict({k[len("identity."):]: v for k, v in s.items() if k.startswith("identity.")})
    return scene_j.eval(), id_j.eval()
