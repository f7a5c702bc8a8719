"""Image measurements that the stages' validation and the evaluation both take: reconstruction PSNR on
the held-out scenes, and Tesseract's reading of the prompt's quoted text (word and character accuracy,
text survival through the VAE). Here, below both, so that a stage can validate without importing the
evaluation, which imports the pipeline and the trained models."""
from __future__ import annotations

import os
import shutil
import string
import subprocess
import tempfile

import numpy as np
import torch
from PIL import Image

from . import data, glyph, world


def psnr(x, y):
    mse = ((x.clamp(-1, 1) - y) ** 2).mean(dim=(1, 2, 3)) / 4.0   # images in [-1,1] -> [0,1]
    return (10 * torch.log10(1.0 / mse.clamp_min(1e-10))).mean().item()


def heldout_psnr(vae, device, n=32, size=128) -> float:
    """PSNR of the VAE's reconstructions (posterior mean, plain decoder) of the first n held-out scenes;
    leaves the model in train mode, as the stages that call it train."""
    vae.eval()
    x = data.heldout_images(n, size).to(device)
    with torch.no_grad():
        rec, _, _ = vae(x, sample=False)
    vae.train()
    return psnr(rec, x)


def ocr_word(img: np.ndarray, text: str):
    """What Tesseract reads where the glyph map puts `text` (its laid-out box, 3 px margin, upscaled 3x
    bicubic, one text line, upper-case letters only); None when `tesseract` is not installed. The box
    depends only on the prompt's quoted text, which the model is given, never on the image."""
    if shutil.which("tesseract") is None:
        return None
    box = glyph.glyph_box(text, img.shape[0])
    if box is None:
        return ""
    x0, y0, x1, y1 = box
    m = 3
    crop = Image.fromarray(img[max(0, y0 - m):y1 + m, max(0, x0 - m):x1 + m])
    crop = crop.resize((crop.width * 3, crop.height * 3), Image.BICUBIC)
    with tempfile.TemporaryDirectory() as d:
        p = os.path.join(d, "t.png")
        crop.save(p)
        out = subprocess.run(["tesseract", p, "-", "--psm", "7", "-c", "tessedit_char_whitelist=" + string.ascii_uppercase],
                             capture_output=True, text=True).stdout
    return "".join(ch for ch in out.upper() if ch.isalnum())


def char_accuracy(read: str, text: str) -> float:
    """1 - Levenshtein(read, text) / len(text), floored at 0, spaces ignored: the partial credit that the
    exact-match word accuracy hides (a word with one letter wrong scores 0 there)."""
    a, b = read.replace(" ", ""), text.replace(" ", "")
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (ca != cb))
    return max(0.0, 1.0 - row[-1] / max(1, len(b)))


def word_matches(read: str | None, text: str) -> bool:
    """Whether an OCR result is exactly `text` (spaces ignored)."""
    return (read or "") == text.replace(" ", "")


def text_read(img: np.ndarray, text: str) -> bool:
    """Whether OCR of the text box gives exactly `text` (spaces ignored)."""
    return word_matches(ocr_word(img, text), text)


@torch.no_grad()
def text_survival(vae, first_seed: int, n: int = 64):
    """(words Tesseract reads on originals, on reconstructions) over n held-out scenes that all carry text,
    scene seeds first_seed..first_seed+n-1; None when `tesseract` is not installed. A glyph-conditioned
    decoder gets the scenes' glyph maps, a plain one none."""
    if shutil.which("tesseract") is None:
        return None
    scenes = [world.sample_scene(first_seed + i, "heldout", p_text=1.0) for i in range(n)]
    imgs = [world.render(sc)[0] for sc in scenes]
    gmap = data.glyph_maps([sc.text for sc in scenes]) if vae.config.glyph_conditioning else None
    r = vae.decode(vae.encode(data.to_tensor(imgs))[0], gmap)
    recs = ((r.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8).permute(0, 2, 3, 1).numpy()
    return (sum(text_read(i, sc.text) for i, sc in zip(imgs, scenes)),
            sum(text_read(i, sc.text) for i, sc in zip(recs, scenes)))
