#!/usr/bin/env python3
"""Runs `cavendish bench generate --json` (and optionally `cavendish kernels bench --json`) several times and
writes every report, with the commit and the command, into one JSON file; prints issue 14's figures per run.

    python3 scripts/bench_runs.py --binary .build/release/cavendish --runs 3 \
        --out notebooks-exports/generate-bench.json [--kernels-out notebooks-exports/kernel-bench-interleaved.json]

Each run is a separate process, so each starts cold the same way. Nothing else should run meanwhile (pause a
training job with kill -STOP). `--out` is replaced (its reports carry the weights' SHA-256, which
scripts/check_exports.py compares with the manifest); the kernel runs, which depend on no weights, are
appended to `--kernels-out`'s `runs_kernels`. Files are written to a temporary file and renamed.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# (label, JSON path in ratio_rounds, target): the ratio targets that bench generate measures.
TARGETS = [
    ("DiT v2 step, ours / ONNX Runtime", ("dit_v2_step_ms", "onnxruntime"), "<= 0.75"),
    ("DiT v1 step, ours / ONNX Runtime", ("dit_v1_step_ms", "onnxruntime"), ""),
    ("VAE decode, ours / ONNX Runtime", ("vae_decode_ms", "onnxruntime"), "<= 0.90"),
    ("DiT v2 step, bf16 switch / ONNX Runtime float32", ("dit_v2_step_ms", "ours_bf16/onnxruntime"), "<= 0.50"),
    ("DiT v2 step, bf16 switch / PyTorch bf16", ("dit_v2_step_ms", "ours_bf16/torch_bf16"), "<= 0.75"),
    ("DiT v2 step, bf16 switch / our float32", ("dit_v2_step_ms", "ours_bf16/ours"), ""),
    ("DiT v2 step, ours / PyTorch float32", ("dit_v2_step_ms", "torch"), ""),
    ("DiT v2 step, fused / unfused", ("dit_v2_step_ms", "ours_unfused"), ""),
    ("DiT v1 step, fused / unfused", ("dit_v1_step_ms", "ours_unfused"), ""),
]


def run(cmd: list) -> dict:
    out = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    if out.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({out.returncode}): {out.stderr[-2000:]}")
    return json.loads(out.stdout)


def write(path: str, obj: dict) -> None:
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(obj, f, indent=1)
        f.write("\n")
    os.replace(tmp, path)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", default=os.path.join(ROOT, ".build/release/cavendish"))
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--images", type=int, default=3)
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--out", required=True)
    ap.add_argument("--kernels-out")
    ap.add_argument("--label", default="")
    a = ap.parse_args()
    commit = subprocess.run(["git", "-C", ROOT, "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    cmd = [a.binary, "bench", "generate", "--images", str(a.images), "--rounds", str(a.rounds), "--json"]
    runs, kernel_runs = [], []
    for i in range(a.runs):
        print(f"run {i + 1}/{a.runs}: {' '.join(cmd[1:])}", file=sys.stderr, flush=True)
        runs.append({"label": a.label, "commit": commit, "command": "cavendish " + " ".join(cmd[1:]), "report": run(cmd)})
        if a.kernels_out:
            kcmd = [a.binary, "kernels", "bench", "--json"]
            print(f"run {i + 1}/{a.runs}: {' '.join(kcmd[1:])}", file=sys.stderr, flush=True)
            kernel_runs.append({"label": a.label, "commit": commit, "command": "cavendish " + " ".join(kcmd[1:]), "kernels": run(kcmd)})
    write(os.path.join(ROOT, a.out), {"description": "cavendish bench generate --json, one process per run, nothing else running; "
                                                     "every ratio is the median of per-round ratios with its quartiles", "runs": runs})
    if a.kernels_out:
        path = os.path.join(ROOT, a.kernels_out)
        kept = json.load(open(path)) if os.path.exists(path) else {"what": "cavendish kernels bench --json", "runs_kernels": []}
        kept["runs_kernels"] = kept.get("runs_kernels", []) + kernel_runs
        write(path, kept)
    print("| figure | target | " + " | ".join(f"run {i + 1}" for i in range(len(runs))) + " |")
    print("|---|---|" + "---|" * len(runs))
    for label, (key, other), target in TARGETS:
        cells = []
        for r in runs:
            q = r["report"]["ratio_rounds"].get(key, {}).get(other)
            cells.append("-" if q is None else f"{q['median']:.2f} [{q['q1']:.2f}, {q['q3']:.2f}]" + ("" if q["conclusive"] else " (wide)"))
        print(f"| {label} | {target} | " + " | ".join(cells) + " |")
    print("| v1 / v2 end to end | >= 10 | " + " | ".join(f"{r['report']['speedup_v1_over_v2']:.1f}" for r in runs) + " |")
    print("| peak resident memory, v2 | < 0.5 GB | " + " | ".join(f"{r['report']['peak_resident_bytes'] / 1e6:.0f} MB" for r in runs) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
