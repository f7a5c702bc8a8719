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
import base64
import os
import sys

import nbformat
from nbclient import NotebookClient
from nbconvert import HTMLExporter

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check_exports import FIGURES  # noqa: E402

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


def v1_v2(binary: str):
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell(
            "# NB-mini v1 against v2: speed per stage, quality per metric\n\n"
            "Speed from `notebooks-exports/generate-bench.json` (`cavendish bench generate --json`, the Swift runtime); quality "
            "from `Weights/eval/results.json` (`Weights/recipe/evaluate.py`: 96 held-out prompts, 95% Wilson intervals). Both "
            "record the weights' SHA-256, which the cell below checks against the committed manifest."),
        nbformat.v4.new_code_cell(PROVENANCE.format(root=ROOT, binary=binary)),
        nbformat.v4.new_code_cell(
            "bench = json.load(open(os.path.join(ROOT, 'notebooks-exports/generate-bench.json')))['runs'][-1]['report']\n"
            "results = json.load(open(os.path.join(ROOT, 'Weights/eval/results.json')))\n"
            "assert all(weights.get(f) == sha for f, sha in bench['weights_sha256'].items() if f in weights), 'bench made on other weights'\n"
            "assert all(weights.get(f) == sha for f, sha in results['weights_sha256'].items() if f in weights), 'evaluation made on other weights'\n"
            "p = bench['presets']\n"
            "print({k: {s: round(v, 3) for s, v in p[k].items()} for k in p}, 'v2 speed-up', round(bench['speedup_v1_over_v2'], 2))"),
        nbformat.v4.new_code_cell(
            "%matplotlib inline\n"
            "import matplotlib.pyplot as plt, numpy as np\n"
            "fig, (a, b) = plt.subplots(1, 2, figsize=(12, 3.8))\n"
            "stages = ['text', 'references', 'denoise', 'decode']\n"
            "for i, preset in enumerate(['v1', 'v2']):\n"
            "    left = 0\n"
            "    for s, c in zip(stages, ['#999', '#c84', '#48c', '#4a4']):\n"
            "        a.barh(i, p[preset].get(s, 0), left=left, color=c, label=s if i == 0 else None); left += p[preset].get(s, 0)\n"
            "a.set_yticks([0, 1], ['v1 (50 steps, CFG)', 'v2 (8 steps)']); a.set_xlabel('seconds per image (Swift, 2 threads)'); a.legend(fontsize=8)\n"
            "metrics = [('text_word_accuracy', 'words read'), ('text_char_accuracy', 'characters'), ('identity_top1_1_subjects', 'identity, 1 subject'),\n"
            "           ('identity_top1_3_subjects', 'identity, 3 subjects'), ('setting_acc', 'setting'), ('style_acc', 'style')]\n"
            "x = np.arange(len(metrics))\n"
            "for j, preset in enumerate(['v1', 'v2']):\n"
            "    r = results['presets'][preset]\n"
            "    vals = [r[m] for m, _ in metrics]\n"
            "    err = [[v - r.get(m + '_ci95', [v, v])[0] for (m, _), v in zip(metrics, vals)], [r.get(m + '_ci95', [v, v])[1] - v for (m, _), v in zip(metrics, vals)]]\n"
            "    b.bar(x + 0.38 * j, vals, 0.38, yerr=err, capsize=3, label=preset)\n"
            "b.set_xticks(x + 0.19, [n for _, n in metrics], fontsize=8, rotation=15); b.set_ylim(0, 1); b.legend(); b.set_title('quality (96 held-out prompts, 95% intervals)', fontsize=9)\n"
            "plt.tight_layout(); plt.show()\n"
            "print('KID x1000 (scene-judge features): v1', round(results['presets']['v1']['kid_x1000'], 1), 'v2', round(results['presets']['v2']['kid_x1000'], 1))"),
    ]
    return nb


