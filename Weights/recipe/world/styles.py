"""Cheap stylization filters applied to the vector drawing: photo, claymation, watercolour, pixel art,
pencil sketch. Each takes and returns a uint8 HxWx3 array."""
from __future__ import annotations

import random

import numpy as np
from PIL import Image, ImageFilter

STYLES = ["photo", "claymation", "watercolour", "pixel art", "pencil sketch"]


def _blur(a: np.ndarray, radius: float) -> np.ndarray:
    return np.asarray(Image.fromarray(a).filter(ImageFilter.GaussianBlur(radius)))


def lighting(a: np.ndarray, r: random.Random, strength: float = 1.0) -> np.ndarray:
    """Directional light ramp and a colour temperature tint (all styles get a little)."""
    h, w, _ = a.shape
    ang = r.uniform(0, 2 * np.pi)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    ramp = (np.cos(ang) * (xx / w - 0.5) + np.sin(ang) * (yy / h - 0.5))
    gain = r.uniform(0.8, 1.12) + strength * r.uniform(0.0, 0.35) * ramp
    warm = r.uniform(-0.06, 0.06) * strength
    tint = np.array([1 + warm, 1.0, 1 - warm], np.float32)
    return np.clip(a.astype(np.float32) * gain[..., None] * tint, 0, 255).astype(np.uint8)


def photo(a, r):
    a = lighting(a, r, 1.0)
    h, w, _ = a.shape
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    vig = 1 - 0.25 * (((xx / w - 0.5) ** 2 + (yy / h - 0.5) ** 2) * 2)
    a = np.clip(a * vig[..., None], 0, 255).astype(np.uint8)
    return _blur(a, 0.5 * a.shape[0] / 128)


def claymation(a, r):
    a = lighting(a, r, 0.5)
    s = a.shape[0] / 128
    img = Image.fromarray(a).filter(ImageFilter.GaussianBlur(1.0 * s))
    emb = np.asarray(img.convert("L").filter(ImageFilter.EMBOSS)).astype(np.float32) / 255.0
    f = np.asarray(img).astype(np.float32)
    mean = f.mean(axis=2, keepdims=True)
    f = mean + (f - mean) * 1.3                   # saturated plasticine colours
    f = f * (0.55 + 0.9 * emb[..., None])
    return np.clip(f, 0, 255).astype(np.uint8)


_PAPER: dict = {}


def _paper(h, w):
    key = (h, w)
    if key not in _PAPER:
        g = np.random.default_rng(1234).standard_normal((h // 8 + 2, w // 8 + 2)).astype(np.float32)
        up = np.asarray(Image.fromarray(((g * 40) + 128).clip(0, 255).astype(np.uint8)).resize((w * 2, h * 2), Image.BILINEAR)).astype(np.float32)
        _PAPER[key] = (up - 128) / 128
    return _PAPER[key]


def watercolour(a, r):
    a = lighting(a, r, 0.3)
    h, w, _ = a.shape
    s = h / 128
    f = np.asarray(Image.fromarray(a).filter(ImageFilter.GaussianBlur(0.9 * s))).astype(np.float32)
    edges = np.asarray(Image.fromarray(f.astype(np.uint8)).convert("L").filter(ImageFilter.FIND_EDGES)).astype(np.float32)
    f = 0.78 * f + 0.22 * 250.0 - 0.35 * edges[..., None]
    p = _paper(h, w)
    oy, ox = r.randrange(h), r.randrange(w)
    f = f * (1 + 0.06 * p[oy:oy + h, ox:ox + w, None])
    return np.clip(f, 0, 255).astype(np.uint8)


def pixel_art(a, r):
    a = lighting(a, r, 0.4)
    h, w, _ = a.shape
    block = 4 if r.random() < 0.7 else 3
    small = Image.fromarray(a).resize((w // block, h // block), Image.BOX)
    q = (np.asarray(small) // 48) * 48 + 24          # 6 levels per channel
    return np.asarray(Image.fromarray(q.astype(np.uint8)).resize((w, h), Image.NEAREST))


def pencil_sketch(a, r):
    a = lighting(a, r, 0.2)
    g = np.asarray(Image.fromarray(a).convert("L")).astype(np.float32)
    inv = 255 - g
    bl = np.asarray(Image.fromarray(inv.astype(np.uint8)).filter(ImageFilter.GaussianBlur(2.0 * a.shape[0] / 128))).astype(np.float32)
    dodge = np.minimum(255.0, g * 255.0 / np.maximum(1.0, 255.0 - bl))
    dodge = 255 - (255 - dodge) * 2.5                 # darker strokes
    tone = 0.75 * dodge + 0.25 * g
    paper = np.array([250, 246, 236], np.float32) / 255.0
    f = np.clip(tone, 0, 255)[..., None] * paper
    return f.astype(np.uint8)


FILTERS = {"photo": photo, "claymation": claymation, "watercolour": watercolour, "pixel art": pixel_art,
           "pencil sketch": pencil_sketch}


def stylize(a: np.ndarray, style: str, r: random.Random) -> np.ndarray:
    return FILTERS[style](a, r)
