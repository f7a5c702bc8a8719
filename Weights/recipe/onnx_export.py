"""Export the reference components to ONNX (for the ONNX Runtime comparison in `cavendish bench` and to
prove the graphs use only the Swift runtime's op set), from the exported Weights/*.h5.

    python3 Weights/recipe/onnx_export.py [--out Weights/recipe/runs/onnx]

Writes dit_v1.onnx (one conditional evaluation), dit_v2.onnx, vae_decoder.onnx, refenc_r3.onnx (one person, 3 photos) and
prints the op types of each graph; exits non-zero if an op outside the allowed set appears.
Uses the TorchScript-based exporter (dynamo=False).
"""
from __future__ import annotations

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import torch  # noqa: E402

from recipe import common, weights  # noqa: E402

OPSET = 21
ALLOWED = {"MatMul", "Gemm", "Conv", "Softmax", "LayerNormalization", "GroupNormalization",
           "RMSNormalization", "Gelu", "Sigmoid", "Tanh", "Erf", "Exp", "Sqrt", "Sin", "Cos", "Add", "Sub",
           "Mul", "Div", "Pow", "Transpose", "Reshape", "Concat", "Split", "Slice", "Gather", "Expand",
           "Where", "Resize", "ReduceMean", "ReduceSum", "Cast", "Attention",
           # shape bookkeeping the exporter emits around the ops above (Equal: only in the
           # ConstantOfShape -> Mul -> Equal -> Where pattern of Expand(-1), on constant shapes)
           "Shape", "Constant", "Unsqueeze", "Squeeze", "ConstantOfShape", "Identity", "Equal",
           # the TorchScript exporter spells GroupNorm as Reshape -> InstanceNormalization -> Reshape -> Mul/Add
           "InstanceNormalization"}


class DiTCall(torch.nn.Module):
    def __init__(self, dit, v2):
        super().__init__()
        self.dit, self.v2 = dit, v2

    def forward(self, x, t, text, text_mask, ref, ref_mask, glyph=None, guidance=None):
        if self.v2:
            return self.dit(x, t, text, text_mask, ref, ref_mask, 1.0, glyph, guidance)
        return self.dit(x, t, text, text_mask, ref, ref_mask, 1.0)


class PersonTokens(torch.nn.Module):
    """One person's 1-4 photos -> K tokens bound to placeholder slot (the mask-free path)."""

    def __init__(self, ref):
        super().__init__()
        self.ref = ref

    def forward(self, photos, slot):
        return self.ref.person_tokens(photos) + self.ref.slot(slot)[:, None, :]


def ops(path):
    import onnx
    m = onnx.load(path)
    return sorted({n.op_type for n in m.graph.node})


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(common.RUNS, "onnx"))
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    bad = {}
    B = 1
    args = (torch.randn(B, 4, 32, 32), torch.tensor([0.5]), torch.randn(B, 48, 384), torch.ones(B, 48, dtype=torch.bool),
            torch.randn(B, 8, 256), torch.ones(B, 8, dtype=torch.bool))
    names = ["x", "t", "text", "text_mask", "ref", "ref_mask"]
    jobs = [("dit_v1.onnx", DiTCall(weights.dit("v1"), False), args, names),
            ("dit_v2.onnx", DiTCall(weights.dit("v2"), True), args + (torch.zeros(B, 1, 128, 128), torch.tensor([3.0])),
             names + ["glyph", "guidance"]),
            ("vae_decoder.onnx", weights.vae().decoder, (torch.randn(1, 4, 32, 32),), ["latent"])]
    jobs.append(("refenc_r3.onnx", PersonTokens(weights.refenc()), (torch.randn(1, 3, 3, 64, 64), torch.tensor([0])),
                 ["photos", "slot"]))
    for fname, mod, inp, nm in jobs:
        path = os.path.join(a.out, fname)
        torch.onnx.export(mod.eval(), inp, path, input_names=nm, opset_version=OPSET, dynamo=False)
        o = ops(path)
        extra = [x for x in o if x not in ALLOWED]
        print(f"{fname}: {', '.join(o)}" + (f"  NOT ALLOWED: {extra}" if extra else ""))
        if extra:
            bad[fname] = extra
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
