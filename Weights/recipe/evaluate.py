"""Evaluation of NB-mini v1 and v2 on held-out identities and held-out prompts (fixed prompt set, fixed
seeds), using the exported Weights/*.h5 and the judges from runs/judges.

    python3 Weights/recipe/evaluate.py [--per-count 32] [--presets v1,v2] [--out Weights/eval]
    python3 Weights/recipe/evaluate.py --validation --per-count 8 --presets v2 --guidance v2=4

Prompt set: for each subject count n in {1, 2, 3}, `per-count` scenes drawn with
world.sample_scene(2_000_000_000 + 1000 n + i, "heldout", n_subjects=n, p_text=1.0) (held-out people
and pets, every setting and style, quoted text = vocabulary words or random 3-10 letter strings),
caption 0, and 3 reference photos per subject (reference_photo seeds 3_000_000_000 + 10 i + k).
Image seed: 5000 + i. `--validation` swaps in a validation set drawn the same way from other seeds
(2_100_000_000, 3_100_000_000, 7000; see PROMPT_SEEDS), for choosing sampler settings such as
`--guidance v2=4` without looking at the evaluation set.

VAE: held-out PSNR (64 scenes) and text survival (Tesseract words read on reconstructions / on originals).

Metrics (per preset):
- text: Tesseract word accuracy on the quoted text (exact match, spaces ignored; OCR of the box where the
  glyph map lays the text out, 3 px margin, upscaled 3x, psm 7, upper-case whitelist); null when
  `tesseract` is not installed (apt-get install tesseract-ocr). The same OCR on the ground-truth renders
  is reported beside it (pixel-art text is unreadable to Tesseract by construction), and the accuracy
  over just the prompts whose ground truth it reads. Character accuracy (1 - edit distance / length,
  floored at 0) gives the partial credit that exact word matches hide.
- identity top-1: the identity judge classifies the crop at each subject's ground-truth box (boxes of
  the ground-truth render of the same scene; placeholders are numbered left to right), among the 40
  held-out identities; reported for n = 1, 2, 3.
- setting / style accuracy: the scene judge on the whole image.
- KID (x1000): polynomial-kernel KID between generated images and the ground-truth renders of the same
  scenes, on the scene judge's pooled features (128-d) -- "NB-mini scene-judge features".
- seconds per image (PyTorch eager, `--threads` threads, 1 by default).
Every proportion carries its 95% Wilson interval (`*_ci95`); text is also given per style
(`text_by_style`) and as a ratio to the ground truth's own rate (`text_ratio_to_ground_truth`).
v2 with a layout input is given the planner's strips (layout.py) for the prompt's subjects; the world's
ground-truth boxes lie inside those strips (on 600 training scenes, 99% of a box's width for 2 subjects,
96% for 3), so the crop-at-the-box protocol judges each subject where the generator was told to put it.
A canvas model (canvas.py) is told a box, the planner's, and is judged at that box.
Writes <out>/results.json and <out>/grid_<preset>.png (top row ground truth, then generations).
"""
from __future__ import annotations

import argparse
import json
import os
import pathlib
import shutil
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402
import torch  # noqa: E402
from PIL import Image  # noqa: E402

from recipe import checkpoints, common, data, world  # noqa: E402
from recipe.measure import char_accuracy, ocr_word, psnr, text_survival, word_matches  # noqa: E402


# (scene seed base, reference-photo seed base, image seed base): the evaluation set, and a validation set
# of other seeds for choosing sampler settings without looking at the evaluation set.
PROMPT_SEEDS = {"evaluation": (2_000_000_000, 3_000_000_000, 5000), "validation": (2_100_000_000, 3_100_000_000, 7000)}


def prompt_set(per_count: int, which: str = "evaluation"):
    scene0, ref0, image0 = PROMPT_SEEDS[which]
    items = []
    for n in (1, 2, 3):
        for i in range(per_count):
            sc = world.sample_scene(scene0 + 1000 * n + i, "heldout", n_subjects=n, p_text=1.0)
            refs = {p + 1: [world.reference_photo(k, "heldout", idx, ref0 + 10 * (1000 * n + i) + r)
                            for r in range(3)] for p, (k, idx) in enumerate(sc.subjects)}
            gt, labels = world.render(sc)
            items.append(dict(scene=sc, prompt=sc.captions[0], refs=refs, gt=gt, labels=labels, n=n, seed=image0 + i))
    return items


