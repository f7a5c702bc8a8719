"""Rebuild finished-stage checkpoints in runs/ from the committed Weights/*.h5, so that a fresh machine
(whose runs/ is empty) can go on training from the committed weights instead of from nothing.

    python3 Weights/recipe/seed_runs.py [--stages vae,vae-decoder,refenc,denoiser-v1,denoiser-v2,judges]

A seeded checkpoint holds the exported (EMA, float16-rounded) weights as both the raw and the EMA weights,
is marked done at the committed step count, and has no optimizer state: a stage that goes on from it
(a larger total_steps) starts a fresh optimizer, which common.restore allows for seeded checkpoints only.
Stages whose checkpoint already exists are left alone. The hours the committed weights took (from the
committed manifest, superseded runs included) are written to runs/history.json, which export.py adds to
the hours logged since, so the manifest's training total stays whole across machines.
"""
from __future__ import annotations

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import torch  # noqa: E402

from recipe import common, weights, world  # noqa: E402

SEEDABLE = ["vae", "vae-decoder", "refenc", "denoiser-v1", "denoiser-v2", "judges"]
HISTORY = "history.json"


def _manifest() -> dict:
    with open(os.path.join(common.WEIGHTS, "manifest.json")) as f:
        return json.load(f)


def _record(stage: str, manifest: dict) -> dict:
    st = manifest["stages"].get(stage, {})
    return {"done": True, "train_config": st.get("train_config", {}), "metrics": st.get("metrics", {}),
            "generator_version": world.GENERATOR_VERSION, "seeded_from": "Weights (committed)"}


def seed(stage: str, manifest: dict) -> str:
    """Writes runs/<stage>/checkpoint.pt from the committed weights; returns what it did."""
    if common.load_checkpoint(stage) is not None:
        return "kept (checkpoint exists)"
    rec = _record(stage, manifest)
    if stage in ("vae", "vae-decoder"):
        s, c, attrs = weights.read("nb-mini-vae.h5")
        if stage == "vae":
            common.save_checkpoint(stage, {**rec, "model": s, "model_config": c, "step": int(attrs["training_steps"])})
            return f"seeded at step {int(attrs['training_steps'])}"
        steps = int(attrs.get("decoder_finetune_steps", 0))
        if steps == 0 or stage not in manifest["stages"] or not c.get("glyph_conditioning"):
            return "skipped (the committed VAE has no glyph-conditioned decoder)"
        dec = {k[len("decoder."):]: v for k, v in s.items() if k.startswith("decoder.")}
        common.save_checkpoint(stage, {**rec, "decoder": dec, "model_config": c, "step": steps})
        return f"seeded at step {steps}"
    if stage == "refenc":
        s, c, attrs = weights.read("nb-mini-refenc.h5")
        step = manifest["stages"]["refenc"]["step"]
        common.save_checkpoint(stage, {**rec, "ref": s, "ref_config": c, "step": step})
        return f"seeded at step {step}"
    if stage == "judges":
        if not os.path.exists(os.path.join(common.WEIGHTS, "nb-mini-judges.h5")):
            return "skipped (no committed judges)"
        s, _, attrs = weights.read("nb-mini-judges.h5")
        parts = {p: {k[len(p) + 1:]: v for k, v in s.items() if k.startswith(p + ".")} for p in ("scene", "identity")}
        common.save_checkpoint(stage, {**rec, **parts, "step": int(attrs["training_steps"])})
        return f"seeded at step {int(attrs['training_steps'])}"
    preset = stage[-2:]
    s, c, attrs = weights.read(f"nb-mini-{preset}.h5")
    rs, rc, _ = weights.read("nb-mini-refenc.h5")
    step = int(attrs["training_steps"])
    common.save_checkpoint(stage, {**rec, "dit": s, "ema_dit": s, "ref": rs, "ema_ref": rs, "dit_config": c,
                                   "ref_config": rc, "step": step, "vae_tag": str(attrs["vae_tag"]),
                                   "ref_source": manifest["stages"][stage].get("reference_encoder", "refenc")})
    return f"seeded at step {step}"


def history_hours() -> dict:
    """{stage or superseded run: hours} spent before the seeded checkpoints; {} when nothing was seeded."""
    path = os.path.join(common.RUNS, HISTORY)
    if not os.path.exists(path):
        return {}
    with open(path) as f:
        return json.load(f)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--stages", default=",".join(SEEDABLE))
    a = ap.parse_args(argv)
    manifest = _manifest()
    for stage in a.stages.split(","):
        if stage not in SEEDABLE:
            raise SystemExit(f"unknown stage {stage!r}; seedable: {', '.join(SEEDABLE)}")
        print(f"{stage}: {seed(stage, manifest)}")
    path = os.path.join(common.RUNS, HISTORY)
    if not os.path.exists(path):
        hist = {k: v.get("hours", 0.0) for k, v in manifest["stages"].items()}
        if common.load_checkpoint("vae-decoder") is None and "vae-decoder" in hist:
            hist["vae-decoder-textonly"] = hist.pop("vae-decoder")   # superseded by the glyph decoder
        hist.update(manifest.get("superseded_runs", {}))
        os.makedirs(common.RUNS, exist_ok=True)
        common.atomic_write(path, lambda p: open(p, "w").write(json.dumps(hist, indent=2) + "\n"))
        print(f"wrote {path}: {sum(hist.values()):.3f} h before this machine")


if __name__ == "__main__":
    torch.set_num_threads(1)
    main()
