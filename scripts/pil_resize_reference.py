#!/usr/bin/env python3
"""Writes Tests/Fixtures/resize/pil_resize.h5: Pillow's own `Image.resize` on seeded images, the reference the
Swift `PILResize` must equal value for value (reference photos, the identity judge's crops and the OCR box
are resized with Pillow in the recipe).

    python3 scripts/pil_resize_reference.py

Each case `case_<i>` holds `src` (uint8 [h, w, 3]), `out` (Pillow's result) and attributes `filter`
(bilinear or bicubic), `width`, `height`. The Pillow version is recorded in the file.
"""
import os

import h5py
import numpy as np
import PIL
from PIL import Image

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CASES = [((200, 200), (64, 64), "bilinear"), ((37, 37), (64, 64), "bilinear"), ((130, 97), (64, 64), "bilinear"),
         ((50, 26), (150, 78), "bicubic"), ((100, 80), (33, 17), "bicubic"), ((19, 11), (57, 33), "bicubic")]


def main():
    rng = np.random.default_rng(7)
    out = os.path.join(ROOT, "Tests", "Fixtures", "resize", "pil_resize.h5")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with h5py.File(out + ".tmp", "w") as h:
        h.attrs["pillow"] = PIL.__version__
        for i, ((w, h_), (tw, th), f) in enumerate(CASES):
            # Smooth gradients plus noise, so that both the filters' lobes and 8-bit clamping are exercised.
            yy, xx = np.mgrid[0:h_, 0:w]
            base = np.stack([xx * 255 / max(w - 1, 1), yy * 255 / max(h_ - 1, 1), (xx + yy) % 256], -1)
            src = np.clip(base + rng.integers(-60, 60, (h_, w, 3)), 0, 255).astype(np.uint8)
            res = np.asarray(Image.fromarray(src).resize((tw, th), Image.BILINEAR if f == "bilinear" else Image.BICUBIC))
            g = h.create_group(f"case_{i}")
            g.create_dataset("src", data=src)
            g.create_dataset("out", data=res)
            g.attrs["filter"], g.attrs["width"], g.attrs["height"] = f, tw, th
    os.replace(out + ".tmp", out)
    print("wrote", out)


if __name__ == "__main__":
    main()
