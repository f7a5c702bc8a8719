#!/usr/bin/env python3
"""Run a `cavendish sweep` on a Ray cluster: one Ray task per shard, then the table on the driver.

    ray start --head --num-cpus 2                  # or an existing cluster
    python3 scripts/sweep_ray.py SPEC.json --out DIR --shards 4 [--address auto] [--cavendish PATH]

Each task runs `cavendish sweep SPEC --out DIR --shard I/N` (rows I, I+N, ...) with its own resident pipeline
and CAVENDISH_THREADS set to the CPUs Ray gave it, writing rows/<row_id>.json and images/ into the shared
folder DIR; the driver then runs `cavendish sweep SPEC --out DIR --collect`, which builds table.csv,
table.jsonl and the contact sheets exactly as the local runner does. DIR must be on storage every node sees
(on one node any folder is). Finished rows are kept, so running it again resumes.

Why Ray rather than Slurm job arrays: it installs from PyPI into the Python environment researchers already
use for the analysis, a single-node cluster is one command (`ray start --head`) with no daemons to
configure, and the same script reaches a multi-node cluster by its address. A Slurm array maps onto the
same shards (`--shard $SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT`), since sharding lives in the tool.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys


def cavendish_binary(given: str | None) -> str:
    if given:
        return os.path.abspath(given)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    for candidate in (os.path.join(root, ".build", "release", "cavendish"), os.path.join(root, ".build", "debug", "cavendish"),
                      shutil.which("cavendish") or ""):
        if candidate and os.path.exists(candidate):
            return candidate
    sys.exit("sweep_ray.py: no cavendish binary (build it with `swift build -c release`, or pass --cavendish PATH)")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("spec", help="the sweep spec (JSON), as `cavendish sweep` takes it")
    ap.add_argument("--out", required=True, help="the sweep folder, on storage every node sees")
    ap.add_argument("--shards", type=int, default=2, help="Ray tasks, each running every N-th row (default 2)")
    ap.add_argument("--cpus-per-shard", type=float, default=1.0, help="CPUs Ray reserves for each task (default 1)")
    ap.add_argument("--address", default="auto", help="the Ray cluster (default: auto, the one `ray start` began)")
    ap.add_argument("--cavendish", default=None, help="the cavendish binary (default: this checkout's release build)")
    ap.add_argument("--weights", default=None, help="the weights folder, passed on to cavendish")
    a = ap.parse_args()
    if a.shards < 1:
        ap.error("--shards must be at least 1")
    try:
        import ray
    except ImportError:
        sys.exit("sweep_ray.py: Ray is not installed (pip install 'ray[default]')")
    exe = cavendish_binary(a.cavendish)
    spec, out = os.path.abspath(a.spec), os.path.abspath(a.out)
    extra = ["--weights", os.path.abspath(a.weights)] if a.weights else []
    ray.init(address=a.address, log_to_driver=False)

    @ray.remote(num_cpus=a.cpus_per_shard)
    def shard(i: int) -> tuple[int, int, str]:
        env = dict(os.environ, CAVENDISH_THREADS=str(max(1, int(a.cpus_per_shard))))
        p = subprocess.run([exe, "sweep", spec, "--out", out, "--shard", f"{i}/{a.shards}", "--progress", "none", *extra],
                           env=env, capture_output=True, text=True)
        return i, p.returncode, p.stderr[-2000:]

    failed = []
    for i, code, err in ray.get([shard.remote(i) for i in range(a.shards)]):
        print(f"shard {i}/{a.shards}: {'ok' if code == 0 else f'exit {code}'}", flush=True)
        if code != 0:
            failed.append(i)
            sys.stderr.write(err)
    ray.shutdown()
    if failed:
        print(f"sweep_ray.py: shards {failed} failed; run the same command again to resume", file=sys.stderr)
        return 1
    return subprocess.run([exe, "sweep", spec, "--out", out, "--collect", *extra]).returncode


if __name__ == "__main__":
    sys.exit(main())
