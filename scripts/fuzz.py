"""Seeded mutation fuzzing of every loader a user's file reaches (issue 18).

Each target is one loader behind `cavendish fuzz-target TARGET FILE...`: kernel case files (HDF5, parsed
and run), NB-mini weight files (HDF5 with a config), safetensors, PNG, JPEG, HEIC, Google Takeout
sidecars, XMP packets, labels.json, chip JSON and PNGs' C2PA manifests. The seeds are Tests/Fixtures/fuzz-seeds/<target>/
(`--make-seeds` writes them from the committed fixtures). Mutants are made from the seeds with a seeded
generator (bit flips, interesting integers, deleted, repeated and spliced chunks, truncation), fed in
batches to one child process, and watched: a child that dies (a signal) or stops answering (`--timeout`
per input) is a finding, saved with the input under `--findings`. A loader that throws is the expected
outcome for most mutants. Children run with SWIFT_BACKTRACE off, and their resident memory is watched
(`--memory-gb`, polled every 0.2 s): an input that makes them hold gigabytes is a finding ("memory")
instead of a machine brought down. (Resident, not address space: thread stacks and the Swift runtime
reserve large address ranges they never touch, which an address-space limit turns into crashes.)

    python3 scripts/fuzz.py --executions 200                      # every target briefly (the test command)
    python3 scripts/fuzz.py --seconds 1800 --targets png,jpeg     # a long run of two targets
    python3 scripts/fuzz.py --seconds 1800 --jobs 5 --report Benchmarks/fuzz/fuzz-report.json

The report (JSON) gives, per target: executions, executions per second, crashes, hangs, the children's
peak resident memory, and the saved findings; plus the machine, the commit and the seed. The exit status
is 1 when any target had a finding.
"""
from __future__ import annotations

import argparse
import concurrent.futures
import hashlib
import json
import os
import platform
import random
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SEEDS = os.path.join(ROOT, "Tests", "Fixtures", "fuzz-seeds")
TARGETS = ["hdf5-case", "weights", "safetensors", "png", "jpeg", "heic", "takeout", "xmp", "labels", "chip", "c2pa"]
INTERESTING = [0, 1, 0x7F, 0x80, 0xFF, 0x7FFF, 0x8000, 0xFFFF, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF,
               0x7FFFFFFFFFFFFFFF, 0x8000000000000000, 0xFFFFFFFFFFFFFFFF, 40000, 1 << 30, 1 << 40]


