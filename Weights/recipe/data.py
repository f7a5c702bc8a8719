"""Batches from the world generator, rendered on the fly from per-step seeds, and the pieces of them
that stages, pipeline and evaluation share (held-out identities, subject crops, glyph-map batches)."""
from __future__ import annotations

import random

import numpy as np
import torch
from PIL import Image

from . import glyph, world

# The held-out identities in the order the identity judge numbers them (its class index).
HELDOUT = [("person", i) for i in range(world.NUM_IDENTITIES[("heldout", "person")])] + \
          [("pet", i) for i in range(world.NUM_IDENTITIES[("heldout", "pet")])]


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


def glyph_maps(texts: list, size: int = 128) -> torch.Tensor:
    """[B,1,S,S] float glyph maps of `texts` (all zero for an empty text)."""
    return torch.from_numpy(np.stack([glyph.glyph_map(t, size) for t in texts]))[:, None]


def crop_subject(img: np.ndarray, box, size=64) -> np.ndarray:
    """Square crop around a labelled box (padded with edge pixels), resized to size (PIL bilinear)."""
    x0, y0, x1, y1 = box
    cx, cy, s = (x0 + x1) / 2, (y0 + y1) / 2, max(x1 - x0, y1 - y0, 8)
    H = img.shape[0]
    pad = H
    big = np.pad(img, ((pad, pad), (pad, pad), (0, 0)), mode="edge")
    a, b = int(round(cy - s / 2)) + pad, int(round(cx - s / 2)) + pad
    c = big[a:a + int(s), b:b + int(s)]
    return np.asarray(Image.fromarray(c).resize((size, size), Image.BILINEAR))


def box_mask(labels: list, latent_size: int = 32, image_size: int = 128) -> torch.Tensor:
    """[1, 1, latent_size, latent_size]: 1.0 on the latent pixels that any labelled subject's box touches."""
    m = torch.zeros(1, 1, latent_size, latent_size)
    f = image_size // latent_size
    for lab in labels:
        x0, y0, x1, y1 = lab["box"]
        m[..., max(0, y0 // f):min(latent_size, -(-y1 // f)), max(0, x0 // f):min(latent_size, -(-x1 // f))] = 1.0
    return m
