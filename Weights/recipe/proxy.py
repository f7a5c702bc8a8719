"""A fast proxy of the evaluation, for watching a run within its first hour (minutes, not the 96-prompt sampling).

    python3 Weights/recipe/proxy.py [--source runs|weights] [--preset v2] [--per-count 8] [--t 0.5 0.7] [--out FILE.json]

On the validation prompt set (never the evaluation one), each ground-truth render is VAE-encoded, noised to
time t with a seeded noise, and denoised in ONE model evaluation to the model's estimate of the clean latent
x0 = alpha x_t - sigma v, which is decoded (with the glyph map for v2). Measured on those one-step estimates:

- `ocr_word_accuracy`, `ocr_char_accuracy`: Tesseract on the quoted text (as the evaluation reads it);
- `identity_top1`: the identity judge at each subject's box (where the layout told the model to draw them);
- `identity_top1_swapped`: the same with every subject's references replaced by another held-out person's
  of the same scene size: if the model used the references, naming the original person must get harder;
- `swap_change_in_boxes` / `swap_change_outside`: mean |x0(own refs) - x0(swapped refs)| in latent units
  inside the subjects' boxes and outside them (a model that binds references to places changes the former).

The same figures on the ground-truth images (and their VAE round trip) are the ceiling. Because x_t holds part
of the answer, these are easier than sampling from noise; they move with training long before the sampled
figures do, which is what a proxy is for. Seeds are fixed, so two runs of the same weights agree exactly.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from recipe import checkpoints, common, data, glyph, layout, measure  # noqa: E402
from recipe.evaluate import identity_top1, prompt_set, wilson  # noqa: E402
from recipe.pipeline import Pipeline, placeholders  # noqa: E402


def to_image(x: torch.Tensor) -> np.ndarray:
    return ((x.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)[0].permute(1, 2, 0).cpu().numpy()


@torch.no_grad()
def run(source: str, preset: str, per_count: int, times: list, raw: bool = False) -> dict:
    torch.manual_seed(0)
    pipe = Pipeline(preset, source=source)
    if raw:   # the raw weights of a short run, which the EMA has not caught up with yet
        pipe.dit, pipe.ref, _ = checkpoints.denoiser("denoiser-" + preset, ema=False)
    _, id_j = checkpoints.judges()      # as evaluate.py does: the judges stage's checkpoint (seed_runs.py restores it)
    items = prompt_set(per_count, "validation")
    # Swapped references: the next item with the same subject count (a different held-out person in each slot).
    by_n = {}
    for i, it in enumerate(items):
        by_n.setdefault(it["n"], []).append(i)
    swap = {}
    for idx in by_n.values():
        for k, i in enumerate(idx):
            swap[i] = idx[(k + 1) % len(idx)]
    out = {"source": source, "weights": "raw" if raw else "ema", "preset": preset, "prompts": len(items), "times": times, "prompt_set": "validation",
           "step": _step(source, preset)}
    gt_imgs = [it["gt"] for it in items]
    labels = [it["labels"] for it in items]
    words = [glyph.quoted_text(it["prompt"]) for it in items]
    # What does not depend on t, once per item: the latent, the glyph map, the text and both reference sets.
    prepared = [_prepare(pipe, it, items[swap[i]]["refs"]) for i, it in enumerate(items)]
    rt_imgs = [_decode(pipe, p["z"], p["glyph"]) for p in prepared]
    out["ceiling"] = {"ground_truth": _scores(gt_imgs, words, labels, id_j), "vae_round_trip": _scores(rt_imgs, words, labels, id_j)}
    for t in times:
        started = time.time()
        a, s = math.cos(0.5 * math.pi * t), math.sin(0.5 * math.pi * t)
        own, swapped, inside, outside = [], [], [], []
        for it, p in zip(items, prepared):
            eps = torch.randn(p["z"].shape, generator=torch.Generator().manual_seed(it["seed"]))
            xt = a * p["z"] + s * eps
            x0s = [a * xt - s * _velocity(pipe, p, refs, xt, t) for refs in (p["own"], p["swapped"])]
            m = data.box_mask(it["labels"])
            d = (x0s[0] - x0s[1]).abs().mean(dim=1, keepdim=True)
            inside.append(float((d * m).sum() / m.sum().clamp(min=1)))
            outside.append(float((d * (1 - m)).sum() / (1 - m).sum().clamp(min=1)))
            own.append(_decode(pipe, x0s[0], p["glyph"]))
            swapped.append(_decode(pipe, x0s[1], p["glyph"]))
        r = _scores(own, words, labels, id_j)
        r["identity_top1_swapped"] = round(identity_top1(id_j, swapped, labels), 4)
        r["swap_change_in_boxes"] = round(float(np.mean(inside)), 5)
        r["swap_change_outside"] = round(float(np.mean(outside)), 5)
        r["seconds"] = round(time.time() - started, 1)
        out[f"t={t:g}"] = r
    return out


def _prepare(pipe: Pipeline, item: dict, swapped_refs: dict) -> dict:
    P = max([0] + placeholders(item["prompt"]) + list(item["refs"]))
    text, tmask = pipe.text([item["prompt"]])
    g = torch.from_numpy(glyph.glyph_map(glyph.quoted_text(item["prompt"])))[None, None] if pipe.preset != "v1" else None
    # The canvas goes where the ground truth has its subjects (the noised render holds them there).
    boxes = [lab["box"] for lab in item["labels"]]
    return {"z": pipe.encode_latent(item["gt"]), "glyph": g, "text": text, "tmask": tmask, "P": P,
            "own": (*pipe.references(item["refs"], P), pipe.canvas(item["refs"], boxes)),
            "swapped": (*pipe.references(swapped_refs, P), pipe.canvas(swapped_refs, boxes))}


def _decode(pipe: Pipeline, z: torch.Tensor, g) -> np.ndarray:
    return to_image(pipe.vae.decode(pipe.vae.from_latent(z), g if pipe.vae.config.glyph_conditioning else None))


def _velocity(pipe: Pipeline, p: dict, refs: tuple, xt: torch.Tensor, t: float) -> torch.Tensor:
    """One guided evaluation at (x_t, t), as the preset's sampler would make it."""
    rt, rm, cv = refs
    tt = torch.full((1,), float(t))
    if pipe.preset == "v1":
        et, em = pipe.empty
        v_c, v_u = pipe.dit(xt, tt, p["text"], p["tmask"], rt, rm), pipe.dit(xt, tt, et, em)
        return v_u + 4.0 * (v_c - v_u)
    lay = torch.from_numpy(layout.strips(p["P"]))[None] if pipe.dit.config.layout and rt is not None else None
    return pipe.dit(xt, tt, p["text"], p["tmask"], rt, rm, 1.0, p["glyph"], torch.full((1,), 3.0), lay, cv)


