"""Glyph atlas and glyph-map layout: the text-rendering module of NB-mini v2.

The atlas is rendered ONCE from DejaVu Sans Bold with PIL (`make_atlas`) and committed as
`Weights/glyph_atlas.h5`. Everything after that -- the layout of the quoted text into a glyph
map -- is plain integer arithmetic over the atlas (`glyph_map`), so the Swift pipeline can
reproduce it bit for bit. The algorithm is spelled out in `Weights/recipe/README.md`.
"""
from __future__ import annotations

import hashlib
import os
import re

import numpy as np

FONT_PATH = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
FONT_SIZE = 16          # PIL font size in pixels
CELL_W = 24             # every glyph bitmap is CELL_W wide ...
ORIGIN_X = 2            # ... with the pen origin at this column (room for negative bearings)
FIRST_CHAR = 32         # printable ASCII 32..126
NUM_CHARS = 95
ATLAS_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "glyph_atlas.h5")


def make_atlas(path: str = ATLAS_PATH) -> None:
    """Render the atlas with PIL and write it to HDF5 (run by `make_atlas.py`)."""
    import h5py
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(FONT_PATH, FONT_SIZE)
    ascent, descent = font.getmetrics()
    height = ascent + descent
    bitmaps = np.zeros((NUM_CHARS, height, CELL_W), np.uint8)
    advance = np.zeros((NUM_CHARS,), np.int32)
    for i in range(NUM_CHARS):
        ch = chr(FIRST_CHAR + i)
        img = Image.new("L", (CELL_W, height), 0)
        ImageDraw.Draw(img).text((ORIGIN_X, 0), ch, font=font, fill=255)
        bitmaps[i] = (np.asarray(img) >= 128).astype(np.uint8)
        advance[i] = int(np.floor(font.getlength(ch) + 0.5))
    with open(FONT_PATH, "rb") as f:
        font_sha = hashlib.sha256(f.read()).hexdigest()
    tmp = path + ".tmp"
    with h5py.File(tmp, "w") as h:
        h.create_dataset("bitmaps", data=bitmaps)   # uint8 0/1, [95, H, CELL_W]
        h.create_dataset("advance", data=advance)   # int32 pen advance in pixels
        h.attrs["font"] = os.path.basename(FONT_PATH)
        h.attrs["font_sha256"] = font_sha
        h.attrs["font_size"] = FONT_SIZE
        h.attrs["first_char"] = FIRST_CHAR
        h.attrs["origin_x"] = ORIGIN_X
        h.attrs["line_height"] = height
    os.replace(tmp, path)


class Atlas:
    def __init__(self, path: str = ATLAS_PATH):
        import h5py
        with h5py.File(path, "r") as h:
            self.bitmaps = h["bitmaps"][...]
            self.advance = h["advance"][...].astype(np.int64)
            self.origin_x = int(h.attrs["origin_x"])
            self.first_char = int(h.attrs["first_char"])
        self.height = self.bitmaps.shape[1]
        self.cell_w = self.bitmaps.shape[2]


_ATLAS: Atlas | None = None


def atlas() -> Atlas:
    global _ATLAS
    if _ATLAS is None:
        _ATLAS = Atlas()
    return _ATLAS


_QUOTE_RE = re.compile(r'"([^"]*)"')


def quoted_text(prompt: str) -> str:
    """The first double-quoted substring of the prompt ('' if none). Curly quotes count as straight."""
    p = prompt.replace("\u201c", '"').replace("\u201d", '"')
    m = _QUOTE_RE.search(p)
    return m.group(1) if m else ""


def band(size: int) -> tuple[int, int, int, int]:
    """(x0, y0, width, height) of the text band for a size x size image."""
    x0 = size // 32
    return x0, (size * 5) // 8, size - 2 * x0, (size * 3) // 16


def _codes(text: str, at: Atlas) -> list:
    """Atlas indices of the text's characters; anything outside the atlas becomes '?'."""
    codes = [ord(c) - at.first_char for c in text]
    return [c if 0 <= c < len(at.advance) else ord("?") - at.first_char for c in codes]


def _layout(w: int, h: int, size: int) -> tuple[int, int, int, int]:
    """(x0, y0, tw, th): a w x h line scaled by the largest whole factor that fits the band's height,
    shrunk to the band's width when too long, centred in the band."""
    bx, by, bw, bh = band(size)
    k = max(1, bh // h)
    tw, th = w * k, h * k
    if tw > bw:
        tw, th = bw, (h * k * bw) // (w * k)
    th = max(th, 1)
    return bx + (bw - tw) // 2, by + (bh - th) // 2, tw, th


def line_bitmap(text: str, at: Atlas | None = None) -> np.ndarray:
    """The text set on one line at atlas scale: uint8 0/1, [H, sum(advance)]."""
    at = at or atlas()
    codes = _codes(text, at)
    width = int(sum(at.advance[c] for c in codes))
    line = np.zeros((at.height, max(width, 0)), np.uint8)
    pen = 0
    for c in codes:
        for col in range(at.cell_w):
            x = pen + col - at.origin_x
            if 0 <= x < width:
                line[:, x] |= at.bitmaps[c][:, col]
        pen += int(at.advance[c])
    return line


def glyph_map(text: str, size: int = 128, at: Atlas | None = None) -> np.ndarray:
    """The glyph map: float32 [size, size], 1.0 where the text's ink is, else 0.0."""
    at = at or atlas()
    out = np.zeros((size, size), np.float32)
    if not text:
        return out
    line = line_bitmap(text, at)
    h, w = line.shape
    if w == 0:
        return out
    x0, y0, tw, th = _layout(w, h, size)
    sy = (np.arange(th) * h) // th
    sx = (np.arange(tw) * w) // tw
    out[y0:y0 + th, x0:x0 + tw] = line[sy][:, sx]
    return out


def glyph_box(text: str, size: int = 128, at: Atlas | None = None) -> tuple[int, int, int, int] | None:
    """(x0, y0, x1, y1) of the laid-out text rectangle, or None when there is no text."""
    at = at or atlas()
    if not text:
        return None
    w = int(sum(at.advance[c] for c in _codes(text, at)))
    x0, y0, tw, th = _layout(w, at.height, size)
    return x0, y0, x0 + tw, y0 + th
