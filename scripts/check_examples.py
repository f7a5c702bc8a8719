#!/usr/bin/env python3
"""Runs every example that `cavendish ... --help` and the README show, as written, and fails if one fails.

    python3 scripts/check_examples.py [--binary .build/debug/cavendish] [--list] [--only TEXT]

An example is a line of a help page indented by two spaces that starts with `cavendish`, `echo` or `env`
(with its `\\` continuation lines), or a line of a ```sh block of README.md that starts with `cavendish`
or `env` (the ```text blocks are synopses, not examples). The examples of one page run in order, in a
fresh folder that has `Weights`, `Tests` and `scripts` linked from the checkout and a fresh HOME and data folder,
with the binary first on PATH: what a reader who copies them into a shell would get.

An example that ends in a comment `# needs: torch, onnxruntime` (Python modules it uses) is run when
those modules import and otherwise counted and listed as skipped, never silently passed.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COMMAND = re.compile(r"^  (cavendish|echo|env) ")


def help_pages(binary: str, path: tuple = ()) -> dict:
    """Every help page, by subcommand path, found through each page's SUBCOMMANDS list."""
    text = subprocess.run([binary, *path, "--help"], capture_output=True, text=True, check=True).stdout
    pages = {path: text}
    if "SUBCOMMANDS:" in text:
        for line in text.split("SUBCOMMANDS:", 1)[1].splitlines():
            m = re.match(r"^  ([a-z][a-z0-9-]*)\b", line)
            if m and m.group(1) != "help":
                pages.update(help_pages(binary, path + (m.group(1),)))
            elif line.strip() and not line.startswith(" "):
                break
    return pages


# Examples the help formatter wrapped onto a second, unindented line (ArgumentParser wraps at 80
# columns): what the page shows is not one command, so each counts as a failure.
WRAPPED = []


def examples_in_help(text: str) -> list:
    out, lines = [], text.splitlines()
    i = 0
    while i < len(lines):
        if COMMAND.match(lines[i]):
            cmd = [lines[i].strip()]
            while cmd[-1].endswith("\\") and i + 1 < len(lines):
                i += 1
                cmd.append(lines[i].strip())
            if i + 1 < len(lines) and lines[i + 1][:1] not in ("", " ") and len(lines[i]) >= 70 and " # " not in lines[i]:
                WRAPPED.append(f"{cmd[-1]} / {lines[i + 1]}")
            out.append(" ".join(c.rstrip("\\").strip() for c in cmd))
        i += 1
    return out


def examples_in_readme(path: str) -> list:
    out, block, cmd = [], None, []
    for line in open(path, encoding="utf-8"):
        line = line.rstrip("\n")
        if line.startswith("```"):
            block = None if block is not None else line[3:].strip()
            continue
        if block != "sh":
            continue
        if cmd:
            cmd.append(line.strip())
        elif re.match(r"^(cavendish|env) ", line):
            cmd = [line.strip()]
        if cmd and not cmd[-1].endswith("\\"):
            out.append(" ".join(c.rstrip("\\").strip() for c in cmd))
            cmd = []
    return out


NEEDS = re.compile(r"#\s*needs:\s*([\w, ]+)$")


def missing_modules(cmd: str) -> list:
    """The Python modules an example's `# needs:` comment names that do not import here."""
    m = NEEDS.search(cmd)
    mods = [x.strip() for x in m.group(1).split(",") if x.strip()] if m else []
    return [x for x in mods if subprocess.run([sys.executable, "-c", f"import {x}"], capture_output=True).returncode != 0]


def run_page(name: str, commands: list, binary: str, timeout: float, skipped: list) -> list:
    """Runs one page's examples in order in a fresh folder; returns the failures (and appends the skipped)."""
    failures = []
    with tempfile.TemporaryDirectory(prefix="cavendish-examples-") as tmp:
        for link in ("Weights", "Tests", "scripts"):
            os.symlink(os.path.join(ROOT, link), os.path.join(tmp, link))
        bindir = os.path.join(tmp, ".bin")
        os.makedirs(bindir)
        os.symlink(os.path.abspath(binary), os.path.join(bindir, "cavendish"))
        env = {**os.environ, "PATH": bindir + os.pathsep + os.environ.get("PATH", ""), "HOME": os.path.join(tmp, ".home"),
               "XDG_DATA_HOME": os.path.join(tmp, ".data"), "CAVENDISH_WEIGHTS": os.path.join(ROOT, "Weights")}
        os.makedirs(env["HOME"])
        for cmd in commands:
            missing = missing_modules(cmd)
            if missing:
                print(f"SKIP         [{name}] {cmd} (python3 lacks {', '.join(missing)})", flush=True)
                skipped.append((name, cmd, missing))
                continue
            started = time.time()
            try:
                r = subprocess.run(["bash", "-c", "set -o pipefail; " + cmd], cwd=tmp, env=env, capture_output=True, text=True,
                                   timeout=timeout, stdin=subprocess.DEVNULL)
                ok, detail = r.returncode == 0, (r.stderr or r.stdout)[-600:]
            except subprocess.TimeoutExpired:
                ok, detail = False, f"did not finish in {timeout:.0f} s"
            print(f"{'ok  ' if ok else 'FAIL'} {time.time() - started:6.1f}s [{name}] {cmd}", flush=True)
            if not ok:
                failures.append((name, cmd, detail))
    return failures


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", default=os.path.join(ROOT, ".build", "debug", "cavendish"))
    ap.add_argument("--list", action="store_true", help="print the examples without running them")
    ap.add_argument("--only", default="", help="run only the examples containing this text")
    ap.add_argument("--timeout", type=float, default=900, help="seconds one example may take")
    a = ap.parse_args()
    if not os.access(a.binary, os.X_OK):
        print(f"check_examples: no binary at {a.binary}; build it with swift build --product cavendish", file=sys.stderr)
        return 2
    pages = {" ".join(("cavendish",) + p + ("--help",)): examples_in_help(t) for p, t in help_pages(a.binary).items()}
    pages["README.md"] = examples_in_readme(os.path.join(ROOT, "README.md"))
    pages = {k: [c for c in v if a.only in c] for k, v in pages.items()}
    pages = {k: v for k, v in pages.items() if v}
    if a.list:
        for name, commands in pages.items():
            for c in commands:
                print(f"[{name}] {c}")
        return 0
    failures, skipped = [("help", w, "the help formatter wrapped this example onto two lines; shorten it") for w in WRAPPED], []
    for name, commands in pages.items():
        failures += run_page(name, commands, a.binary, a.timeout, skipped)
    total = sum(len(v) for v in pages.values())
    print(f"check_examples: {total - len(failures) - len(skipped)} of {total} examples ran as written"
          + (f", {len(skipped)} skipped for missing Python modules" if skipped else ""))
    for name, cmd, detail in failures:
        print(f"\n[{name}] {cmd}\n{detail}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