def identity_top1(id_j, images: list, labels: list) -> float:
    """Share of subjects the identity judge names right (among the held-out identities), from the crop
    at each subject's ground-truth box; labels[i] are image i's world labels."""
    crops, ys = [], []
    for img, labs in zip(images, labels):
        for lab in labs:
            crops.append(data.crop_subject(img, lab["box"]))
            ys.append(data.HELDOUT.index((lab["kind"], lab["index"])))
    with torch.no_grad():
        pred = id_j(data.to_tensor(crops))["identity"].argmax(1).numpy()
    return float(np.mean(pred == np.array(ys)))


def told(pipe, item: dict) -> list:
    """The item's labels with each subject's box where the generator was told to draw it: the planner's
    box for a canvas model (canvas.py), the ground truth's otherwise (it lies inside the planner's strip)."""
    if not pipe.dit.config.canvas:
        return item["labels"]
    from recipe import canvas
    n = len(item["labels"])
    return [{**lab, "box": list(canvas.planner_box(i, n))} for i, lab in enumerate(item["labels"])]


def wilson(p: float, n: int, z: float = 1.96) -> list:
    """95% Wilson score interval of a proportion p measured on n trials (rounded to 4 places)."""
    if n == 0:
        return [0.0, 1.0]
    c = (p + z * z / (2 * n)) / (1 + z * z / n)
    h = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return [round(float(max(0.0, c - h)), 4), round(float(min(1.0, c + h)), 4)]


def by_style(items: list, read: np.ndarray, gt_read: np.ndarray) -> dict:
    """Word accuracy per style, over all prompts and over those whose ground truth Tesseract reads."""
    out = {}
    for style in world.STYLES:
        m = np.array([it["scene"].style == style for it in items])
        if not m.any():
            continue
        g = m & gt_read
        out[style] = {"prompts": int(m.sum()), "word_accuracy": float(read[m].mean()),
                      "ground_truth_reads": int(g.sum()),
                      "word_accuracy_where_ground_truth_reads": float(read[g].mean()) if g.any() else None}
    return out


def kid(fa: np.ndarray, fb: np.ndarray) -> float:
    d = fa.shape[1]
    k = lambda a, b: (a @ b.T / d + 1) ** 3  # noqa: E731
    m, n = len(fa), len(fb)
    kxx, kyy, kxy = k(fa, fa), k(fb, fb), k(fa, fb)
    return float((kxx.sum() - np.trace(kxx)) / (m * (m - 1)) + (kyy.sum() - np.trace(kyy)) / (n * (n - 1))
                 - 2 * kxy.mean())