def _scores(images: list, words: list, labels: list, id_j) -> dict:
    reads = [measure.ocr_word(img, w) for img, w in zip(images, words)]
    hits = [measure.word_matches(r, w) for r, w in zip(reads, words)]
    n_subjects = sum(len(lab) for lab in labels)
    top1 = identity_top1(id_j, images, labels)
    return {"ocr_word_accuracy": round(float(np.mean(hits)), 4), "ocr_word_accuracy_ci95": wilson(float(np.mean(hits)), len(hits)),
            "ocr_char_accuracy": round(float(np.mean([measure.char_accuracy(r or "", w) for r, w in zip(reads, words)])), 4),
            "identity_top1": round(top1, 4), "identity_top1_ci95": wilson(top1, n_subjects), "subjects": n_subjects}


def _step(source: str, preset: str):
    if source != "runs":
        return None
    ck = common.load_checkpoint("denoiser-" + preset)
    return None if ck is None else ck["step"]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--source", choices=["runs", "weights"], default="runs")
    ap.add_argument("--preset", choices=["v1", "v2"], default="v2")
    ap.add_argument("--per-count", type=int, default=8, help="prompts per subject count (1, 2, 3)")
    ap.add_argument("--t", type=float, nargs="+", default=[0.5, 0.7])
    ap.add_argument("--raw", action="store_true", help="with --source runs: the raw weights instead of the EMA")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", default=None, help="also write the JSON here (through a temporary file)")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    if a.raw and a.source != "runs":
        ap.error("--raw needs --source runs")
    result = run(a.source, a.preset, a.per_count, a.t, a.raw)
    text = json.dumps(result, indent=1)
    print(text)
    if a.out:
        tmp = a.out + ".tmp"
        with open(tmp, "w") as f:
            f.write(text + "\n")
        os.replace(tmp, a.out)


if __name__ == "__main__":
    main()
