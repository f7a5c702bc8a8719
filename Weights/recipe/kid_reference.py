"""The reference set for KID in `cavendish evaluate`: the scene judge's pooled features of world renders.

    python3 Weights/recipe/kid_reference.py [--count 512]

KID compares two sets of images through a feature network; here, as in evaluate.py, that network is the
NB-mini scene judge (nb-mini-judges.h5, its 128-d spatial mean before the heads). The reference set is
`count` ground-truth renders of held-out scenes (world.sample_scene(4_000_000_000 + i, "heldout"), every
setting, style and subject count; seeds no other set uses), so a sweep's images can be compared with the
world without a Python environment. Writes Weights/eval/kid_reference.h5 (features [count, 128] float32,
with the judges file's SHA-256, which `cavendish evaluate` checks) through a temporary file.
"""
from __future__ import annotations

import argparse
import os
import sys

import h5py
import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from recipe import common, data, weights, world  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--count", type=int, default=512)
    a = ap.parse_args()
    scene_j, _ = weights.judges()
    feats = []
    with torch.no_grad():
        for lo in range(0, a.count, 64):
            imgs = [world.render(world.sample_scene(4_000_000_000 + i, "heldout"))[0] for i in range(lo, min(a.count, lo + 64))]
            feats.append(scene_j.features(data.to_tensor(imgs)).mean(dim=(2, 3)).numpy())
    out = os.path.join(common.WEIGHTS, "eval", "kid_reference.h5")
    tmp = out + ".tmp"
    with h5py.File(tmp, "w") as h:
        h.create_dataset("features", data=np.concatenate(feats).astype(np.float32))
        h.attrs["feature_network"] = "NB-mini scene judge, pooled features (128-d)"
        h.attrs["judges_sha256"] = common.sha256(os.path.join(common.WEIGHTS, "nb-mini-judges.h5"))
        h.attrs["scenes"] = f"world.sample_scene(4_000_000_000 + i, 'heldout'), i < {a.count}"
        h.attrs["generator_version"] = world.GENERATOR_VERSION
    os.replace(tmp, out)
    print("wrote", out, f"{os.path.getsize(out) / 1e3:.0f} kB")


if __name__ == "__main__":
    main()