@torch.no_grad()
def evaluate_vae(n: int = 64):
    """PSNR of VAE reconstructions of held-out scenes (the exported float16 weights), and whether text
    survives: Tesseract words read on reconstructions vs originals (scenes with text, all styles)."""
    from recipe import weights
    vae = weights.vae()
    x = data.heldout_images(n)
    rec = vae.decode(vae.encode(x)[0])   # no glyph maps, as v1 decodes
    out = {"heldout_psnr_db": psnr(rec, x), "images": n}
    words = text_survival(vae, 1_500_000_000, n)
    if words is not None:
        ok_o, ok_r = words
        out.update(tesseract_words_original=int(ok_o), tesseract_words_reconstructed=int(ok_r),
                   text_survival_ratio=ok_r / max(1, ok_o))
    return out


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--per-count", type=int, default=32, help="prompts per subject count (1, 2, 3); 32 gives 96")
    ap.add_argument("--presets", default="v1,v2")
    ap.add_argument("--out", help="default Weights/eval, or runs/validation with --validation")
    ap.add_argument("--validation", action="store_true",
                    help="the validation prompt set (other seeds): for choosing sampler settings; skips the VAE "
                         "and leaves manifest.json alone")
    ap.add_argument("--guidance", action="append", default=[], metavar="PRESET=W",
                    help="guidance scale for a preset instead of its default, e.g. v2=4")
    ap.add_argument("--ref-scale", action="append", default=[], metavar="PRESET=S",
                    help="reference scale for a preset instead of its default (the weight of its reference paths), e.g. v2=1")
    ap.add_argument("--source", default="weights", choices=["weights", "runs"],
                    help="runs: the checkpoints in runs/ (with --validation, to judge a run before exporting it)")
    ap.add_argument("--threads", type=int, default=1, help="torch threads (seconds_per_image is measured with this many)")
    a = ap.parse_args(argv)
    if a.source == "runs" and not a.validation:
        ap.error("--source runs is for --validation only: the evaluation's figures describe the exported weights")
    a.out = a.out or (common.stage_dir("validation") if a.validation else os.path.join(common.WEIGHTS, "eval"))
    guidance = {k: float(v) for k, v in (g.split("=", 1) for g in a.guidance)}
    ref_scale = {k: float(v) for k, v in (g.split("=", 1) for g in a.ref_scale)}
    torch.set_num_threads(a.threads)
    from recipe.pipeline import Pipeline
    try:
        scene_j, id_j = checkpoints.judges()
    except SystemExit as e:
        print(e)
        scene_j = id_j = None
    items = prompt_set(a.per_count, "validation" if a.validation else "evaluation")
    results = {"prompt_set": {"per_count": a.per_count, "counts": [1, 2, 3], "total": len(items),
                              "seeds": "validation" if a.validation else "evaluation"},
               "generator_version": world.GENERATOR_VERSION,
               "kid_features": "NB-mini scene-judge pooled features (128-d)",
               "tesseract": shutil.which("tesseract") is not None, "threads": a.threads,
               "weights_sha256": {f: common.sha256(os.path.join(common.WEIGHTS, f)) for f in
                                  ("nb-mini-vae.h5", "nb-mini-refenc.h5", "nb-mini-v1.h5", "nb-mini-v2.h5", "nb-mini-judges.h5")
                                  if os.path.exists(os.path.join(common.WEIGHTS, f))},
               "presets": {}}

    def feats(imgs):
        with torch.no_grad():
            return scene_j.features(data.to_tensor(imgs)).mean(dim=(2, 3)).numpy().astype(np.float64)

    if scene_j is not None:
        o = scene_j(data.to_tensor([it["gt"] for it in items]))
        results["judges_on_ground_truth"] = {
            "setting_acc": float(np.mean([world.SETTINGS[j] == it["scene"].setting for j, it in zip(o["setting"].argmax(1).tolist(), items)])),
            "style_acc": float(np.mean([world.STYLES[j] == it["scene"].style for j, it in zip(o["style"].argmax(1).tolist(), items)])),
            **{f"identity_top1_{n}_subjects": identity_top1(id_j, [it["gt"] for it in items if it["n"] == n],
                                                            [it["labels"] for it in items if it["n"] == n]) for n in (1, 2, 3)}}
    os.makedirs(a.out, exist_ok=True)
    # Tesseract cannot read every style (pixel-art letters are 3-4 px blocks), so the text figure is also
    # given over the prompts whose ground-truth render it reads.
    gt_ocr = [ocr_word(it["gt"], it["scene"].text) for it in items] if shutil.which("tesseract") is not None else None
    if gt_ocr is not None:
        gt_read = np.array([word_matches(o, it["scene"].text) for o, it in zip(gt_ocr, items)])
        gt_chars = float(np.mean([char_accuracy(o, it["scene"].text) for o, it in zip(gt_ocr, items)]))
    else:
        gt_read = None
    if not a.validation:
        results["vae"] = evaluate_vae()
        print("vae", json.dumps(results["vae"]))
    # A preset not evaluated this time keeps its figures from the results file when the weights it was measured on
    # (its denoiser, the VAE, the reference encoder and the judges) are the same files, byte for byte.
    previous_path = os.path.join(a.out, "results.json")
    if os.path.exists(previous_path) and a.source == "weights":
        previous = json.load(open(previous_path))
        shared = ("nb-mini-vae.h5", "nb-mini-refenc.h5", "nb-mini-judges.h5")
        for preset, figures in previous.get("presets", {}).items():
            files = shared + (f"nb-mini-{preset}.h5",)
            if (preset not in a.presets.split(",") and previous.get("prompt_set") == results["prompt_set"]
                    and all(previous.get("weights_sha256", {}).get(f) == results["weights_sha256"].get(f) for f in files)):
                results["presets"][preset] = figures
                print(f"{preset}: kept from {previous_path} (its weights are unchanged)")
    for preset in a.presets.split(","):
        pipe = Pipeline(preset, source=a.source)
        gens, secs = [], []
        for it in items:
            t = time.time()
            gens.append(pipe.generate(it["prompt"], it["refs"], seed=it["seed"], guidance=guidance.get(preset),
                                      ref_scale=ref_scale.get(preset)))
            secs.append(time.time() - t)
        from recipe.pipeline import PRESETS
        r = {"seconds_per_image": float(np.mean(secs)), "steps": PRESETS[preset]["steps"],
             "guidance": guidance.get(preset, PRESETS[preset]["guidance"]), "ref_scale": ref_scale.get(preset, PRESETS[preset]["ref_scale"])}
        if gt_read is not None:
            ocr = [ocr_word(g, it["scene"].text) for g, it in zip(gens, items)]
            read = np.array([word_matches(o, it["scene"].text) for o, it in zip(ocr, items)])
            r["text_word_accuracy"] = float(read.mean())
            r["text_char_accuracy"] = float(np.mean([char_accuracy(o, it["scene"].text) for o, it in zip(ocr, items)]))
            r["text_char_accuracy_ground_truth"] = gt_chars
            r["text_word_accuracy_ground_truth"] = float(gt_read.mean())
            r["text_word_accuracy_where_ground_truth_reads"] = float(read[gt_read].mean()) if gt_read.any() else None
            r["text_word_accuracy_ci95"] = wilson(r["text_word_accuracy"], len(items))
            if gt_read.any():
                r["text_word_accuracy_where_ground_truth_reads_ci95"] = wilson(
                    r["text_word_accuracy_where_ground_truth_reads"], int(gt_read.sum()))
            r["text_ratio_to_ground_truth"] = float(read.mean() / gt_read.mean()) if gt_read.any() else None
            r["text_by_style"] = by_style(items, read, gt_read)
        else:
            r["text_word_accuracy"] = None
        if scene_j is not None:
            with torch.no_grad():
                o = scene_j(data.to_tensor(gens))
            r["setting_acc"] = float(np.mean([world.SETTINGS[j] == it["scene"].setting for j, it in zip(o["setting"].argmax(1).tolist(), items)]))
            r["style_acc"] = float(np.mean([world.STYLES[j] == it["scene"].style for j, it in zip(o["style"].argmax(1).tolist(), items)]))
            r["kid_x1000"] = 1000 * kid(feats(gens), feats([it["gt"] for it in items]))
            r["setting_acc_ci95"], r["style_acc_ci95"] = wilson(r["setting_acc"], len(items)), wilson(r["style_acc"], len(items))
            for n in (1, 2, 3):
                r[f"identity_top1_{n}_subjects"] = identity_top1(
                    id_j, [g for g, it in zip(gens, items) if it["n"] == n], [told(pipe, it) for it in items if it["n"] == n])
                r[f"identity_top1_{n}_subjects_ci95"] = wilson(r[f"identity_top1_{n}_subjects"], n * a.per_count)
        results["presets"][preset] = r
        cols = min(8, len(items))
        grid = Image.new("RGB", (cols * 128, 2 * 128))
        for j in range(cols):
            k = j * len(items) // cols
            grid.paste(Image.fromarray(items[k]["gt"]), (j * 128, 0))
            grid.paste(Image.fromarray(gens[k]), (j * 128, 128))
        common.atomic_write(os.path.join(a.out, f"grid_{preset}.png"), lambda p: grid.save(p, format="PNG"))
        print(preset, json.dumps(r))
    common.atomic_write(os.path.join(a.out, "results.json"),
                        lambda p: pathlib.Path(p).write_text(json.dumps(results, indent=2) + "\n"))
    if a.validation:
        print("wrote", os.path.join(a.out, "results.json"))
        return
    common.record_metrics("evaluation", {k: v for k, v in results.items() if k in ("vae", "presets", "judges_on_ground_truth", "prompt_set")})
    print("wrote", os.path.join(a.out, "results.json"), "and its figures into manifest.json")


if __name__ == "__main__":
    main()
