"""NB-mini training recipe. One command trains everything from scratch and resumes from runs/.

    python3 Weights/recipe/train.py --stage all [--hours H] [--device auto] [--threads N]

Stages run in order: vae, vae-decoder (the decoder fine-tuned for legible text, encoder frozen), refenc
(identity pre-training of the reference encoder), denoiser-v1 (DiT, reference encoder frozen),
denoiser-v2 (glyph, few-step), judges. A finished stage is skipped; an interrupted one resumes from
runs/<stage>/checkpoint.pt.
"""
from __future__ import annotations

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import torch  # noqa: E402

from recipe import common  # noqa: E402

STAGES = ["vae", "vae-decoder", "refenc", "denoiser-v1", "denoiser-v2", "judges"]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--stage", default="all", choices=STAGES + ["all"])
    ap.add_argument("--hours", type=float, default=None, help="stop (with a checkpoint) after this many hours")
    ap.add_argument("--device", default="auto")
    ap.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1)")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="override a stage default, e.g. --set total_steps=100 (smoke tests)")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    device = common.pick_device(args.device)
    overrides = {}
    for kv in args.set:
        k, v = kv.split("=", 1)
        overrides[k] = type(eval(v))(eval(v)) if v[:1].isdigit() or v[:1] in "-." else v
    deadline = common.Deadline(args.hours)
    stages = STAGES if args.stage == "all" else [args.stage]
    print(f"device={device} threads={args.threads} stages={stages}", flush=True)
    for st in stages:
        if st == "vae":
            from recipe import stage_vae as mod
        elif st == "vae-decoder":
            from recipe import stage_vae_decoder as mod
        elif st == "refenc":
            from recipe import stage_refenc as mod
        elif st in ("denoiser-v1", "denoiser-v2"):
            from recipe import stage_denoiser as mod
        else:
            from recipe import stage_judges as mod
        done = mod.run(device, deadline, overrides, **({"variant": st} if st.startswith("denoiser") else {}))
        if not done:
            return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