def make_seeds() -> None:
    """Writes the seed corpora from the committed fixtures (small files only)."""
    fx = os.path.join(ROOT, "Tests", "Fixtures")
    demo = os.path.join(ROOT, "Weights", "demo-library")
    copies = {
        "hdf5-case": [f"{fx}/io/case.h5", f"{fx}/kernel-cases/Exp/exp_bf16_4x9.h5",
                      f"{fx}/hostile-cases/slice_step_int64_max.h5"],
        "safetensors": [f"{fx}/io/tensors.safetensors"],
        "png": [f"{fx}/io/gray.png", f"{fx}/io/rgb.png", f"{fx}/io/rgba.png"],
        "jpeg": [f"{fx}/library/cmyk.jpg", f"{fx}/library/embedded-xmp.jpg", f"{fx}/library/orientation/orient-6.jpg"],
        "heic": [f"{fx}/library/quadrants.heic"],
        "c2pa": [f"{fx}/c2pa/signed-by-cavendish.png", f"{fx}/c2pa/signed-by-c2pa-rs.png"],
        "labels": [f"{demo}/Phone/labels.json"],
        "takeout": sorted(os.path.join(dp, f) for dp, _, fs in os.walk(f"{demo}/Takeout") for f in fs if f.endswith(".json"))[:2],
    }
    for target, files in copies.items():
        folder = os.path.join(SEEDS, target)
        os.makedirs(folder, exist_ok=True)
        for i, f in enumerate(files):
            shutil.copyfile(f, os.path.join(folder, f"seed{i}{os.path.splitext(f)[1]}"))
    folder = os.path.join(SEEDS, "xmp")
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "seed0.xmp"), "w") as f:
        f.write('<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
                '<rdf:Description xmlns:mwg-rs="http://www.metadataworkinggroup.com/schemas/regions/" '
                'xmlns:stArea="http://ns.adobe.com/xmp/sType/Area#"><mwg-rs:Regions><mwg-rs:RegionList><rdf:Bag>'
                '<rdf:li><rdf:Description mwg-rs:Name="Ava Hart" mwg-rs:Type="Face"><mwg-rs:Area stArea:x="0.5" '
                'stArea:y="0.4" stArea:w="0.2" stArea:h="0.3" stArea:unit="normalized"/></rdf:Description></rdf:li>'
                '<rdf:li rdf:parseType="Resource"><mwg-rs:Name>Biscuit</mwg-rs:Name><mwg-rs:Type>Pet</mwg-rs:Type></rdf:li>'
                '</rdf:Bag></mwg-rs:RegionList></mwg-rs:Regions></rdf:Description></rdf:RDF></x:xmpmeta>\n')
    folder = os.path.join(SEEDS, "chip")
    os.makedirs(folder, exist_ok=True)
    binary = os.path.join(ROOT, ".build", "debug", "cavendish")
    for chip in ["v5e", "v4"]:
        out = subprocess.run([binary, "simulate", "hw", "--hw", chip, "--json"], capture_output=True, text=True, check=True).stdout
        with open(os.path.join(folder, f"{chip}.json"), "w") as f:
            f.write(out)
    # A weight file in miniature: the VAE's root attributes (component, config, steps) and two small tensors.
    import h5py
    import numpy as np
    folder = os.path.join(SEEDS, "weights")
    os.makedirs(folder, exist_ok=True)
    with h5py.File(os.path.join(ROOT, "Weights", "nb-mini-vae.h5"), "r") as src, \
            h5py.File(os.path.join(folder, "seed0.h5"), "w", libver=("v108", "v108")) as dst:
        for k, v in src.attrs.items():
            dst.attrs[k] = v
        dst.create_dataset("decoder.conv_in.bias", data=np.arange(8, dtype=np.float16), track_times=False)
        dst.create_dataset("decoder.conv_in.weight", data=np.ones((2, 2, 3, 3), np.float32), track_times=False)
    print(f"wrote the seed corpora under {SEEDS}")


def mutate(rng: random.Random, data: bytes, others: list[bytes]) -> bytes:
    b = bytearray(data)
    for _ in range(rng.choice([1, 1, 2, 3, 5, 8])):
        if not b:
            b = bytearray(rng.randbytes(rng.randint(1, 64)))
        kind = rng.randrange(8)
        i = rng.randrange(len(b))
        if kind == 0:
            b[i] ^= 1 << rng.randrange(8)
        elif kind == 1:
            b[i] = rng.choice([0, 0xFF, 0x7F, 0x80, rng.randrange(256)])
        elif kind == 2:
            width = rng.choice([2, 4, 8])
            value = rng.choice(INTERESTING) & ((1 << (8 * width)) - 1)
            order = rng.choice(["little", "big"])
            b[i:i + width] = value.to_bytes(width, order)
        elif kind == 3:
            j = min(len(b), i + rng.randint(1, 64))
            del b[i:j]
        elif kind == 4:
            j = min(len(b), i + rng.randint(1, 64))
            b[i:i] = b[i:j] * rng.randint(1, 8)
        elif kind == 5 and others:
            other = rng.choice(others)
            if other:
                k = rng.randrange(len(other))
                b[i:i + rng.randint(1, 64)] = other[k:k + rng.randint(1, 64)]
        elif kind == 6:
            del b[rng.randint(1, len(b)):]
        else:
            digits = str(rng.choice([10**30, -(2**63), 2**64, 99999999999, -1, 0]))
            b[i:i + rng.randint(1, 4)] = digits.encode()
    return bytes(b)


