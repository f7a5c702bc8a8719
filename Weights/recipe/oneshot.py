"""One-shot training on a large GPU: go on from the committed weights for a fixed wall-clock budget and
write what came of it (weights, logs, sample latents) to one output folder.

    python3 Weights/recipe/oneshot.py --out DIR [--minutes 9] [--batch 128]
    python3 Weights/recipe/oneshot.py --out /tmp/oneshot --dry-run     # on the CPU, ~2 minutes: try it first

What it does, in order (each stage is the recipe's own, through train.py, so a GPU run and a CPU run
train the same thing):
1. seeds a fresh runs folder (a temporary folder, not DIR) from the committed Weights/*.h5 (seed_runs.py);
2. runs `denoiser-v2` (layout, glyphs, distilled guidance) on from the committed v2 with the batch and
   learning rate scaled for the GPU, for most of the budget, stopping cleanly at the deadline;
3. writes DIR/v2-ema-partN.npz (the EMA weights in float16, split so that no file exceeds 15 MiB),
   DIR/log.jsonl (the stage's log), DIR/samples.npz (8-step v2 latents of 8 validation prompts) and
   DIR/summary.json (steps, samples seen, wall time, device).

Bring DIR back, then `python3 Weights/recipe/oneshot.py --import DIR` rebuilds runs/denoiser-v2 from it
(done at the step reached), and export.py, golden.py and evaluate.py go on as after any CPU run.
Data (world scenes, reference photos, captions) is drawn on the CPU in the training process, so on a
GPU the step rate is bounded by it; the budget's split between stages is in PLAN.
"""
from __future__ import annotations

import argparse
import glob
import json
import os
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402

SHARD_BYTES = 15 << 20
# Share of the budget per stage (the rest is seeding, writing and sampling).
PLAN = {"denoiser-v2": 0.8}


def run(out: str, minutes: float, batch: int, dry: bool) -> None:
    os.makedirs(out, exist_ok=True)
    # Checkpoints and the latent cache stay outside the output folder, which carries only the results.
    os.environ["CAVENDISH_RUNS"] = tempfile.mkdtemp(prefix="cavendish-oneshot-runs-")
    import torch
    from recipe import common, seed_runs, train
    common.RUNS = os.environ["CAVENDISH_RUNS"]
    device = "cpu" if dry else "cuda"
    if not dry and not torch.cuda.is_available():
        raise SystemExit("oneshot: no CUDA device here; use --dry-run to try the script on the CPU")
    t0 = time.time()
    seed_runs.main([])
    start_step = common.load_checkpoint("denoiser-v2")["step"]
    hours = PLAN["denoiser-v2"] * minutes / 60
    lr = 2e-4 * (batch / 16) ** 0.5   # square-root scaling from the CPU recipe's batch of 16
    extra = ["--set", "total_steps=%d" % (start_step + (3 if dry else 100000)), "--set", f"batch={batch}",
             "--set", f"lr={lr:.6g}", "--set", "ref_lr_mult=3.0", "--set", "ema=0.998", "--set", "checkpoint_seconds=60"]
    train.main(["--stage", "denoiser-v2", "--device", device, "--threads", "8", "--hours", f"{hours:.6f}"] + extra)
    ck = common.load_checkpoint("denoiser-v2")
    write_outputs(out, ck, device, start_step, time.time() - t0, batch)


def write_outputs(out: str, ck: dict, device: str, start_step: int, seconds: float, batch: int) -> None:
    from recipe import common
    shards, current, size = [], {}, 0
    for k, v in ck["ema_dit"].items():
        a = v.detach().cpu().numpy()
        a = a.astype(np.float16) if a.dtype.kind == "f" else a
        if current and size + a.nbytes > SHARD_BYTES:
            shards.append(current)
            current, size = {}, 0
        current[k] = a
        size += a.nbytes
    shards.append(current)
    for i, shard in enumerate(shards):
        np.savez(os.path.join(out, f"v2-ema-part{i}.npz"), **shard)
    shutil.copy(os.path.join(common.RUNS, "denoiser-v2", "log.jsonl"), os.path.join(out, "log.jsonl"))
    latents = sample_latents(device)
    np.savez(os.path.join(out, "samples.npz"), **latents)
    summary = {"device": device, "start_step": start_step, "end_step": ck["step"], "batch": batch,
               "samples_seen": (ck["step"] - start_step) * batch, "seconds": round(seconds, 1),
               "dit_config": ck["dit_config"], "train_config": ck["train_config"], "shards": len(shards)}
    with open(os.path.join(out, "summary.json"), "w") as f:
        json.dump(summary, f, indent=2)
    print(json.dumps(summary))


def sample_latents(device: str, n: int = 8) -> dict:
    """8-step v2 latents of the first n validation prompts (evaluate.py's validation set), seeds fixed."""
    import torch
    from recipe import evaluate
    from recipe.pipeline import Pipeline
    pipe = Pipeline("v2", device=device, source="runs")
    out = {}
    for i, it in enumerate(evaluate.prompt_set(max(1, n // 3 + 1), "validation")[:n]):
        with torch.no_grad():
            _, z = pipe.generate(it["prompt"], it["refs"], seed=it["seed"], return_latent=True)
        out[f"latent_{i}"] = z.float().cpu().numpy()
        out[f"prompt_{i}"] = np.array(it["prompt"])
    return out


def import_outputs(folder: str) -> None:
    """Rebuilds runs/denoiser-v2 (done at the step reached) from a one-shot output folder."""
    import torch
    from recipe import common
    with open(os.path.join(folder, "summary.json")) as f:
        summary = json.load(f)
    state = {}
    for path in sorted(glob.glob(os.path.join(folder, "v2-ema-part*.npz"))):
        with np.load(path) as z:
            state.update({k: torch.from_numpy(z[k].astype(np.float32) if z[k].dtype == np.float16 else z[k]) for k in z.files})
    ref = common.load_checkpoint("denoiser-v2") or {}
    ck = {"dit": state, "ema_dit": state, "ref": ref.get("ref"), "ema_ref": ref.get("ema_ref"), "dit_config": summary["dit_config"],
          "ref_config": ref.get("ref_config"), "step": summary["end_step"], "done": True, "train_config": summary["train_config"],
          "vae_tag": ref.get("vae_tag", ""), "metrics": {}, "ref_source": "refenc", "seeded_from": f"oneshot {folder}"}
    if ck["ref"] is None:
        raise SystemExit("import: runs/denoiser-v2 has no reference encoder to keep; run seed_runs.py first")
    common.save_checkpoint("denoiser-v2", ck)
    print(f"runs/denoiser-v2: step {ck['step']} from {folder}")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", help="output folder (created)")
    ap.add_argument("--minutes", type=float, default=9.0, help="wall-clock budget (default 9)")
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--dry-run", action="store_true", help="on the CPU: 3 steps at batch 2, ~2 minutes")
    ap.add_argument("--import", dest="import_from", metavar="DIR", help="rebuild runs/denoiser-v2 from a one-shot output folder")
    a = ap.parse_args(argv)
    if a.import_from:
        return import_outputs(a.import_from)
    if not a.out:
        ap.error("--out DIR is required (or --import DIR)")
    run(a.out, 2.0 if a.dry_run else a.minutes, 2 if a.dry_run else a.batch, a.dry_run)


if __name__ == "__main__":
    main()
