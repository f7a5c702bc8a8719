#!/usr/bin/env python3
"""Checks that what notebooks-exports/ holds was made from the committed weights.

    python3 scripts/check_exports.py

Every executed notebook (`*.ipynb`) must print, in its first code cell's output, the provenance JSON that
scripts/make_notebooks.py puts there (`commit`, `weights_sha256`), and show at least one figure; every benchmark JSON whose figures
depend on the weights (`cavendish bench generate --json` reports, `"report"` per run) must carry
`weights_sha256`. Each listed file's SHA-256 must equal Weights/manifest.json's: a figure measured on
other weights is stale and fails here, so regenerate it (scripts/make_notebooks.py, or the bench
command its `command` field gives). Exports that depend on no weights (kernel benchmarks) are listed as such.
"""
from __future__ import annotations

import glob
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXPORTS = os.path.join(ROOT, "notebooks-exports")
# Figures of a notebook that the README shows, in the order the notebook draws them (make_notebooks.py
# writes them to docs/figures/).
FIGURES = {"ablation": ["ablation-plot.png", "ablation-sheet.png"], "simulator": ["simulator-sdxl.png", "simulator-demand-spike.png"]}


def manifest() -> dict:
    m = json.load(open(os.path.join(ROOT, "Weights", "manifest.json")))
    files = {e["file"]: e["sha256"] for e in m["files"]}
    if isinstance(m.get("glyph_atlas"), dict):
        files[m["glyph_atlas"]["file"]] = m["glyph_atlas"]["sha256"]
    return files


def notebook_weights(path: str) -> dict | None:
    nb = json.load(open(path))
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        for out in cell.get("outputs", []):
            text = "".join(out.get("text", "")) if isinstance(out.get("text"), list) else out.get("text", "")
            try:
                record = json.loads(text)
            except (ValueError, TypeError):
                continue
            if isinstance(record, dict) and "weights_sha256" in record:
                return record["weights_sha256"]
        return None   # only the first code cell holds the provenance
    return None


def figure_problems() -> list:
    """docs/figures/ must hold exactly the images the notebooks drew (make_notebooks.py FIGURES)."""
    import base64
    out = []
    for name, pngs in FIGURES.items():
        nb = json.load(open(os.path.join(EXPORTS, f"{name}.ipynb")))
        images = [o["data"]["image/png"] for c in nb["cells"] for o in c.get("outputs", []) if "image/png" in o.get("data", {})]
        for i, png in enumerate(pngs):
            path = os.path.join(ROOT, "docs", "figures", png)
            data = open(path, "rb").read() if os.path.exists(path) else b""
            if i >= len(images) or data != base64.b64decode(images[i]):
                out.append(f"docs/figures/{png}: not the figure notebooks-exports/{name}.ipynb drew (rerun scripts/make_notebooks.py)")
    return out


def main() -> int:
    want = manifest()
    problems, checked = [], 0
    for path in sorted(glob.glob(os.path.join(EXPORTS, "*.ipynb"))):
        name = os.path.relpath(path, ROOT)
        weights = notebook_weights(path)
        if weights is None:
            problems.append(f"{name}: its first code cell prints no provenance (weights_sha256)")
            continue
        problems += [f"{name}: made with {f} {sha[:12]}, the committed one is {want.get(f, 'absent')[:12]}"
                     for f, sha in weights.items() if want.get(f) != sha]
        figures = sum("image/png" in o.get("data", {}) for c in json.load(open(path))["cells"] for o in c.get("outputs", []))
        if figures == 0:
            problems.append(f"{name}: no figure in its outputs (a plot that did not render, e.g. under a non-inline backend)")
        checked += 1
    for path in sorted(glob.glob(os.path.join(EXPORTS, "*.json"))):
        name = os.path.relpath(path, ROOT)
        runs = json.load(open(path)).get("runs", [])
        if not any("report" in r for r in runs):
            print(f"check_exports: {name}: depends on no weights (no generate report)")
            continue
        for i, r in enumerate(runs):
            weights = r.get("report", {}).get("weights_sha256")
            if weights is None:
                problems.append(f"{name}: run {i} records no weights_sha256")
                continue
            problems += [f"{name}: run {i} was measured on {f} {sha[:12]}, the committed one is {want.get(f, 'absent')[:12]}"
                         for f, sha in weights.items() if want.get(f) != sha]
        checked += 1
    problems += figure_problems()
    for p in problems:
        print("check_exports:", p, file=sys.stderr)
    if problems:
        print(f"check_exports: {len(problems)} stale or untraceable exports; regenerate them", file=sys.stderr)
        return 1
    print(f"check_exports: ok, {checked} exports match the committed weights")
    return 0


if __name__ == "__main__":
    sys.exit(main())