def resident_bytes(pid: int) -> int:
    """Resident memory of `pid` and its children (the isolated runners' grandchildren), from /proc."""
    total = 0
    try:
        with open(f"/proc/{pid}/status") as f:
            total += next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmRSS:"))
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            for child in f.read().split():
                total += resident_bytes(int(child))
    except (OSError, StopIteration, ValueError):
        pass
    return total


def run_batch(binary, target, paths, timeout, memory_gb):
    """Feeds `paths` to one child; returns (done, finding kind or None, index of the culprit, peak RSS KB)."""
    env = dict(os.environ, SWIFT_BACKTRACE="enable=no", OPENBLAS_NUM_THREADS="1")
    # A session of its own, so that a kill takes the child's children too (an isolated case's child
    # stuck in libhdf5 outlived its killed parent and held a core for an hour).
    p = subprocess.Popen([binary, "fuzz-target", target, *paths], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env,
                         start_new_session=True)

    def kill():
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    done, buffer, finding = 0, b"", None
    last = time.monotonic()
    fd = p.stdout.fileno()
    while True:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            buffer += chunk
            while b"\n" in buffer:
                line, buffer = buffer.split(b"\n", 1)
                if line.startswith((b"OK\t", b"ERR\t")):
                    done = int(line.split(b"\t")[1]) + 1
                    last = time.monotonic()
        elif time.monotonic() - last > timeout:
            kill()
            finding = "hang"
            break
        if resident_bytes(p.pid) > memory_gb * (1 << 30):
            kill()
            finding = "memory"
            break
    _, status, usage = os.wait4(p.pid, 0)
    kill()   # whatever of the session is left
    if finding is None and done < len(paths):
        finding = "crash" if os.WIFSIGNALED(status) else f"exit {os.WEXITSTATUS(status)}"
    if finding == "crash" and os.WIFSIGNALED(status):
        finding = f"crash ({signal.Signals(os.WTERMSIG(status)).name})"
    return done, finding, done, usage.ru_maxrss


def fuzz_target(binary, target, args, rng, scratch):
    seeds_dir = os.path.join(SEEDS, target)
    seeds = [open(os.path.join(seeds_dir, f), "rb").read() for f in sorted(os.listdir(seeds_dir))]
    suffix = os.path.splitext(sorted(os.listdir(seeds_dir))[0])[1]
    stats = {"executions": 0, "crashes": 0, "hangs": 0, "memory_bombs": 0, "peak_rss_mb": 0.0, "findings": []}
    start = time.monotonic()
    batch_index = 0
    while True:
        elapsed = time.monotonic() - start
        if args.seconds is not None and elapsed >= args.seconds:
            break
        if args.executions is not None and stats["executions"] >= args.executions:
            break
        n = args.batch if args.executions is None else min(args.batch, args.executions - stats["executions"])
        paths = []
        for j in range(n):
            data = mutate(rng, rng.choice(seeds), seeds) if batch_index or j else seeds[j % len(seeds)]
            path = os.path.join(scratch, f"{target}-{j}{suffix}")
            with open(path, "wb") as f:
                f.write(data)
            paths.append(path)
        batch_index += 1
        done, finding, culprit, rss = run_batch(binary, target, paths, args.timeout, args.memory_gb)
        stats["executions"] += done + (1 if finding else 0)
        stats["peak_rss_mb"] = max(stats["peak_rss_mb"], rss / 1024)
        if finding:
            stats[{"hang": "hangs", "memory": "memory_bombs"}.get(finding, "crashes")] += 1
            data = open(paths[culprit], "rb").read()
            os.makedirs(os.path.join(args.findings, target), exist_ok=True)
            saved = os.path.join(args.findings, target, f"{finding.split()[0]}-{hashlib.sha256(data).hexdigest()[:16]}{suffix}")
            with open(saved, "wb") as f:
                f.write(data)
            stats["findings"].append({"kind": finding, "file": os.path.relpath(saved, ROOT)})
            print(f"  {target}: {finding} on {saved}", flush=True)
    stats["seconds"] = round(time.monotonic() - start, 2)
    stats["executions_per_second"] = round(stats["executions"] / max(stats["seconds"], 1e-9), 1)
    stats["peak_rss_mb"] = round(stats["peak_rss_mb"], 1)
    return stats


