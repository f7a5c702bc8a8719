#!/usr/bin/env python3
"""Checks `cavendish sweep` end to end on a small grid, and on Ray when asked.

    python3 scripts/check_sweep.py [--binary .build/release/cavendish] [--spec FILE] [--ray ADDRESS]

1. The local runner (one process) makes the grid: every row in the table, every image on disk and its
   pixels' SHA-256 as the table says, one contact sheet per pair of varied axes.
2. Resuming: with three rows' files deleted, the same command makes exactly those three again and the
   table's content columns (`SweepRecord.contentColumns`: what was made, not how long it took) are unchanged.
3. Two local workers (`--workers 2`) into a new folder give the same content columns.
4. The threads axis (Tests/Fixtures/sweeps/threads.json): each seed made on 1 and on 2 threads, byte for byte
   the same image.
5. With --ray: `scripts/sweep_ray.py` on that cluster (CI starts a single-node one with `ray start --head`)
   into a new folder gives the same content columns again.
Exits non-zero on the first difference, saying which row and column differ.
"""
from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONTENT = ["row", "row_id", "prompt_index", "prompt", "people", "layout", "preset", "seed", "steps", "guidance", "ref_scale", "sampler", "schedule",
           "cache_conditioning", "fused_attention", "memory_plan", "weight_precision", "image", "pixels_sha256", "model_sha256"]


def table(folder: str) -> list:
    with open(os.path.join(folder, "table.csv"), newline="") as f:
        return list(csv.DictReader(f))


def content(rows: list) -> list:
    return [{k: r[k] for k in CONTENT} for r in rows]


def same(a: list, b: list, what: str) -> None:
    if len(a) != len(b):
        sys.exit(f"check_sweep: {what}: {len(a)} rows against {len(b)}")
    for ra, rb in zip(content(a), content(b)):
        for k in CONTENT:
            if ra[k] != rb[k]:
                sys.exit(f"check_sweep: {what}: row {ra['row']} column {k}: {ra[k]!r} against {rb[k]!r}")


def pixels_sha256(png: str) -> str:
    from PIL import Image   # only for the check of the images against the table
    return hashlib.sha256(Image.open(png).convert("RGB").tobytes()).hexdigest()


def run(cmd: list, **kw) -> subprocess.CompletedProcess:
    p = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if p.returncode != 0:
        sys.exit(f"check_sweep: {' '.join(cmd)} failed ({p.returncode}):\n{p.stderr[-3000:]}")
    return p


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", default=os.path.join(ROOT, ".build", "release", "cavendish"))
    ap.add_argument("--spec", default=os.path.join(ROOT, "Tests", "Fixtures", "sweeps", "steps-guidance.json"))
    ap.add_argument("--ray", default=None, metavar="ADDRESS", help="also run the sweep on this Ray cluster (e.g. auto)")
    a = ap.parse_args()
    exe = os.path.abspath(a.binary)
    spec = json.load(open(a.spec))
    work = tempfile.mkdtemp(prefix="cavendish-sweep-")
    single = os.path.join(work, "single")
    run([exe, "sweep", a.spec, "--out", single, "--progress", "none"])
    rows = table(single)
    expected = len(spec["prompts"])
    for v in spec.get("axes", {}).values():
        expected *= len(v) if isinstance(v, list) else 1
    if isinstance(spec.get("axes", {}).get("seed"), str):
        seeds = 0
        for part in spec["axes"]["seed"].split(","):
            lo, _, hi = part.partition("-")
            seeds += int(hi or lo) - int(lo) + 1
        expected *= seeds
    if len(rows) != expected:
        sys.exit(f"check_sweep: the table has {len(rows)} rows, the spec's grid {expected}")
    try:
        for r in rows:
            got = pixels_sha256(os.path.join(single, r["image"]))
            if got != r["pixels_sha256"]:
                sys.exit(f"check_sweep: row {r['row']}: the image's pixels hash to {got}, the table says {r['pixels_sha256']}")
    except ImportError:
        print("check_sweep: PIL not installed; image hashes not checked against the table")
    varied = [k for k, v in spec.get("axes", {}).items() if (isinstance(v, list) and len(v) > 1) or isinstance(v, str)]
    sheets = sorted(os.listdir(os.path.join(single, "sheets")))
    want = len(varied) * (len(varied) - 1) // 2 if len(varied) > 1 else len(varied)
    if len(sheets) != want:
        sys.exit(f"check_sweep: {len(sheets)} contact sheets for {len(varied)} varied axes, expected {want}: {sheets}")

    # Resume: three rows lost, three rows made again, the rest kept.
    for r in rows[:3]:
        os.remove(os.path.join(single, "rows", r["row_id"] + ".json"))
    p = run([exe, "sweep", a.spec, "--out", single, "--progress", "none"])
    if f"{len(rows) - 3} of {len(rows)} rows already finished; making 3" not in p.stderr:
        sys.exit(f"check_sweep: resuming did not make exactly the 3 missing rows:\n{p.stderr[-2000:]}")
    same(rows, table(single), "resumed against first run")

    two = os.path.join(work, "two-workers")
    run([exe, "sweep", a.spec, "--out", two, "--workers", "2", "--progress", "none"])
    same(rows, table(two), "two local workers against one")
    workers = sorted({r["worker"] for r in table(two)})
    if workers != ["0/2", "1/2"]:
        sys.exit(f"check_sweep: two workers wrote rows as {workers}")

    # The threads axis: each value in its own process, and the same pixels on 1 and 2 threads.
    threads = os.path.join(work, "threads")
    run([exe, "sweep", os.path.join(os.path.dirname(a.spec), "threads.json"), "--out", threads, "--progress", "none"])
    by_seed = {}
    for r in table(threads):
        by_seed.setdefault(r["seed"], {})[r["threads"]] = r["pixels_sha256"]
    for seed, shas in sorted(by_seed.items()):
        if sorted(shas) != ["1", "2"] or len(set(shas.values())) != 1:
            sys.exit(f"check_sweep: threads axis, seed {seed}: {shas} (expected one image made on 1 and on 2 threads, the same bytes)")

    if a.ray:
        on_ray = os.path.join(work, "ray")
        run([sys.executable, os.path.join(ROOT, "scripts", "sweep_ray.py"), a.spec, "--out", on_ray, "--shards", "2",
             "--address", a.ray, "--cavendish", exe])
        same(rows, table(on_ray), "Ray against the local runner")
        print(f"check_sweep: Ray sweep matches the local runner ({len(rows)} rows)")
    print(f"check_sweep: ok, {len(rows)} rows, {len(sheets)} contact sheets, resume and two workers agree ({work})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
