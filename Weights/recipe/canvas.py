"""The reference canvas: each person's first reference photo pasted into the box where that person goes (the
Swift pipeline must match it bit for bit).

The reference tokens are a compressed, clothes-heavy summary of a person (probes: hair colour 30%, skin 24%),
and nothing ties them to a place in the image but attention. The canvas gives the denoiser the reference
pixels themselves at the place they belong, as spatial control does (GLIGEN's boxes, InstantID's spatial
control, inpainting's masked-image channels): a patch MLP can read a colour straight off it. Training
pastes into the world's labelled boxes; inference pastes into the planner's boxes (`planner_box`), which
are the world's typical boxes for the prompt's subject count, or into boxes the user gives.

Canvas [4, S, S] float32: channels 0-2 the photo in [-1, 1] inside a box (0 outside), channel 3 is 1 inside
a box. For a box (x0, y0, x1, y1) (x1, y1 exclusive, clipped to the image, w = x1 - x0, h = y1 - y0) and a
photo of side Q, pixel (y, x) of the box takes photo[(y - y0) * Q // h][(x - x0) * Q // w] (nearest
neighbour by integer division); later people are painted over earlier ones.
"""
from __future__ import annotations

import numpy as np

CHANNELS = 4

# The world's median person box for n subjects standing in a row (`world/scene.py` `_layout`, measured over
# training scenes 0..2999 with full framing): width and top edge; every box ends at y = 114 of 128.
_WIDTH = {1: 39, 2: 36, 3: 30, 4: 25, 5: 25}
_TOP = {1: 30, 2: 30, 3: 42, 4: 53, 5: 53}
_BOTTOM = 114


def planner_box(i: int, n: int, size: int = 128) -> tuple[int, int, int, int]:
    """Subject i of n: the world's median person box, centred in the i-th of n equal slots, in a size x size
    image (x1, y1 exclusive). Integer arithmetic; n above 5 uses the 5-subject width and top."""
    k = min(max(n, 1), 5)
    w, top = _WIDTH[k] * size // 128, _TOP[k] * size // 128
    cx = (2 * i + 1) * size // (2 * n)
    x0 = max(0, cx - w // 2)
    return x0, top, min(size, x0 + w), _BOTTOM * size // 128


def reference_canvas(photos: list, boxes: list, size: int = 128) -> np.ndarray:
    """photos[i]: person i's first reference photo (uint8 [Q, Q, 3], as prepared for the encoder) or None;
    boxes[i]: its box. Returns the canvas [4, size, size] float32."""
    out = np.zeros((CHANNELS, size, size), np.float32)
    for photo, box in zip(photos, boxes):
        if photo is None:
            continue
        x0, y0, x1, y1 = (int(min(max(v, 0), size)) for v in box)
        w, h = x1 - x0, y1 - y0
        if w <= 0 or h <= 0:
            continue
        q = photo.shape[0]
        rows = (np.arange(h) * q) // h
        cols = (np.arange(w) * q) // w
        patch = photo[rows][:, cols].astype(np.float32) / 127.5 - 1.0    # [h, w, 3]
        out[:3, y0:y1, x0:x1] = patch.transpose(2, 0, 1)
        out[3, y0:y1, x0:x1] = 1.0
    return out