def run_target(args, target):
    """One target with its own generator and scratch folder (a worker of `--jobs`)."""
    with tempfile.TemporaryDirectory(prefix=f"cavendish-fuzz-{target}-") as scratch:
        return fuzz_target(args.binary, target, args, random.Random(f"{args.seed}/{target}"), scratch)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", default=os.path.join(ROOT, ".build", "debug", "cavendish"))
    ap.add_argument("--targets", default="all", help="comma-separated, or 'all': " + ", ".join(TARGETS))
    budget = ap.add_mutually_exclusive_group()
    budget.add_argument("--seconds", type=float, help="time per target")
    budget.add_argument("--executions", type=int, help="inputs per target (deterministic: the same mutants every run)")
    ap.add_argument("--seed", type=int, default=18)
    ap.add_argument("--jobs", type=int, default=1, help="targets fuzzed at once (each is one process at a time)")
    ap.add_argument("--batch", type=int, default=100, help="inputs per child process")
    ap.add_argument("--timeout", type=float, default=10, help="seconds one input may take before it is a hang")
    ap.add_argument("--memory-gb", type=float, default=4, help="resident memory (the child and its children) past which an input is a memory bomb")
    ap.add_argument("--findings", default=os.path.join(ROOT, "fuzz-findings"), help="where crashing and hanging inputs are saved")
    ap.add_argument("--report", help="write the JSON report here (atomically)")
    ap.add_argument("--make-seeds", action="store_true", help="write the seed corpora from the fixtures, then stop")
    args = ap.parse_args()
    if args.make_seeds:
        make_seeds()
        return 0
    if args.seconds is None and args.executions is None:
        args.executions = 200
    targets = TARGETS if args.targets == "all" else args.targets.split(",")
    unknown = [t for t in targets if t not in TARGETS]
    if unknown:
        ap.error(f"unknown targets {unknown}; available: {', '.join(TARGETS)}")
    if not os.access(args.binary, os.X_OK):
        ap.error(f"{args.binary} is not an executable; build it with `swift build --product cavendish`")
    report = {"machine": {"cpu": platform.processor() or platform.machine(), "cores": os.cpu_count(),
                          "python": platform.python_version()},
              "commit": subprocess.run(["git", "-C", ROOT, "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip(),
              "binary": os.path.relpath(args.binary, ROOT), "seed": args.seed, "timeout_s": args.timeout,
              "memory_limit_gb": args.memory_gb, "targets": {}}
    report["jobs"] = args.jobs
    with concurrent.futures.ProcessPoolExecutor(max_workers=args.jobs) as pool:
        futures = {target: pool.submit(run_target, args, target) for target in targets}
        for target in targets:
            stats = futures[target].result()
            report["targets"][target] = stats
            print(f"fuzz {target:12s} {stats['executions']:7d} executions {stats['executions_per_second']:8.1f}/s "
                  f"{stats['crashes']} crashes {stats['hangs']} hangs {stats['memory_bombs']} memory bombs peak {stats['peak_rss_mb']:.0f} MB", flush=True)
    if args.report:
        os.makedirs(os.path.dirname(os.path.abspath(args.report)), exist_ok=True)
        tmp = args.report + ".tmp"
        with open(tmp, "w") as f:
            json.dump(report, f, indent=1)
            f.write("\n")
        os.replace(tmp, args.report)
    findings = sum(t["crashes"] + t["hangs"] + t["memory_bombs"] for t in report["targets"].values())
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
