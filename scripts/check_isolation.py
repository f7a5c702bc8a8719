"""Cavendish survives HDF5 files that crash or hang libhdf5 (issue 18, defect 3).

`cavendish kernels check`: runs the damaged case files of Tests/Fixtures/damaged-hdf5 (which crash
and hang libhdf5 1.10), the hostile cases of Tests/Fixtures/hostile-cases and a folder of good cases
in one isolated run, and checks that every damaged file is one `error` with a reason, every hostile
case has the status `expected.json` gives, and every good case still passes.

`cavendish generate --weights DIR`: a weights folder whose manifest matches a damaged VAE file
(Tests/Fixtures/damaged-weights/vae-segfaults-libhdf5.h5) must end with an error naming the file, not a crash.

HEIF files that make libheif 1.15 start threads until it aborts (Tests/Fixtures/damaged-heic, found by
fuzzing), read by `cavendish provenance check` beside a good HEIC: each damaged file one error, the good one
still read. Where libheif aborts (Debian's 1.15.1-1+deb12u1) the error names the crash of the worker child;
Debian's security update 1.15.1-1+deb12u3 (with libde265 1.0.11-1+deb12u4) rejects the same files itself
("Image reference cycle"), and the error is libheif's.

    python3 scripts/check_isolation.py --binary .build/debug/cavendish
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "Tests", "Fixtures")


def check_damaged_weights(binary: str) -> list[str]:
    """A weights folder with a consistent manifest and a VAE file that crashes libhdf5."""
    import hashlib
    import shutil
    import tempfile
    weights = os.path.join(ROOT, "Weights")
    damaged = os.path.join(FIXTURES, "damaged-weights", "vae-segfaults-libhdf5.h5")
    with tempfile.TemporaryDirectory(prefix="cavendish-damaged-weights-") as folder:
        for name in os.listdir(weights):
            if name not in ("manifest.json", "nb-mini-vae.h5"):
                os.symlink(os.path.join(weights, name), os.path.join(folder, name))
        shutil.copyfile(damaged, os.path.join(folder, "nb-mini-vae.h5"))
        manifest = json.load(open(os.path.join(weights, "manifest.json")))
        for entry in manifest["files"]:
            if entry["file"] == "nb-mini-vae.h5":
                entry["sha256"] = hashlib.sha256(open(damaged, "rb").read()).hexdigest()
        json.dump(manifest, open(os.path.join(folder, "manifest.json"), "w"))
        cache = os.path.join(folder, "cache")
        run = subprocess.run([binary, "generate", "--prompt", "a dog", "--weights", folder, "--out", os.path.join(folder, "x.png")],
                             capture_output=True, text=True, timeout=900, env=dict(os.environ, XDG_CACHE_HOME=cache))
    print(f"  damaged weights: exit {run.returncode}: {run.stderr.strip()[-300:]}")
    if run.returncode != 1 or "nb-mini-vae.h5" not in run.stderr or "separate process" not in run.stderr:
        return [f"generate on a damaged weights folder: exit {run.returncode}, stderr {run.stderr[-500:]!r}; expected exit 1 naming the file"]
    return []


def check_damaged_heic(binary: str) -> list[str]:
    """HEIF files that abort libheif, then a good one, in one command."""
    folder = os.path.join(FIXTURES, "damaged-heic")
    damaged = sorted(os.path.join(folder, f) for f in os.listdir(folder) if f.endswith(".heic"))
    good = os.path.join(FIXTURES, "library", "quadrants.heic")
    run = subprocess.run([binary, "provenance", "check", *damaged, good, "--json"], capture_output=True, text=True, timeout=300)
    problems = []
    try:
        results = {r["file"]: r for r in map(json.loads, run.stdout.splitlines())}
    except json.JSONDecodeError:
        return [f"provenance check on damaged HEIC files: exit {run.returncode}, no JSON lines; stderr {run.stderr[-500:]!r}"]
    if run.returncode != 1 or set(results) != set(damaged + [good]):
        problems.append(f"provenance check on damaged HEIC files: exit {run.returncode} with {len(results)} results, expected 1 with {len(damaged) + 1}")
    for path in damaged:
        message = results.get(path, {}).get("error") or ""
        print(f"  damaged {os.path.basename(path)}: {message}")
        if "crashed with signal" not in message and not message.startswith("libheif:"):
            problems.append(f"{os.path.basename(path)}: {message!r}, expected the crash named or libheif's own error")
    if results.get(good, {}).get("error") is not None:
        problems.append(f"quadrants.heic after the damaged files: {results[good]['error']!r}")
    return problems


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", default=os.path.join(ROOT, ".build", "debug", "cavendish"))
    args = ap.parse_args()
    damaged = os.path.join(FIXTURES, "damaged-hdf5")
    hostile = os.path.join(FIXTURES, "hostile-cases")
    good = os.path.join(FIXTURES, "kernel-cases", "Exp")
    run = subprocess.run([args.binary, "kernels", "check", damaged, hostile, good, "--json", "--timeout", "10"],
                         capture_output=True, text=True, timeout=600)
    problems = []
    if run.returncode != 1:
        problems.append(f"exit status {run.returncode}, expected 1 (errors reported, run completed)")
    try:
        report = json.loads(run.stdout)
    except json.JSONDecodeError:
        print(f"check_isolation: no JSON report; stderr: {run.stderr[-2000:]}", file=sys.stderr)
        return 1
    expected = json.load(open(os.path.join(hostile, "expected.json")))
    seen = {"damaged": 0, "hostile": 0, "good": 0}
    for r in report["results"]:
        name = os.path.basename(r["file"])[:-3]
        if r["file"].startswith(damaged):
            seen["damaged"] += 1
            if r["status"] != "error" or not r["message"]:
                problems.append(f"{name}: {r['status']} {r['message']!r}, expected an error with a reason")
            print(f"  damaged {name}: {r['message']}")
        elif r["file"].startswith(hostile):
            seen["hostile"] += 1
            if r["status"] != expected.get(name):
                problems.append(f"{name}: {r['status']}, expected {expected.get(name)} ({r['message']})")
        else:
            seen["good"] += 1
            if r["status"] != "pass":
                problems.append(f"{name}: {r['status']} after the damaged files ({r['message']})")
    want = {"damaged": len([f for f in os.listdir(damaged) if f.endswith('.h5')]), "hostile": len(expected),
            "good": len([f for f in os.listdir(good) if f.endswith('.h5')])}
    if seen != want:
        problems.append(f"results per folder {seen}, expected {want}")
    problems += check_damaged_weights(args.binary)
    problems += check_damaged_heic(args.binary)
    for p in problems:
        print(f"check_isolation: {p}", file=sys.stderr)
    print(f"check_isolation: {report['cases']} cases, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
