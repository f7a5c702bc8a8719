"""Measures the invisible watermark (issue 18): detection after each attack, and false positives.

1. Generates watermarked images with the release binary (v2, and v1 for a few), recording each one's
   payload from `generate --json`.
2. Attacks every image with Pillow: JPEG at quality 75, resize to 75% and back (bicubic), and 10% crops
   (from the right and bottom, from the top and left, and 5% from every side).
3. Runs `cavendish provenance check --json` on all of them and on images Cavendish did not make: world
   renders of held-out scenes (the training world's generator, seeded) and the demo library's photos.

Writes one JSON report (atomically) with the detection rate and payload accuracy per attack, the false
positive count and rate, the score distribution of the unmarked images, the watermark's visibility
(PSNR of 100 world renders marked with the hidden `provenance embed` against themselves), and
the commit and weights it ran on.

    python3 scripts/watermark_eval.py --binary .build/release/cavendish --out notebooks-exports/watermark-eval.json
"""
from __future__ import annotations

import argparse
import glob
import io
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
from PIL import Image

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "Weights"))
sys.dont_write_bytecode = True

PROMPTS = [
    ("v2", "A photo of a family at the beach holding a sign that says \"HELLO\"."),
    ("v2", "A claymation scene of a dog in the snow."),
    ("v2", "A watercolour of a birthday party with a cake that says \"YAY\"."),
    ("v1", "A pencil drawing of two friends in a park."),
]


def attacks(im: Image.Image):
    w, h = im.size
    yield "none", im
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=75)
    yield "jpeg75", Image.open(io.BytesIO(buf.getvalue())).convert("RGB")
    yield "resize75", im.resize((w * 3 // 4, h * 3 // 4), Image.BICUBIC).resize((w, h), Image.BICUBIC)
    cw, ch = int(w * 0.9), int(h * 0.9)
    yield "crop10_right_bottom", im.crop((0, 0, cw, ch))
    yield "crop10_top_left", im.crop((w - cw, h - ch, w, h))
    yield "crop10_centred", im.crop(((w - cw) // 2, (h - ch) // 2, (w - cw) // 2 + cw, (h - ch) // 2 + ch))


def check(binary, files):
    out = []
    for i in range(0, len(files), 200):
        run = subprocess.run([binary, "provenance", "check", "--json", *files[i:i + 200]], capture_output=True, text=True)
        out += [json.loads(line) for line in run.stdout.splitlines() if line.strip()]
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", default=os.path.join(ROOT, ".build", "release", "cavendish"))
    ap.add_argument("--seeds", type=int, default=8, help="seeds per prompt")
    ap.add_argument("--unmarked", type=int, default=1000, help="world renders for the false-positive rate")
    ap.add_argument("--out", help="the JSON report (default: print it)")
    a = ap.parse_args()
    from recipe.world import scene
    report = {"commit": subprocess.run(["git", "-C", ROOT, "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()}
    with open(os.path.join(ROOT, "Weights", "manifest.json")) as f:
        report["weights_sha256"] = {e["file"]: e["sha256"] for e in json.load(f)["files"]}
    with tempfile.TemporaryDirectory(prefix="cavendish-watermark-") as tmp:
        marked, expected = [], {}
        for k, (preset, prompt) in enumerate(PROMPTS):
            seeds = a.seeds if preset == "v2" else max(1, a.seeds // 4)
            run = subprocess.run([a.binary, "generate", "--prompt", prompt, "--preset", preset, "--seeds", f"1-{seeds}",
                                  "--out", os.path.join(tmp, f"p{k}-{{seed}}.png"), "--json", "--progress", "none"],
                                 capture_output=True, text=True, check=True)
            for line in run.stdout.splitlines():
                r = json.loads(line)
                expected[r["out"]] = r["watermark"]
                marked.append(r["out"])
        attacked = {}
        for path in marked:
            im = Image.open(path).convert("RGB")
            for name, att in attacks(im):
                p = f"{path[:-4]}-{name}.png"
                att.save(p)
                attacked.setdefault(name, []).append((p, expected[path]))
        results = {r["file"]: r for r in check(a.binary, [p for v in attacked.values() for p, _ in v])}
        per = {}
        for name, items in attacked.items():
            detected = [results[p] for p, _ in items if results[p]["watermark_detected"]]
            right = [1 for p, e in items if results[p]["watermark_detected"] and results[p]["image_id"] == f"{e['image_id']:04x}"
                     and results[p]["model_version"] == e["model_version"]]
            per[name] = {"images": len(items), "detected": len(detected), "payload_correct": len(right),
                         "detection_rate": round(len(detected) / len(items), 4),
                         "min_score": round(min(results[p]["score"] for p, _ in items), 2),
                         "min_evidence": round(min(results[p]["bit_evidence"] for p, _ in items), 2)}
        report["marked_images"] = len(marked)
        report["attacks"] = per
        unmarked = []
        for s in range(a.unmarked):
            img, _ = scene.render(scene.sample_scene(100000 + s, "heldout", size=128))
            p = os.path.join(tmp, f"world-{s}.png")
            Image.fromarray(np.asarray(img).astype(np.uint8)).save(p)
            unmarked.append(p)
        photos = sorted(glob.glob(os.path.join(ROOT, "Weights", "demo-library", "**", "*.[jJ][pP][gG]"), recursive=True))
        # Visibility: the first 100 world renders marked (hidden `provenance embed`) against themselves.
        psnr = []
        for s, p in enumerate(unmarked[:100]):
            q = p[:-4] + "-marked.png"
            subprocess.run([a.binary, "provenance", "embed", p, q, "--image-id", str(s)], check=True)
            x = np.asarray(Image.open(p).convert("RGB"), dtype=np.float64)
            y = np.asarray(Image.open(q).convert("RGB"), dtype=np.float64)
            psnr.append(10 * np.log10(255 ** 2 / max(np.mean((x - y) ** 2), 1e-12)))
        report["visibility"] = {"images": len(psnr), "what": "PSNR (dB) of marked against unmarked world renders",
                                "psnr_mean": round(float(np.mean(psnr)), 2), "psnr_min": round(float(np.min(psnr)), 2),
                                "psnr_p5": round(float(np.percentile(psnr, 5)), 2), "psnr_median": round(float(np.median(psnr)), 2)}
        null = check(a.binary, unmarked + photos)
        scores = np.array([r["score"] for r in null])
        evidence = np.array([r["bit_evidence"] for r in null])
        positives = [r["file"] for r in null if r["watermark_detected"]]
        report["unmarked"] = {"world_renders": len(unmarked), "photos": len(photos), "false_positives": len(positives),
                              "false_positive_rate": len(positives) / len(null), "score_max": round(float(scores.max()), 2),
                              "score_p99": round(float(np.percentile(scores, 99)), 2), "score_mean": round(float(scores.mean()), 2),
                              "score_std": round(float(scores.std()), 2),
                              "evidence_max": round(float(evidence.max()), 2), "evidence_p99": round(float(np.percentile(evidence, 99)), 2)}
        report["threshold"] = null[0]["threshold"] if null else None
        report["evidence_threshold"] = null[0]["evidence_threshold"] if null else None
    text = json.dumps(report, indent=1, sort_keys=True) + "\n"
    if a.out:
        tmp_out = a.out + ".tmp"
        with open(tmp_out, "w") as f:
            f.write(text)
        os.replace(tmp_out, a.out)
    print(text)
    bad = [n for n, v in per.items() if v["payload_correct"] < v["images"]] + (["false positives"] if positives else [])
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
