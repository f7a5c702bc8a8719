#!/usr/bin/env python3
"""Glyph maps from the training recipe's glyph module (Weights/recipe/glyph.py), the expected values of
the Swift GlyphRenderer's parity test: Tests/Fixtures/glyph/maps.h5.
Rerun: python3 scripts/glyph_reference.py
"""
import os
import sys

import h5py
import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "Weights"))
from recipe import glyph  # noqa: E402

PROMPTS = [
    'a claymation scene of me and my family at the beach holding a sign that says "HELLO"',
    'a cake that says \u201cHappy 30th!\u201d in pixel art',
    'a shirt reading "qzx" on a mountain',
    'a very long sign: "ANTIDISESTABLISHMENTARIANISM FOREVER AND EVER"',
    'no quotes at all',
    'accents "caf\u00e9 na\u00efve" and digits "2026"',
    'a sign that says "W"',
]
SIZES = [128, 64, 256]


def main() -> None:
    out = os.path.join(os.path.dirname(__file__), "..", "Tests", "Fixtures", "glyph")
    os.makedirs(out, exist_ok=True)
    tmp = os.path.join(out, ".maps.h5.tmp")
    with h5py.File(tmp, "w", libver=("v108", "v108")) as f:
        f.attrs["prompts"] = np.array([p.encode("utf-8") for p in PROMPTS], dtype=h5py.string_dtype())
        for size in SIZES:
            maps = np.stack([glyph.glyph_map(glyph.quoted_text(p), size) for p in PROMPTS]).astype(np.uint8)
            f.create_dataset(f"maps_{size}", data=maps, compression="gzip")
        f.attrs["quoted"] = np.array([glyph.quoted_text(p).encode("utf-8") for p in PROMPTS], dtype=h5py.string_dtype())
    os.replace(tmp, os.path.join(out, "maps.h5"))


if __name__ == "__main__":
    main()
