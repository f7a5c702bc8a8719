#!/usr/bin/env python3
"""Builds and executes the notebooks in notebooks-exports/ (each as .ipynb with outputs and as .html).

    python3 scripts/make_notebooks.py [--binary .build/release/cavendish] [--only NAME]

Needs: pip install nbformat nbclient ipykernel nbconvert matplotlib numpy. Every notebook's first cell
records the commit, whether the tree was clean, the weights' SHA-256 (from Weights/manifest.json) and
the machine, so a figure can always be traced to what made it. Outputs are written to a temporary file
and renamed.
"""
from __future__ import annotations

import argparse
import os
import sys

import nbformat
from nbclient import NotebookClient
from nbconvert import HTMLExporter

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "notebooks-exports")

PROVENANCE = """\
import hashlib, json, os, platform, subprocess, time
ROOT = {root!r}
BIN = {binary!r}
commit = subprocess.run(["git", "-C", ROOT, "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
clean = subprocess.run(["git", "-C", ROOT, "status", "--porcelain", "--untracked-files=no"], capture_output=True, text=True).stdout == ""
manifest = json.load(open(os.path.join(ROOT, "Weights", "manifest.json")))
weights = {{entry["file"]: entry["sha256"] for entry in manifest["files"] if entry["file"].startswith("nb-mini")}}
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.processor())
print(json.dumps({{"commit": commit, "clean_tree": clean, "weights_sha256": weights, "cpu": cpu, "cores": os.cpu_count(),
                  "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE", "unset")}}, indent=1))
"""


def python_package(binary: str):
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell(
            "# NB-mini from Python: 8 seeds through one resident pipeline\n\n"
            "`cavendish.Pipeline` keeps one `cavendish serve` process (weights loaded once) and returns numpy arrays "
            "with the `generate/2` record. Below: a grid of 8 seeds through the package, timed against 8 separate "
            "`cavendish generate` runs of the same images (each of which loads the weights), and a check that both "
            "paths give the same pixels."),
        nbformat.v4.new_code_cell(PROVENANCE.format(root=ROOT, binary=binary)),
        nbformat.v4.new_code_cell(
            "import sys, numpy as np\n"
            "sys.path.insert(0, os.path.join(ROOT, 'python'))\n"
            "from cavendish import Pipeline\n"
            "PROMPT = 'a claymation dog at the beach holding a sign that says \"HELLO\"'\n"
            "t0 = time.perf_counter()\n"
            "with Pipeline(binary=BIN, presets=['v2']) as pipe:\n"
            "    t_loaded = time.perf_counter()\n"
            "    grid = pipe.generate(PROMPT, seeds=range(8))\n"
            "t_package = time.perf_counter() - t0\n"
            "print(f'package: {t_package:.2f} s for 8 images ({t_loaded - t0:.2f} s of it starting the server and loading)')"),
        nbformat.v4.new_code_cell(
            "import tempfile\n"
            "tmp = tempfile.mkdtemp()\n"
            "t0 = time.perf_counter()\n"
            "cli = []\n"
            "for seed in range(8):\n"
            "    out = subprocess.run([BIN, 'generate', '--weights', os.path.join(ROOT, 'Weights'), '--prompt', PROMPT, '--seed', str(seed),\n"
            "                          '--out', os.path.join(tmp, f'{seed}.png'), '--json'], capture_output=True, text=True, check=True)\n"
            "    cli.append(json.loads(out.stdout))\n"
            "t_cli = time.perf_counter() - t0\n"
            "print(f'8 CLI runs: {t_cli:.2f} s; package: {t_package:.2f} s; ratio {t_cli / t_package:.2f}x')\n"
            "assert [r['pixels_sha256'] for r in cli] == [g.record['pixels_sha256'] for g in grid], 'the two paths differ'\n"
            "print('same pixels both ways:', all(hashlib.sha256(g.image.tobytes()).hexdigest() == g.record['pixels_sha256'] for g in grid))"),
        nbformat.v4.new_code_cell(
            "import matplotlib\n"
            "matplotlib.use('Agg')\n"
            "import matplotlib.pyplot as plt\n"
            "fig, axes = plt.subplots(2, 4, figsize=(8, 4.4))\n"
            "for ax, g in zip(axes.flat, grid):\n"
            "    ax.imshow(g.image); ax.set_title(f\"seed {g.record['seed']}\", fontsize=9); ax.axis('off')\n"
            "fig.suptitle(f'NB-mini v2, {PROMPT}', fontsize=8)\n"
            "plt.tight_layout(); plt.show()"),
        nbformat.v4.new_code_cell(
            "json.dumps({'package_seconds': round(t_package, 3), 'cli_seconds': round(t_cli, 3), 'images': 8,\n"
            "            'per_image_package': round(t_package / 8, 3), 'per_image_cli': round(t_cli / 8, 3)})"),
    ]
    return nb


NOTEBOOKS = {"python-package": python_package}


def write_atomic(path: str, text: str) -> None:
    tmp = os.path.join(os.path.dirname(path), f".{os.path.basename(path)}.tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", default=os.path.join(ROOT, ".build", "release", "cavendish"))
    ap.add_argument("--only", default=None)
    a = ap.parse_args()
    for name, make in NOTEBOOKS.items():
        if a.only and a.only != name:
            continue
        nb = make(os.path.abspath(a.binary))
        NotebookClient(nb, timeout=1200, kernel_name="python3", resources={"metadata": {"path": ROOT}}).execute()
        write_atomic(os.path.join(OUT, f"{name}.ipynb"), nbformat.writes(nb))
        html, _ = HTMLExporter().from_notebook_node(nb)
        write_atomic(os.path.join(OUT, f"{name}.html"), html)
        print(f"make_notebooks: wrote notebooks-exports/{name}.ipynb and .html", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
