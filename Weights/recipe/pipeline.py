"""The NB-mini reference pipeline (PyTorch): prompt + reference photos -> 128x128 image.

    python3 Weights/recipe/pipeline.py --preset v2 --prompt 'A photo of <p1> at the beach holding a sign that says "HELLO".' \
        --reference p1=a.png,b.png --seed 1 --out out.png

v1: DDIM 50 steps, classifier-free guidance v = v_u + w (v_c - v_u), w = 4 by default, where the
    unconditional branch has the empty caption and no reference tokens (only the null token).
v2: DDIM 8 steps (or fewer), ONE evaluation per step: the guidance scale w is a model input
    (default 3) and the glyph map of the prompt's first quoted text is an extra input.
Noise: torch.randn((1, 4, 32, 32), generator=torch.Generator().manual_seed(seed)), float32, CPU.
Decoding: x = VAE.decode(z / scale_factor + shift_factor); pixel = round((clamp(x, -1, 1) + 1) * 127.5).
img2img (--init-image, --strength): the init image is prepared like a reference photo at 128 x 128, encoded
    to its posterior mean z = (mean - shift_factor) * scale_factor, noised to step k = N - round(N * strength)
    of the time grid and denoised from there (img2img_start); strength 1 is text-to-image exactly.
"""
from __future__ import annotations

import argparse
import math
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from recipe import canvas, common, glyph, layout, schedule  # noqa: E402

# v2's reference scale 2 was chosen on the validation prompts (recipe README, "Reference scale"): identity
# roughly doubled for a text figure within its interval; v1 keeps 1, the scale it was trained at.
PRESETS = {"v1": dict(steps=50, guidance=4.0, ref_scale=1.0), "v2": dict(steps=8, guidance=3.0, ref_scale=2.0)}


def placeholders(prompt: str) -> list:
    """Placeholder numbers mentioned in the prompt, e.g. [1, 2] for '<p1> and <p2>'."""
    return sorted({int(m) for m in re.findall(r"<p([1-9])>", prompt)})


