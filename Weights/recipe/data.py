"""Batches from the world generator, rendered on the fly from per-step seeds."""
from __future__ import annotations

import random

import numpy as np
import torch

from . import world


def to_tensor(images: list) -> torch.Tensor:
    """uint8 HxWx3 list -> float [-1, 1] NCHW."""
    a = np.stack(images).astype(np.float32) / 127.5 - 1.0
    return torch.from_numpy(a).permute(0, 3, 1, 2).contiguous()


def vae_batch(seed: int, batch: int, size: int = 128, crop: int | None = None, split: str = "train") -> torch.Tensor:
    """World images for the autoencoder: 75% scenes, 25% single-identity library photos; random crops."""
    r = random.Random(seed)
    out = []
    for i in range(batch):
        s = r.randrange(1 << 40)
        if r.random() < 0.75:
            a, _ = world.render(world.sample_scene(s, split, size))
        else:
            kind = "pet" if r.random() < 0.25 else "person"
            a = world.reference_photo(kind, split, r.randrange(world.NUM_IDENTITIES[(split, kind)]), s, size)
        if crop and crop < size:
            y, x = r.randrange(size - crop + 1), r.randrange(size - crop + 1)
            a = a[y:y + crop, x:x + crop]
        out.append(a)
    return to_tensor(out)


def heldout_images(n: int = 32, size: int = 128) -> torch.Tensor:
    """Fixed held-out evaluation images: scenes of held-out identities, seeds never used in training."""
    return to_tensor([world.render(world.sample_scene(1_000_000_007 + i, "heldout", size))[0] for i in range(n)])