def runtime(binary: str):
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell(
            "# The runtime against ONNX Runtime and PyTorch, and the kernels against sgemm and memcpy\n\n"
            "From the committed benchmark JSONs: `generate-bench.json` times one DiT v1 and v2 evaluation and one VAE decode in "
            "the Swift runtime and in ONNX Runtime and PyTorch eager (`scripts/bench_peers.py`, the same weights and inputs, 2 "
            "threads each), with the Swift DiT v2's time per op; `kernel-bench.json` gives each kernel's ratio to its "
            "reference (cblas_sgemm for GEMMs, memcpy for the memory-bound kernels). The machine and OpenBLAS core are printed: "
            "ratios are within one run, and a machine whose OpenBLAS falls back to generic kernels shows it."),
        nbformat.v4.new_code_cell(PROVENANCE.format(root=ROOT, binary=binary)),
        nbformat.v4.new_code_cell(
            "bench = json.load(open(os.path.join(ROOT, 'notebooks-exports/generate-bench.json')))['runs'][-1]['report']\n"
            "kern = json.load(open(os.path.join(ROOT, 'notebooks-exports/kernel-bench.json')))\n"
            "print('generate bench machine:', bench['machine'])\n"
            "print('ratio ours / peer (above 1: slower):', json.dumps(bench['ratio_our_over_peer'] if 'ratio_our_over_peer' in bench else bench['ratio_ours_over_peer'], indent=1))"),
        nbformat.v4.new_code_cell(
            "%matplotlib inline\n"
            "import matplotlib.pyplot as plt, numpy as np\n"
            "fig, axes = plt.subplots(1, 3, figsize=(15, 3.8))\n"
            "keys = ['dit_v1_step_ms', 'dit_v2_step_ms', 'vae_decode_ms']\n"
            "x = np.arange(len(keys))\n"
            "peer = bench.get('peer_ms', {})\n"
            "who = [('cavendish', bench['ours']), ('cavendish --bf16', peer.get('ours_bf16', {})), ('onnxruntime', peer.get('onnxruntime', {})),\n"
            "       ('torch', peer.get('torch', {})), ('torch bf16', peer.get('torch_bf16', {}))]\n"
            "for j, (name, vals) in enumerate(who):\n"
            "    axes[0].bar(x + 0.16 * j, [vals.get(k, 0) for k in keys], 0.16, label=name)\n"
            "axes[0].set_xticks(x + 0.32, keys, fontsize=8); axes[0].set_ylabel('ms'); axes[0].legend(fontsize=8); axes[0].set_title('one evaluation, 2 threads', fontsize=9)\n"
            "ops = sorted(bench['dit_v2_step_ms_by_op'].items(), key=lambda kv: -kv[1])[:10]\n"
            "axes[1].barh([o for o, _ in ops][::-1], [v for _, v in ops][::-1]); axes[1].set_xlabel('ms per DiT v2 evaluation'); axes[1].set_title('Swift runtime, by op', fontsize=9)\n"
            "for run, style in [('coretype_unset', 'o'), ('coretype_haswell', 'x')]:\n"
            "    res = kern['runs'][run]['results']\n"
            "    axes[2].scatter([r['ratio'] for r in res], [r['name'][:38] for r in res], marker=style, label=run)\n"
            "axes[2].axvline(1, color='k', lw=0.5); axes[2].set_xlabel('ratio to the reference (sgemm or memcpy)'); axes[2].legend(fontsize=7)\n"
            "axes[2].tick_params(axis='y', labelsize=6); axes[2].set_title('kernels', fontsize=9)\n"
            "plt.tight_layout(); plt.show()"),
    ]
    return nb