def prepare_photo(img: np.ndarray, size: int = 64) -> np.ndarray:
    """Centre-crop to a square and resize (PIL bilinear) to size x size; uint8 HxWx3."""
    from PIL import Image
    h, w = img.shape[:2]
    s = min(h, w)
    img = img[(h - s) // 2:(h - s) // 2 + s, (w - s) // 2:(w - s) // 2 + s]
    if s != size:
        img = np.asarray(Image.fromarray(img).resize((size, size), Image.BILINEAR))
    return img


def img2img_start(z: torch.Tensor, noise: torch.Tensor, strength: float, steps: int):
    """Where img2img starts: (x, k) with k = N - round(N * strength) and x = alpha(t_k) z + sigma(t_k) noise on
    the grid t_i = (N - i) / N, so that sampling runs steps k..N-1. Python's round (half to even) is the rule the
    Swift pipeline follows too. strength 1 (k = 0) returns the noise itself, not cos(pi/2) z + noise, so it is
    text-to-image bit for bit; strength 0 (k = N) returns z, nothing to denoise."""
    if not 0.0 <= strength <= 1.0:
        raise ValueError(f"strength {strength} is outside [0, 1]")
    k = steps - round(steps * strength)
    if k == 0:
        return noise, 0
    if k == steps:
        return z, steps
    t = schedule.time_grid(steps)[k]
    a, s = math.cos(0.5 * math.pi * t), math.sin(0.5 * math.pi * t)
    return a * z + s * noise, k


class Pipeline:
    """Loads every component once; generate() can be called many times."""

    def __init__(self, preset: str = "v2", device: str = "cpu", source: str = "weights"):
        """source='weights': the exported Weights/*.h5 (float16 upcast); 'runs': the EMA checkpoints."""
        from recipe import checkpoints, weights
        from recipe.models.textenc import TextEncoder
        self.preset = preset
        self.device = device
        if source == "weights":
            self.vae, self.dit, self.ref = weights.vae().to(device), weights.dit(preset).to(device), weights.refenc().to(device)
        else:
            self.vae = checkpoints.vae(device)
            self.dit, self.ref, _ = checkpoints.denoiser("denoiser-" + preset, device)
        self.text = TextEncoder(device)
        self.empty = self.text([""])

    @torch.no_grad()
    def references(self, refs: dict, P: int):
        """refs {placeholder number: [uint8 HxWx3, ...]} -> tokens, mask (or None, None)."""
        if not refs:
            return None, None
        R = max(len(v) for v in refs.values())
        photos = torch.zeros(1, P, R, 3, 64, 64)
        mask = torch.zeros(1, P, R, dtype=torch.bool)
        for p, imgs in refs.items():
            for k, img in enumerate(imgs):
                a = prepare_photo(img).astype(np.float32) / 127.5 - 1.0
                photos[0, p - 1, k] = torch.from_numpy(a).permute(2, 0, 1)
                mask[0, p - 1, k] = True
        return self.ref(photos.to(self.device), mask.to(self.device))

    def canvas(self, refs: dict, boxes: list):
        """The reference canvas [1, 4, 128, 128] (canvas.py) of each placeholder's first photo in boxes[i] for
        placeholder i + 1, or None for a model without the canvas or without references."""
        if not self.dit.config.canvas or not refs:
            return None
        photos = [prepare_photo(refs[i + 1][0]) if refs.get(i + 1) else None for i in range(len(boxes))]
        return torch.from_numpy(canvas.reference_canvas(photos, boxes))[None].to(self.device)

    @torch.no_grad()
    def encode_latent(self, img: np.ndarray) -> torch.Tensor:
        """uint8 HxWx3 of any size -> the denoiser latent [1, 4, 32, 32] of its posterior mean (not a sample, so the
        same image always starts from the same latent)."""
        a = prepare_photo(img, 128).astype(np.float32) / 127.5 - 1.0
        mean, _ = self.vae.encode(torch.from_numpy(a).permute(2, 0, 1)[None].to(self.device))
        return self.vae.to_latent(mean)

    @torch.no_grad()
    def generate(self, prompt: str, refs: dict | None = None, seed: int = 0, steps: int | None = None,
                 guidance: float | None = None, ref_scale: float | None = None, return_latent: bool = False,
                 init_image: np.ndarray | None = None, strength: float = 1.0):
        """init_image (uint8 HxWx3) with strength in [0, 1]: img2img from that image (see img2img_start)."""
        steps = steps or PRESETS[self.preset]["steps"]
        w = PRESETS[self.preset]["guidance"] if guidance is None else guidance
        ref_scale = PRESETS[self.preset]["ref_scale"] if ref_scale is None else ref_scale
        refs = refs or {}
        P = max([0] + placeholders(prompt) + list(refs))
        text, tmask = self.text([prompt])
        rt, rm = self.references(refs, P)
        noise = torch.randn((1, 4, 32, 32), generator=torch.Generator().manual_seed(seed)).to(self.device)
        if self.preset == "v1":
            et, em = self.empty

            def fn(x, t):
                v_c = self.dit(x, t, text, tmask, rt, rm, ref_scale)
                v_u = self.dit(x, t, et, em)
                return v_u + w * (v_c - v_u)
        g = None
        if self.preset != "v1":
            g = torch.from_numpy(glyph.glyph_map(glyph.quoted_text(prompt)))[None, None].to(self.device)
            gw = torch.full((1,), float(w), device=self.device)

            lay = cv = None
            if self.dit.config.layout and rt is not None:   # the planner's strips and boxes for the prompt's P subjects
                lay = torch.from_numpy(layout.strips(P))[None].to(self.device)
                cv = self.canvas(refs, [canvas.planner_box(i, P) for i in range(P)])

            def fn(x, t):
                return self.dit(x, t, text, tmask, rt, rm, ref_scale, g, gw, lay, cv)
        x0, start = noise, 0
        if init_image is not None:
            x0, start = img2img_start(self.encode_latent(init_image), noise, strength, steps)
        z = schedule.sample(fn, x0, steps, start)
        # v1 is the no-glyph baseline: its decoder gets no glyph map either.
        x = self.vae.decode(self.vae.from_latent(z), g if self.vae.config.glyph_conditioning else None)
        img = ((x.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)[0].permute(1, 2, 0).cpu().numpy()
        return (img, z) if return_latent else img


def main():
    from PIL import Image
    ap = argparse.ArgumentParser()
    ap.add_argument("--prompt", required=True)
    ap.add_argument("--preset", default="v2", choices=list(PRESETS))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--steps", type=int)
    ap.add_argument("--guidance", type=float)
    ap.add_argument("--ref-scale", type=float, help="default: the preset's (v1 1, v2 2)")
    ap.add_argument("--reference", action="append", default=[], help="pN=IMG[,IMG...]")
    ap.add_argument("--init-image", help="img2img: start from this image (any size; centre-cropped, resized to 128)")
    ap.add_argument("--strength", type=float, default=1.0, help="img2img: 0 keeps the image, 1 ignores it")
    ap.add_argument("--out", default="out.png")
    ap.add_argument("--force", action="store_true", help="replace an existing --out")
    ap.add_argument("--source", default="weights", choices=["weights", "runs"])
    a = ap.parse_args()
    if os.path.exists(a.out) and not a.force:
        raise SystemExit(f"{a.out} exists; pass --force to replace it")
    torch.set_num_threads(1)
    refs = {}
    for spec in a.reference:
        name, files = spec.split("=", 1)
        refs[int(name.lstrip("<p").rstrip(">"))] = [np.asarray(Image.open(f).convert("RGB")) for f in files.split(",")]
    pipe = Pipeline(a.preset, source=a.source)
    init = np.asarray(Image.open(a.init_image).convert("RGB")) if a.init_image else None
    img = Image.fromarray(pipe.generate(a.prompt, refs, a.seed, a.steps, a.guidance, a.ref_scale,
                                        init_image=init, strength=a.strength))
    common.atomic_write(a.out, lambda p: img.save(p, format="PNG"))
    print("wrote", a.out)


if __name__ == "__main__":
    main()
