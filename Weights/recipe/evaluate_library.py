"""Identity with references chosen automatically from a photo library vs hand-picked references.

    python3 Weights/recipe/evaluate_library.py [--cavendish .build/release/cavendish]
        [--library Weights/demo-library] [--per-count 8] [--out Weights/eval]

The library is the committed demo library (scripts/make_demo_library.py): its 6 people and 2 pets are
held-out identities of the world, which training never saw; `demo-manifest.json` says which. For each
subject count n in {1, 2}, `per-count` scenes of library members are drawn with world.sample_scene
(seeds 2_100_000_000 + 1000 n + i, photo style, no text), and caption 0 names them `@Name`. Each scene is
generated twice by the Swift CLI with the v2 preset and the same seed (6000 + i):

- auto: `cavendish generate --library L` resolves the names through the library index and uses the
  reference crops its ReferenceSelector chose (what a user gets);
- hand-picked: `cavendish generate --reference pK=...` with 3 clean portraits of the same identity drawn
  by the world (reference_photo seeds 3_100_000_000 + 10 (1000 n + i) + k), the references evaluate.py
  uses.

The identity judge (runs/judges) classifies the crop at each subject's ground-truth box among the 40
held-out identities, as in evaluate.py (for a canvas v2, at the planner's box it was told to draw in). The library is read through a consent recorded in a temporary
XDG data folder, which is deleted afterwards; nothing is written under the library.
Writes <out>/library_references.json (atomically) and <out>/grid_library.png.
"""
from __future__ import annotations

import argparse
import json
import os
import pathlib
import random
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402
import torch  # noqa: E402
from PIL import Image  # noqa: E402

from recipe import checkpoints, common, data, evaluate, world  # noqa: E402

ROOT = os.path.dirname(common.WEIGHTS)


def scenes(cast: dict, per_count: int):
    """(scene, names in placeholder order, prompt with @names, seed) for n = 1 and 2 subjects."""
    names = sorted(cast)
    items = []
    for n in (1, 2):
        for i in range(per_count):
            r = random.Random(2_100_000_000 + 1000 * n + i)
            chosen = r.sample(names, n)
            subjects = [(cast[m]["kind"], cast[m]["index"]) for m in chosen]
            sc = world.sample_scene(2_100_000_000 + 1000 * n + i, "heldout", subjects=subjects, style="photo", text="")
            prompt = sc.captions[0]
            for k, m in enumerate(chosen):
                prompt = prompt.replace(f"<p{k + 1}>", f"@{m}")
            items.append(dict(scene=sc, names=chosen, prompt=prompt, caption=sc.captions[0], n=n, seed=6000 + i, i=i))
    return items


