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
            "%matplotlib inline\n"
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


def ablation(binary: str):
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell(
            "# An ablation: steps x guidance x ref-scale, with quality and time\n\n"
            "`cavendish sweep Benchmarks/sweeps/ablation.json` makes the grid (one resident pipeline, 72 images: "
            "v2 at 2, 4 and 8 steps, guidance 1, 3 and 5, reference scale 0 and 1, seeds 1-4), and `cavendish evaluate` "
            "scores every image: Tesseract on the quoted text, the scene judge's style and setting, the identity judge "
            "at the person's layout box (Bean is the demo library's `Bean-h0`), and KID against world renders on the "
            "scene judge's features. Below: the table, the quality and time per setting, and the wall time of the "
            "sweep against the hand-written loop (one `cavendish generate` per image) on the test fixture's 16-image grid."),
        nbformat.v4.new_code_cell(PROVENANCE.format(root=ROOT, binary=binary)),
        nbformat.v4.new_code_cell(
            "import csv, tempfile\n"
            "work = tempfile.mkdtemp()\n"
            "sweep = os.path.join(work, 'ablation')\n"
            "t0 = time.perf_counter()\n"
            "subprocess.run([BIN, 'sweep', os.path.join(ROOT, 'Benchmarks/sweeps/ablation.json'), '--out', sweep, '--progress', 'none'], check=True)\n"
            "t_sweep = time.perf_counter() - t0\n"
            "subprocess.run([BIN, 'evaluate', sweep, '--identities', os.path.join(ROOT, 'Weights/demo-library/demo-manifest.json'),\n"
            "                '--progress', 'none'], check=True)\n"
            "table = {r['row_id']: r for r in csv.DictReader(open(os.path.join(sweep, 'table.csv')))}\n"
            "scores = list(csv.DictReader(open(os.path.join(sweep, 'scores.csv'))))\n"
            "rows = [{**table[s['key']], **s} for s in scores]\n"
            "print(f'{len(rows)} images in {t_sweep:.1f} s; columns: {sorted(rows[0])[:12]} ...')"),
        nbformat.v4.new_code_cell(
            "import numpy as np\n"
            "def mean(vals): vals = [v for v in vals if v != '']; return float(np.mean([v == 'true' for v in vals])) if vals else float('nan')\n"
            "def group(rs, rs_scale):\n"
            "    out = np.zeros((3, 3, 4))\n"
            "    for i, st in enumerate(['2', '4', '8']):\n"
            "        for j, g in enumerate(['1', '3', '5']):\n"
            "            cell = [r for r in rs if r['steps'] == st and r['guidance'] == g and r['ref_scale'] == rs_scale]\n"
            "            out[i, j] = [mean([r['ocr_word_match'] for r in cell]), float(np.mean([float(r['ocr_char_accuracy'] or 0) for r in cell])),\n"
            "                         mean([r.get('identity_p1_match', '') for r in cell]), float(np.mean([float(r['seconds_denoise']) for r in cell]))]\n"
            "    return out\n"
            "cells = {s: group(rows, s) for s in ['0', '1']}\n"
            "print('steps x guidance, ref_scale 1: OCR word accuracy\\n', cells['1'][..., 0])\n"
            "print('identity top-1 (Bean-h0), ref_scale 0 / 1:', np.nanmean(cells['0'][..., 2]), np.nanmean(cells['1'][..., 2]))"),
        nbformat.v4.new_code_cell(
            "import matplotlib\n"
            "%matplotlib inline\n"
            "import matplotlib.pyplot as plt\n"
            "fig, axes = plt.subplots(1, 4, figsize=(13, 3.2))\n"
            "for ax, k, title in zip(axes, [1, 2, 3], ['OCR character accuracy', 'identity top-1 (Bean-h0)', 'denoise seconds']):\n"
            "    for s, style in [('0', '--'), ('1', '-')]:\n"
            "        for j, g in enumerate(['1', '3', '5']):\n"
            "            ax.plot([2, 4, 8], cells[s][:, j, k], style, marker='o', label=f'guidance {g}, ref-scale {s}')\n"
            "    ax.set_xlabel('steps'); ax.set_title(title, fontsize=9); ax.set_xticks([2, 4, 8])\n"
            "axes[0].legend(fontsize=6)\n"
            "summary = json.load(open(os.path.join(sweep, 'summary.json')))['groups']\n"
            "kids = sorted((float(k.split('steps=')[1].split(',')[0]), v['kid_x1000']) for k, v in summary.items() if 'ref_scale=1,' in k and 'guidance=3' in k)\n"
            "axes[3].plot([a for a, _ in kids], [b for _, b in kids], marker='o'); axes[3].set_title('KID x1000 (scene-judge features), guidance 3', fontsize=9)\n"
            "axes[3].set_xlabel('steps'); axes[3].set_xticks([2, 4, 8])\n"
            "plt.tight_layout(); plt.show()"),
        nbformat.v4.new_code_cell(
            "from PIL import Image\n"
            "sheet = Image.open(os.path.join(sweep, 'sheets', 'steps-x-guidance.png'))\n"
            "plt.figure(figsize=(6, 6)); plt.imshow(sheet); plt.axis('off'); plt.title('steps x guidance (ref-scale 0, seed 1)', fontsize=9); plt.show()"),
        nbformat.v4.new_code_cell(
            "# The hand-written loop against the sweep, on the test fixture's 16-image grid (same images both ways).\n"
            "spec = json.load(open(os.path.join(ROOT, 'Tests/Fixtures/sweeps/steps-guidance.json')))\n"
            "ref = os.path.normpath(os.path.join(ROOT, 'Tests/Fixtures/sweeps', spec['references']['bean'][0]))\n"
            "loop_dir, t0, loop = os.path.join(work, 'loop'), time.perf_counter(), {}\n"
            "os.makedirs(loop_dir)\n"
            "for seed in [1, 2]:\n"
            "    for st in spec['axes']['steps']:\n"
            "        for g in spec['axes']['guidance']:\n"
            "            for rs in spec['axes']['ref_scale']:\n"
            "                out = subprocess.run([BIN, 'generate', '--prompt', spec['prompts'][0], '--reference', f'bean={ref}', '--seed', str(seed),\n"
            "                                      '--steps', str(st), '--guidance', str(g), '--ref-scale', str(rs), '--progress', 'none',\n"
            "                                      '--out', os.path.join(loop_dir, f'{seed}-{st}-{g}-{rs}.png'), '--json'],\n"
            "                                     capture_output=True, text=True, check=True)\n"
            "                loop[(seed, st, float(g), float(rs))] = json.loads(out.stdout)['pixels_sha256']\n"
            "t_loop = time.perf_counter() - t0\n"
            "t0 = time.perf_counter()\n"
            "small = os.path.join(work, 'small')\n"
            "subprocess.run([BIN, 'sweep', os.path.join(ROOT, 'Tests/Fixtures/sweeps/steps-guidance.json'), '--out', small, '--progress', 'none'], check=True)\n"
            "t_small = time.perf_counter() - t0\n"
            "same = all(loop[(int(r['seed']), int(r['steps']), float(r['guidance']), float(r['ref_scale']))] == r['pixels_sha256']\n"
            "           for r in csv.DictReader(open(os.path.join(small, 'table.csv'))))\n"
            "print(f'hand-written loop {t_loop:.1f} s, sweep {t_small:.1f} s ({t_loop / t_small:.2f}x), same pixels: {same}')\n"
            "json.dumps({'ablation_images': len(rows), 'ablation_sweep_seconds': round(t_sweep, 2), 'loop_seconds_16': round(t_loop, 2),\n"
            "            'sweep_seconds_16': round(t_small, 2), 'same_pixels': same})"),
    ]
    return nb


NOTEBOOKS = {"python-package": python_package, "ablation": ablation}


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