def simulator(binary: str):
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell(
            "# The TPU simulator: SDXL against the published figures, the roofline, and a fleet under a demand spike\n\n"
            "**Constants.** The only fitted constants are the grid-step and launch costs (on the Pallas TPU matmul guide's measured "
            "v5e times) and the ICI efficiency and hop latency (on the scaling book's profiled v5e AllGathers): "
            "`scripts/fit_simulator_constants.py`, `Tests/Fixtures/tpu/microbenchmarks.json`. Nothing is fitted on the end-to-end "
            "figures below.\n\n"
            "**SDXL.** `cavendish simulate model sdxl-unet --steps 20 --guidance` (both text encoders, 20 UNet passes on the doubled "
            "batch, the scheduler, one VAE decode; bf16, one chip) with flash attention, with the plain dot product the published "
            "runs wrote (its softmax fused into the two GEMMs: the score matrix through HBM twice) and with that dot product unfused "
            "(four times; the published v5e and v6e times are below what a perfect chip could do that way), against "
            "`docs/TPU_FACTS.md`: MLPerf Inference v4.1 (v5e 2.28 s per image per chip; v6e 0.735 s, offline, simulated at 8 images "
            "per chip) and the JAX/Hugging Face blog (v4-8, one image per chip: 2.16 s)."),
        nbformat.v4.new_code_cell(PROVENANCE.format(root=ROOT, binary=binary)),
        nbformat.v4.new_code_cell(
            "def run(*args):\n"
            "    return json.loads(subprocess.run([BIN, *map(str, args), '--json'], capture_output=True, text=True, check=True).stdout)\n"
            "published = {'v5e': (1, 2.28), 'v4': (1, 2.16), 'v6e': (8, 0.735)}\n"
            "sdxl = {}\n"
            "for chip, (batch, pub) in published.items():\n"
            "    for attention in ['flash', 'dot', 'dot-unfused']:\n"
            "        r = run('simulate', 'model', 'sdxl-unet', '--hw', chip, '--steps', 20, '--guidance', '--batch', batch, '--attention', attention)\n"
            "        sdxl[chip, attention] = r\n"
            "        print(f\"{chip} batch {batch} {attention:11}: simulated {r['seconds_per_image']:.3f} s/image, published {pub:.3f} \"\n"
            "              f\"({100 * (r['seconds_per_image'] / pub - 1):+.0f}%)\")\n"
            "hw = run('simulate', 'hw', '--hw', 'v5e')\n"
            "fit = json.load(open(os.path.join(ROOT, 'notebooks-exports', 'simulator-constants.json')))\n"
            "print(json.dumps({k: v for k, v in fit.items() if k != 'residuals'}, indent=1))\n"
            "for r in fit['residuals']:\n"
            "    print(f\"  {r['what']:<40} measured {1e3 * r['measured_s']:9.4f} ms, simulated {1e3 * r['simulated_s']:9.4f} ms ({100 * r['error']:+.1f}%)\")"),
        nbformat.v4.new_code_cell(
            "%matplotlib inline\n"
            "import matplotlib.pyplot as plt, numpy as np\n"
            "unet = next(s for s in sdxl['v5e', 'flash']['stages'] if s['label'] == 'unet')\n"
            "ops = [o for o in unet['report']['ops'] if o['flops'] > 0 and o['seconds'] > 0]\n"
            "ai = np.array([o['arithmetic_intensity'] for o in ops]); perf = np.array([o['flops'] / o['seconds'] for o in ops])\n"
            "colors = {'compute': 'tab:blue', 'bandwidth': 'tab:orange', 'vector': 'tab:green'}\n"
            "fig, (a, b) = plt.subplots(1, 2, figsize=(12, 4))\n"
            "for bound, c in colors.items():\n"
            "    m = np.array([o['bound'] == bound for o in ops])\n"
            "    a.scatter(ai[m], perf[m], s=8, c=c, label=f'{bound}-bound ({m.sum()})')\n"
            "xs = np.logspace(-2, 4, 100); peak = hw['peak_flops']['bf16']\n"
            "a.plot(xs, np.minimum(peak, xs * hw['hbm_bytes_per_second']), 'k-', lw=1, label='roofline (bf16 peak, HBM)')\n"
            "a.set_xscale('log'); a.set_yscale('log'); a.set_xlabel('arithmetic intensity (FLOP / HBM byte)'); a.set_ylabel('achieved FLOP/s')\n"
            "a.legend(fontsize=7); a.set_title('SDXL UNet kernels on v5e (one pass, batch 2, flash attention)', fontsize=9)\n"
            "chips = list(published); x = np.arange(len(chips))\n"
            "b.bar(x - 0.3, [sdxl[c, 'flash']['seconds_per_image'] for c in chips], 0.2, label='simulated, flash attention')\n"
            "b.bar(x - 0.1, [sdxl[c, 'dot']['seconds_per_image'] for c in chips], 0.2, label='simulated, dot product (softmax fused)')\n"
            "b.bar(x + 0.1, [sdxl[c, 'dot-unfused']['seconds_per_image'] for c in chips], 0.2, label='simulated, dot product unfused')\n"
            "b.bar(x + 0.3, [published[c][1] for c in chips], 0.2, label='published')\n"
            "b.set_xticks(x, [f'{c} (batch {published[c][0]})' for c in chips]); b.set_ylabel('seconds per 1024x1024 image, one chip')\n"
            "b.legend(fontsize=8); b.set_title('SDXL base, 20 steps with CFG', fontsize=9)\n"
            "plt.tight_layout(); plt.show()"),
        nbformat.v4.new_markdown_cell(
            "## A demand spike\n\n"
            "`cavendish simulate serve`: replicas of one v5e chip each, one FIFO queue, dynamic batching, service times per batch "
            "size from the simulator. Normal load is Poisson at the rate below for 30 minutes; the spike multiplies it by 10 from "
            "minute 10 to minute 20. NB-mini-sized: v1 (50 steps, two evaluations a step) against v2 (8 steps, one), 100 requests/s "
            "normally, p99 bound 1 s, batch 1 (NB-mini's run plan makes a batch's images one after another). SDXL-sized: 'v1' is "
            "SDXL as published (20 steps with CFG), 'v2' the same UNet run as v2 runs NB-mini (8 steps, one evaluation a step, "
            "guidance distilled), 1 request/s normally, p99 bound 20 s (MLPerf's SDXL server bound), batches of up to 4 with a "
            "1 s timeout. For each: the fewest chips that keep the p99 within the bound at the normal rate and through the spike, "
            "and, on the chips provisioned for normal load, the largest global rate limit that keeps the p99 through the spike "
            "and the share of requests it refuses."),
        nbformat.v4.new_code_cell(
            "fleets = {\n"
            "    'NB-mini v1': (['nb-mini-v1'], 100, 1.0, 1), 'NB-mini v2': (['nb-mini-v2'], 100, 1.0, 1),\n"
            "    'SDXL-sized v1': (['sdxl-unet', '--steps', 20, '--guidance'], 1, 20.0, 4), 'SDXL-sized v2': (['sdxl-unet', '--steps', 8], 1, 20.0, 4)}\n"
            "common = ['--hw', 'v5e', '--duration', 1800, '--spike-start', 600, '--spike-length', 600, '--batch-timeout', 1, '--seed', 1]\n"
            "spike = {}\n"
            "for name, (model, rate, bound, batch) in fleets.items():\n"
            "    base = ['simulate', 'serve', *model, '--rate', rate, '--p99-bound', bound, '--max-batch', batch, *common]\n"
            "    normal = run(*base, '--arrivals', 'poisson', '--find-chips')\n"
            "    peak = run(*base, '--arrivals', 'burst', '--find-chips')\n"
            "    n = normal['chips_needed']\n"
            "    unlimited = run(*base, '--arrivals', 'burst', '--chips', n)\n"
            "    limited = run(*base, '--arrivals', 'burst', '--chips', n, '--find-rate-limit')\n"
            "    spike[name] = dict(service_s=normal['service_seconds_by_batch'][0], normal_chips=n, spike_chips=peak['chips_needed'],\n"
            "                       spike_p99_on_normal_chips=unlimited['result']['latency_p99_s'], rate_limit=limited['rate_limit_found'],\n"
            "                       rejected=limited['result']['rejected_fraction'], p99_limited=limited['result']['latency_p99_s'], bound=bound, rate=rate)\n"
            "    s = spike[name]\n"
            "    print(f\"{name:14} service {s['service_s']:.4g} s | normal {rate}/s: {n} chips | spike {10 * rate}/s: {s['spike_chips']} chips \"\n"
            "          f\"| spike on {n} chips: p99 {s['spike_p99_on_normal_chips']:.3g} s unlimited; limit {s['rate_limit']:.4g}/s keeps p99 \"\n"
            "          f\"{s['p99_limited']:.3g} s, refusing {100 * s['rejected']:.1f}%\")"),
        nbformat.v4.new_markdown_cell(
            "## Against MLPerf Inference v4.1's SDXL server result on 4 x v5e\n\n"
            "Google's closed-division submission served 1.55 scheduled samples/s at a p99 latency of 17.80 s (bound 20 s) on 4 v5e "
            "chips (`mlcommons/inference_results_v4.1`, `closed/Google`). Below: the simulated fleet of 4 chips, Poisson arrivals, "
            "SDXL as published, batches of up to 4 with a 1 s timeout: the p99 at 1.55/s, and the largest rate whose p99 stays "
            "within 20 s."),
        nbformat.v4.new_code_cell(
            "mlperf = ['simulate', 'serve', 'sdxl-unet', '--steps', 20, '--guidance', '--hw', 'v5e', '--chips', 4, '--max-batch', 4,\n"
            "          '--batch-timeout', 1, '--duration', 3600, '--seed', 1]\n"
            "at = run(*mlperf, '--rate', 1.55)['result']\n"
            "lo, hi = 0.1, 4.0\n"
            "for _ in range(20):\n"
            "    mid = (lo + hi) / 2\n"
            "    lo, hi = (mid, hi) if run(*mlperf, '--rate', mid)['result']['latency_p99_s'] <= 20 else (lo, mid)\n"
            "print(f\"simulated at 1.55/s: throughput {at['throughput_qps']:.3f}/s, p99 {at['latency_p99_s']:.2f} s (MLPerf: 1.55/s, p99 17.80 s)\")\n"
            "print(f\"simulated largest rate with p99 <= 20 s: {lo:.3f}/s\")\n"
            "rates = [0.2, 0.4, 0.6, 0.8, 1.0, 1.2, 1.4, 1.55, 1.7, 1.8, 1.9]\n"
            "curves = {v: run('simulate', 'serve', 'sdxl-unet', *(['--steps', 20, '--guidance'] if v == 'v1' else ['--steps', 8]), '--hw', 'v5e',\n"
            "                 '--chips', 4, '--max-batch', 4, '--batch-timeout', 1, '--duration', 3600, '--seed', 1,\n"
            "                 '--sweep-rates', ','.join(str(r * (1 if v == 'v1' else 2.5)) for r in rates))['sweep'] for v in ['v1', 'v2']}\n"
            "fig, (a, b) = plt.subplots(1, 2, figsize=(12, 4))\n"
            "for v, pts in curves.items():\n"
            "    a.plot([p['result']['throughput_qps'] for p in pts], [p['result']['latency_p99_s'] for p in pts], 'o-', label=f'SDXL-sized {v}, p99')\n"
            "a.scatter([1.55], [17.80], marker='*', s=120, c='k', label='MLPerf v4.1 server, 4 x v5e')\n"
            "a.axhline(20, color='r', ls='--', lw=1, label='p99 bound 20 s'); a.set_yscale('log'); a.set_xlabel('served requests/s (4 x v5e)')\n"
            "a.set_ylabel('p99 latency (s)'); a.legend(fontsize=8); a.set_title('latency against throughput', fontsize=9)\n"
            "names = list(spike); x = np.arange(len(names))\n"
            "b.bar(x - 0.2, [spike[n]['normal_chips'] for n in names], 0.4, label='chips for normal load')\n"
            "b.bar(x + 0.2, [spike[n]['spike_chips'] for n in names], 0.4, label='chips for a 10x spike')\n"
            "b.set_xticks(x, names, fontsize=8); b.set_yscale('log'); b.set_ylabel('v5e chips within the p99 bound'); b.legend(fontsize=8)\n"
            "b.set_title('chips that hold the load', fontsize=9)\n"
            "plt.tight_layout(); plt.show()"),
    ]
    return nb


NOTEBOOKS = {"python-package": python_package, "ablation": ablation, "v1-v2": v1_v2, "runtime": runtime, "simulator": simulator}


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
        for i, png in enumerate(FIGURES.get(name, [])):   # the README shows these, exactly as the notebook made them
            data = [o["data"]["image/png"] for c in nb.cells for o in c.get("outputs", []) if "image/png" in o.get("data", {})][i]
            path = os.path.join(ROOT, "docs", "figures", png)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            tmp = path + ".tmp"
            with open(tmp, "wb") as f:
                f.write(base64.b64decode(data))
            os.replace(tmp, path)
        print(f"make_notebooks: wrote notebooks-exports/{name}.ipynb and .html", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