def run(cmd, env):
    p = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if p.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[:3])} ... failed ({p.returncode}):\n{p.stderr.strip()}")
    return p.stdout


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cavendish", default=os.path.join(ROOT, ".build", "release", "cavendish"))
    ap.add_argument("--library", default=os.path.join(common.WEIGHTS, "demo-library"))
    ap.add_argument("--per-count", type=int, default=8)
    ap.add_argument("--out", default=os.path.join(common.WEIGHTS, "eval"))
    a = ap.parse_args(argv)
    if not os.access(a.cavendish, os.X_OK):
        raise SystemExit(f"{a.cavendish} is not an executable: build it with `swift build -c release` or pass --cavendish")
    torch.set_num_threads(1)
    _, id_j = checkpoints.judges()
    with open(os.path.join(a.library, "demo-manifest.json")) as f:
        cast = json.load(f)["people"]
    items = scenes(cast, a.per_count)
    results = {"library": os.path.relpath(a.library, ROOT), "preset": "v2", "per_count": a.per_count,
               "generator_version": world.GENERATOR_VERSION, "modes": {}}
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "XDG_DATA_HOME": os.path.join(tmp, "data"), "CAVENDISH_WEIGHTS": common.WEIGHTS}
        run([a.cavendish, "library", "connect", a.library, "--consent"], env)
        run([a.cavendish, "library", "scan", a.library], env)
        gens = {"auto": [], "hand": []}
        used = []
        for it in items:
            out = os.path.join(tmp, f"auto-{it['n']}-{it['i']}.png")
            js = json.loads(run([a.cavendish, "generate", "--library", a.library, "--prompt", it["prompt"], "--preset", "v2",
                                 "--seed", str(it["seed"]), "--out", out, "--json"], env))
            resolved = {"<" + r["placeholder"] + ">": r["name"] for r in js["references"]}
            expect = {f"<p{k + 1}>": m for k, m in enumerate(it["names"])}
            if resolved != expect:
                raise SystemExit(f"the library resolved {it['prompt']!r} to {resolved}, expected {expect}")
            used.append({"prompt": it["prompt"], "photos": js["library_photos_read"]})
            gens["auto"].append(np.asarray(Image.open(out).convert("RGB")))
            refs = []
            for k, m in enumerate(it["names"]):
                files = []
                for j in range(3):
                    p = os.path.join(tmp, f"ref-{it['n']}-{it['i']}-{k}-{j}.png")
                    Image.fromarray(world.reference_photo(cast[m]["kind"], "heldout", cast[m]["index"],
                                                          3_100_000_000 + 10 * (1000 * it["n"] + it["i"]) + j)).save(p)
                    files.append(p)
                refs += ["--reference", f"p{k + 1}=" + ",".join(files)]
            out = os.path.join(tmp, f"hand-{it['n']}-{it['i']}.png")
            run([a.cavendish, "generate", "--prompt", it["caption"], "--preset", "v2", "--seed", str(it["seed"]),
                 "--out", out] + refs, env)
            gens["hand"].append(np.asarray(Image.open(out).convert("RGB")))
            print(f"{len(used)}/{len(items)} {it['prompt']}", flush=True)
        run([a.cavendish, "library", "disconnect", a.library], env)
    labels = [world.render(it["scene"])[1] for it in items]
    from recipe import weights
    if weights.read("nb-mini-v2.h5")[1].get("canvas"):   # judged where the generator was told to draw each subject
        from recipe import canvas
        labels = [[{**lab, "box": list(canvas.planner_box(i, len(labs)))} for i, lab in enumerate(labs)] for labs in labels]
    for mode, imgs in gens.items():
        r = {}
        for n in (1, 2):
            pick = [k for k, it in enumerate(items) if it["n"] == n]
            r[f"identity_top1_{n}_subjects"] = evaluate.identity_top1(id_j, [imgs[k] for k in pick], [labels[k] for k in pick])
            r[f"subjects_{n}"] = sum(len(labels[k]) for k in pick)
        results["modes"][mode] = r
        print(mode, json.dumps(r))
    results["chance"] = 1 / len(data.HELDOUT)
    results["library_photos_read"] = used
    os.makedirs(a.out, exist_ok=True)
    cols = min(8, len(items))
    grid = Image.new("RGB", (cols * 128, 3 * 128))
    for j in range(cols):
        k = j * len(items) // cols
        grid.paste(Image.fromarray(world.render(items[k]["scene"])[0]), (j * 128, 0))
        grid.paste(Image.fromarray(gens["auto"][k]), (j * 128, 128))
        grid.paste(Image.fromarray(gens["hand"][k]), (j * 128, 256))
    common.atomic_write(os.path.join(a.out, "grid_library.png"), lambda p: grid.save(p, format="PNG"))
    common.atomic_write(os.path.join(a.out, "library_references.json"),
                        lambda p: pathlib.Path(p).write_text(json.dumps(results, indent=2) + "\n"))
    common.record_metrics("library_references", {"modes": results["modes"], "chance": results["chance"], "library": results["library"]})
    print("wrote", os.path.join(a.out, "library_references.json"), "and its figures into manifest.json")


if __name__ == "__main__":
    main()
