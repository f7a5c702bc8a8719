#!/usr/bin/env python3
"""Seeded unit cases for Cavendish's kernels, written as case files (docs/KERNEL_CASES.md).

Every case's expected outputs are computed here in numpy, in float64, from the inputs exactly as
stored (float16 / bfloat16 inputs are rounded first), then rounded to the output's storage type.
Every case is then cross-checked against onnx.reference.ReferenceEvaluator (run on float64
copies of the inputs, so it is a check of semantics, not of rounding): the script stops with an
error if the two disagree. Reading the files needs only h5py and numpy.

    <out>/<OpType>/<descriptive_name>.h5     one case per file
    <out>/INDEX.json                          file list with descriptions

Each case draws from numpy.random.default_rng(crc32(case name)), so cases are independent of each
other and rerunning rewrites byte-identical files.

Usage: python3 scripts/kernel_unit_cases.py [--out Tests/Fixtures/kernel-cases] [--no-check]
"""

from __future__ import annotations

import argparse
import collections
import json
import math
import os
import shutil
import sys
import warnings
import zlib

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import casefile  # noqa: E402
from casefile import BF16Bits  # noqa: E402
from kernel_reference import (  # noqa: E402
    BINARY, UNARY, attention, conv, gelu, group_norm, int_div, layer_norm, matmul, onnx_slice, resize,
    rms_norm, softmax,
)

OPSET = 23  # every case states opset 23; GroupNormalization-21 and ReduceMean-18 are current there

# ONNX TensorProto element types used by Cast's `to`
TP_FLOAT, TP_UINT8, TP_INT8, TP_INT32, TP_INT64, TP_BOOL, TP_FLOAT16, TP_DOUBLE, TP_BFLOAT16 = 1, 2, 3, 6, 7, 9, 10, 11, 16

NAN, INF = float("nan"), float("inf")


# --------------------------------------------------------------------------------------------
# storage helpers
# --------------------------------------------------------------------------------------------

def store(x, dt: str):
    """float values -> stored array of element type dt ('float32', 'float16', 'bfloat16', 'float64')."""
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(over="ignore", invalid="ignore"):
        if dt == "bfloat16":
            return BF16Bits(casefile._c(x.astype(casefile.BF16).view(np.uint16)))
        return x.astype(dt)


def val(v):
    """stored value -> float64 values (ints and bools unchanged)."""
    if isinstance(v, BF16Bits):
        return casefile.bf16_bits_to_f32(v.bits).astype(np.float64)
    a = np.asarray(v)
    return a.astype(np.float64) if a.dtype.kind == "f" else a


def dtype_of(v) -> str:
    return "bfloat16" if isinstance(v, BF16Bits) else np.asarray(v).dtype.name


def rand(rng, shape, dt="float32", scale=1.0, low=None, high=None):
    if low is not None:
        x = rng.uniform(low, high, size=shape)
    else:
        x = rng.standard_normal(size=shape) * scale
    return store(x, dt)


def i64(x):
    return np.asarray(x, dtype=np.int64)


def rng_for(name: str):
    return np.random.default_rng(zlib.crc32(name.encode()))


# --------------------------------------------------------------------------------------------
# case collection
# --------------------------------------------------------------------------------------------

class Case:
    def __init__(self, op, name, inputs, outputs, attrs=None, desc="", rtol=None, atol=None,
                 ref_upcast=True):
        self.op, self.name, self.inputs, self.outputs = op, name, inputs, outputs
        self.attrs = attrs or {}
        self.desc, self.rtol, self.atol = desc, rtol, atol
        self.ref_upcast = ref_upcast


CASES: list[Case] = []


def add(op, name, inputs, outputs, attrs=None, desc="", **kw):
    assert name not in {c.name for c in CASES if c.op == op}, name
    CASES.append(Case(op, name, inputs, outputs, attrs, desc, **kw))


# --------------------------------------------------------------------------------------------
# cases per operator
# --------------------------------------------------------------------------------------------

SPECIALS = [NAN, INF, -INF, 0.0, -0.0, 1.0, -1.0, 0.5, -2.5, 20.0, -20.0, 88.0, -88.0, 100.0, -100.0, 1e-20]


def unary_cases():
    for op, f in UNARY.items():
        pos = op == "Sqrt"
        nm = f"{op.lower()}_f32_odd_3x1x7"
        r = rng_for(nm)
        x = rand(r, (3, 1, 7), low=0.0 if pos else -4.0, high=9.0 if pos else 4.0)
        add(op, nm, {0: x}, {0: store(f(val(x)), "float32")}, desc=f"{op} float32, odd shape with a size-1 dim")
        nm = f"{op.lower()}_f32_nan_inf_specials"
        x = store(SPECIALS, "float32")
        with np.errstate(all="ignore"):
            y = f(val(x))
        add(op, nm, {0: x}, {0: store(y, "float32")},
            desc=f"{op} float32 specials: NaN, +/-inf, +/-0, overflow/underflow arguments")
        for dt, shape in (("float16", (2, 5, 3)), ("bfloat16", (4, 9))):
            nm = f"{op.lower()}_{'f16' if dt == 'float16' else 'bf16'}_{'x'.join(map(str, shape))}"
            r = rng_for(nm)
            x = rand(r, shape, dt, low=0.0 if pos else -3.0, high=5.0 if pos else 3.0)
            add(op, nm, {0: x}, {0: store(f(val(x)), dt)},
                desc=f"{op} {dt}: expected computed in float64 from the {dt} inputs, then rounded")
    for op, f in (("Exp", np.exp), ("Sqrt", np.sqrt)):
        nm = f"{op.lower()}_f32_scalar"
        x = store(2.25, "float32")
        add(op, nm, {0: x}, {0: store(f(val(x)), "float32")}, desc=f"{op} on a rank-0 tensor")

    # Gelu (opset 20)
    for approx in ("none", "tanh"):
        attrs = {} if approx == "none" else {"approximate": "tanh"}
        nm = f"gelu_{approx}_f32_odd_5x13"
        r = rng_for(nm)
        x = rand(r, (5, 13), scale=2.0)
        add("Gelu", nm, {0: x}, {0: store(gelu(val(x), approx), "float32")}, attrs,
            desc=f"Gelu approximate={approx}, float32")
        # -inf is left out: mathematically Gelu(-inf) = 0, but 0.5*x*(1+erf(x/sqrt2)) and the
        # onnx reference give NaN; implementations differ.
        nm = f"gelu_{approx}_f32_specials"
        x = store([NAN, INF, 0.0, -0.0, 1.0, -1.0, 10.0, -10.0, 30.0, -30.0, 1e-20], "float32")
        add("Gelu", nm, {0: x}, {0: store(gelu(val(x), approx), "float32")}, attrs,
            desc=f"Gelu approximate={approx}: NaN, +inf, +/-0, large +/- arguments (no -inf)")
        for dt, shape in (("float16", (3, 17)), ("bfloat16", (2, 3, 5))):
            nm = f"gelu_{approx}_{'f16' if dt == 'float16' else 'bf16'}_{'x'.join(map(str, shape))}"
            r = rng_for(nm)
            x = rand(r, shape, dt, scale=2.0)
            add("Gelu", nm, {0: x}, {0: store(gelu(val(x), approx), dt)}, attrs,
                desc=f"Gelu approximate={approx}, {dt}")


SPECIAL_PAIRS = [
    (NAN, 1.0), (1.0, NAN), (INF, 1.0), (-INF, 1.0), (INF, INF), (INF, -INF), (-INF, -INF),
    (0.0, INF), (INF, 0.0), (0.0, 0.0), (1.0, 0.0), (-1.0, 0.0), (-0.0, 1.0), (2.0, -INF),
    (0.5, INF), (3e38, 3e38), (-8.0, 1 / 3), (0.0, -1.0), (-0.0, -1.0), (-INF, 3.0),
]


def binary_cases():
    for op, f in BINARY.items():
        lo = op.lower()
        def fl(nm, shapes, dt="float32", desc="", positive_base=False):
            r = rng_for(nm)
            if op == "Pow":
                a = rand(r, shapes[0], dt, low=0.1, high=3.0)
                b = rand(r, shapes[1], dt, low=-2.0, high=2.0)
            elif op == "Div":
                a = rand(r, shapes[0], dt)
                b = store(np.where(r.random(shapes[1]) < 0.5, -1, 1) * r.uniform(0.5, 2.0, shapes[1]), dt)
            else:
                a, b = rand(r, shapes[0], dt), rand(r, shapes[1], dt)
            y = f(val(a), val(b))
            add(op, nm, {0: a, 1: b}, {0: store(y, dt)}, desc=desc)

        fl(f"{lo}_f32_same_shape_3x5x7", [(3, 5, 7), (3, 5, 7)], desc=f"{op} float32, same odd shapes")
        fl(f"{lo}_f32_bcast_3x1x5_4x5", [(3, 1, 5), (4, 5)], desc=f"{op} broadcast (3,1,5) with (4,5) -> (3,4,5)")
        fl(f"{lo}_f32_bcast_1x4x1_3x1x5", [(1, 4, 1), (3, 1, 5)],
           desc=f"{op} broadcast both ways (1,4,1) with (3,1,5) -> (3,4,5)")
        fl(f"{lo}_f32_bcast_scalar_rhs", [(2, 3), ()], desc=f"{op} (2,3) with a rank-0 tensor")
        fl(f"{lo}_f32_bcast_scalar_lhs", [(), (4, 1)], desc=f"{op} rank-0 tensor with (4,1)")
        fl(f"{lo}_f16_bcast_3x4_4", [(3, 4), (4,)], "float16", desc=f"{op} float16 with broadcast")
        fl(f"{lo}_bf16_bcast_5x3_5x1", [(5, 3), (5, 1)], "bfloat16", desc=f"{op} bfloat16 with broadcast")

        nm = f"{lo}_f32_nan_inf_specials" if op != "Pow" else "pow_f32_ieee_specials"
        a = store([p[0] for p in SPECIAL_PAIRS], "float32")
        b = store([p[1] for p in SPECIAL_PAIRS], "float32")
        with np.errstate(all="ignore"):
            y = f(val(a), val(b))
        desc = f"{op} float32 element pairs with NaN, +/-inf, +/-0, overflow"
        if op == "Pow":
            desc += ("; C99/IEEE pow rules as numpy and the onnx reference give them: pow(NaN,0)=1, "
                     "pow(1,NaN)=1, pow(x,+/-0)=1, pow(-8,1/3)=NaN, pow(-0,-1)=-inf")
        add(op, nm, {0: a, 1: b}, {0: store(y, "float32")}, desc=desc)

        if op in ("Add", "Sub", "Mul", "Div"):
            for dt in ("int32", "int64"):
                nm = f"{lo}_{dt}_bcast_3x4_4"
                r = rng_for(nm)
                big = 2 ** 40 if (dt == "int64" and op in ("Add", "Sub")) else 0
                a = (r.integers(-50, 50, (3, 4)) + big).astype(dt)
                b = r.integers(-9, 10, (4,)).astype(dt)
                b[b == 0] = 3
                y = int_div(a, b) if op == "Div" else f(a, b).astype(dt)
                desc = f"{op} {dt} with broadcast and negative values"
                if op == "Div":
                    desc += "; integer division truncates toward zero (-7/2 = -3)"
                if big:
                    desc += "; values near 2^40 need 64-bit integer math"
                add(op, nm, {0: a, 1: b}, {0: y}, desc=desc)
        if op == "Div":
            a = np.array([7, -7, 7, -7, 0, 1, -1, 9, -9, 100], dtype=np.int32)
            b = np.array([2, 2, -2, -2, 5, 3, 3, -4, 4, 7], dtype=np.int32)
            add(op, "div_int32_truncation_signs", {0: a, 1: b}, {0: int_div(a, b)},
                desc="Div int32: every sign combination; truncation toward zero, not floor")
    # Pow: negative base with integral exponents, and an int64 exponent tensor (T1 float, T2 int)
    nm = "pow_f32_negative_base_integer_exponent"
    r = rng_for(nm)
    a = store(-r.uniform(0.5, 2.0, (2, 6)), "float32")
    b = store(np.array([[0, 1, 2, 3, -1, -2]] * 2, dtype=np.float64), "float32")
    add("Pow", nm, {0: a, 1: b}, {0: store(np.power(val(a), val(b)), "float32")},
        desc="Pow with negative base and integer-valued float exponents (sign follows parity)")
    nm = "pow_f32_base_int64_exponent"
    r = rng_for(nm)
    a = rand(r, (3, 4), low=-2.0, high=2.0)
    b = i64([0, 1, 2, 3])
    add("Pow", nm, {0: a, 1: b}, {0: store(np.power(val(a), b.astype(np.float64)), "float32")},
        desc="Pow float32 base, int64 exponent (mixed T1/T2), broadcast exponent")
    nm = "pow_f32_square_scalar_exponent"
    r = rng_for(nm)
    a = rand(r, (4, 5))
    b = store(2.0, "float32")
    add("Pow", nm, {0: a, 1: b}, {0: store(val(a) ** 2, "float32")}, desc="Pow x^2 with a rank-0 exponent")
    a = i64([[2, -3, 5], [0, 1, -1]])
    b = i64([3, 2, 0])
    add("Pow", "pow_int64", {0: a, 1: b}, {0: np.power(a, b)}, desc="Pow int64 base and exponent (non-negative)")


def where_expand_cases():
    nm = "where_f32_bcast_cond_3x1x5_x_1x4x5_y_scalar"
    r = rng_for(nm)
    c = r.random((3, 1, 5)) < 0.5
    x = rand(r, (1, 4, 5))
    y = store(-7.5, "float32")
    add("Where", nm, {0: c, 1: x, 2: y}, {0: store(np.where(c, val(x), val(y)), "float32")},
        desc="Where: bool condition (3,1,5), X (1,4,5), Y rank-0 -> (3,4,5)")
    nm = "where_int64_same_shape"
    r = rng_for(nm)
    c = r.random((4, 3)) < 0.5
    x, y = r.integers(-100, 100, (4, 3)), r.integers(-100, 100, (4, 3))
    add("Where", nm, {0: c, 1: x, 2: y}, {0: np.where(c, x, y)}, desc="Where int64, same shapes")
    nm = "where_f16_nan_passthrough"
    r = rng_for(nm)
    c = np.array([True, False, True, False, True])
    x = store([NAN, 1.0, INF, 2.0, -INF], "float16")
    y = store(r.standard_normal((2, 1)), "float16")
    add("Where", nm, {0: c, 1: x, 2: y}, {0: store(np.where(c, val(x), val(y)), "float16")},
        desc="Where float16, NaN/inf selected from X pass through; (5,) with (2,1) -> (2,5)")
    nm = "where_bf16_cond_broadcast"
    r = rng_for(nm)
    c = r.random((2, 1, 3)) < 0.5
    x, y = rand(r, (2, 4, 3), "bfloat16"), rand(r, (3,), "bfloat16")
    add("Where", nm, {0: c, 1: x, 2: y}, {0: store(np.where(c, val(x), val(y)), "bfloat16")},
        desc="Where bfloat16 with broadcasting")

    def expand(nm, x, shape, desc):
        xv = val(x)
        out_shape = np.broadcast_shapes(xv.shape, tuple(shape))
        y = np.broadcast_to(xv, out_shape)
        yy = store(y, dtype_of(x)) if dtype_of(x) in ("float32", "float16", "bfloat16") else np.array(y)
        add("Expand", nm, {0: x, 1: i64(shape)}, {0: yy}, desc=desc)

    r = rng_for("expand")
    expand("expand_3x1_to_2x1x6", rand(r, (3, 1)), [2, 1, 6], "Expand (3,1) by shape [2,1,6] -> (2,3,6)")
    expand("expand_shape_smaller_rank_with_ones", rand(r, (2, 3, 4)), [3, 1],
           "Expand (2,3,4) by [3,1]: shape of lower rank and 1s keep input dims -> (2,3,4)")
    expand("expand_scalar_to_2x3", store(1.25, "float32"), [2, 3], "Expand a rank-0 tensor to (2,3)")
    expand("expand_int64_1x5_to_4x5", r.integers(-9, 9, (1, 5)), [4, 1], "Expand int64 (1,5) by [4,1] -> (4,5)")
    expand("expand_f16_1_to_3x1x2", rand(r, (1,), "float16"), [3, 1, 2], "Expand float16 (1,) -> (3,1,2)")


def matmul_cases():
    def mm(nm, sa, sb, dt="float32", desc="", rtol=None, atol=None, scale=1.0):
        r = rng_for(nm)
        a, b = rand(r, sa, dt, scale=scale), rand(r, sb, dt, scale=scale)
        add("MatMul", nm, {0: a, 1: b}, {0: store(matmul(val(a), val(b)), dt)}, desc=desc, rtol=rtol, atol=atol)

    mm("matmul_1d_2d", (7,), (7, 4), desc="MatMul (7,) x (7,4) -> (4,): 1-D lhs is promoted then squeezed")
    mm("matmul_2d_1d", (3, 7), (7,), desc="MatMul (3,7) x (7,) -> (3,)")
    mm("matmul_1d_1d", (5,), (5,), desc="MatMul (5,) x (5,) -> rank-0")
    mm("matmul_batched_1d_rhs", (2, 3, 4), (4,), desc="MatMul (2,3,4) x (4,) -> (2,3)")
    mm("matmul_batch_bcast_2x1x5x7_3x7x4", (2, 1, 5, 7), (3, 7, 4),
       desc="MatMul batch broadcasting (2,1,5,7) x (3,7,4) -> (2,3,5,4)")
    mm("matmul_1d_lhs_batched_rhs", (6,), (2, 6, 3), desc="MatMul (6,) x (2,6,3) -> (2,3)")
    mm("matmul_1x1", (1, 1), (1, 1), desc="MatMul (1,1) x (1,1)")
    mm("matmul_odd_5x3_3x1", (5, 3), (3, 1), desc="MatMul (5,3) x (3,1)")
    mm("matmul_large_129x257_257x65", (129, 257), (257, 65), scale=1 / 16,
       desc="MatMul 129x257 @ 257x65: odd sizes past any tile boundary")
    mm("matmul_f16_2x4x33_33x17", (2, 4, 33), (33, 17), "float16", desc="MatMul float16 with a 2-D rhs")
    mm("matmul_bf16_3x31_31x5", (3, 31), (31, 5), "bfloat16", desc="MatMul bfloat16")


def gemm_cases():
    def gemm(nm, m, k, n, c_shape, trans_a=0, trans_b=0, alpha=1.0, beta=1.0, dt="float32", desc=""):
        r = rng_for(nm)
        a = rand(r, (k, m) if trans_a else (m, k), dt)
        b = rand(r, (n, k) if trans_b else (k, n), dt)
        av, bv = val(a), val(b)
        y = alpha * ((av.T if trans_a else av) @ (bv.T if trans_b else bv))
        inputs = {0: a, 1: b}
        if c_shape is not None:
            c = rand(r, c_shape, dt)
            inputs[2] = c
            y = y + beta * val(c)
        attrs = {}
        if trans_a:
            attrs["transA"] = 1
        if trans_b:
            attrs["transB"] = 1
        if alpha != 1.0:
            attrs["alpha"] = alpha
        if beta != 1.0:
            attrs["beta"] = beta
        add("Gemm", nm, inputs, {0: store(y, dt)}, attrs, desc=desc)

    gemm("gemm_default_c_full", 3, 4, 5, (3, 5), desc="Gemm defaults, C (M,N)")
    gemm("gemm_transA_c_row", 3, 6, 5, (5,), trans_a=1, desc="Gemm transA=1, C (N,) broadcast over rows")
    gemm("gemm_transB_c_column", 4, 3, 6, (4, 1), trans_b=1, desc="Gemm transB=1, C (M,1) broadcast over columns")
    gemm("gemm_transA_transB_alpha_beta_c_scalar", 5, 7, 3, (), trans_a=1, trans_b=1, alpha=0.5, beta=2.0,
         desc="Gemm transA=transB=1, alpha=0.5, beta=2, C rank-0")
    gemm("gemm_c_absent", 2, 9, 4, None, desc="Gemm with no C input")
    gemm("gemm_c_1x1", 3, 3, 3, (1, 1), alpha=-1.0, desc="Gemm C (1,1), alpha=-1")
    gemm("gemm_c_1xn_odd_7x13x9_alpha_beta", 7, 13, 9, (1, 9), alpha=1.5, beta=-0.5,
         desc="Gemm odd sizes, C (1,N), alpha=1.5, beta=-0.5")
    gemm("gemm_f16_transB_c_row", 6, 10, 4, (4,), trans_b=1, dt="float16", desc="Gemm float16, transB, C (N,)")
    gemm("gemm_bf16_c_full", 3, 8, 5, (3, 5), dt="bfloat16", desc="Gemm bfloat16")


def conv_cases():
    def cv(nm, xs, ws, bias=True, dt="float32", desc="", atol=None, scale=1.0, **attrs):
        r = rng_for(nm)
        x = rand(r, xs, dt)
        w = rand(r, ws, dt, scale=scale)
        inputs = {0: x, 1: w}
        b = None
        if bias:
            inputs[2] = rand(r, (ws[0],), dt)
            b = val(inputs[2])
        y = conv(val(x), val(w), b, pads=attrs.get("pads"), strides=attrs.get("strides"),
                 dilations=attrs.get("dilations"), group=attrs.get("group", 1),
                 auto_pad=attrs.get("auto_pad", "NOTSET"))
        add("Conv", nm, inputs, {0: store(y, dt)}, attrs, desc=desc, atol=atol)

    cv("conv_3x3_pads1", (1, 3, 8, 8), (4, 3, 3, 3), pads=[1, 1, 1, 1], kernel_shape=[3, 3],
       desc="Conv 3x3, pads 1, bias")
    cv("conv_3x3_strides2_pads1_batch2", (2, 3, 9, 11), (5, 3, 3, 3), pads=[1, 1, 1, 1], strides=[2, 2],
       desc="Conv 3x3 stride 2, pads 1, batch 2, odd H/W")
    cv("conv_3x3_dilations2", (1, 2, 10, 9), (3, 2, 3, 3), pads=[2, 2, 2, 2], dilations=[2, 2],
       desc="Conv 3x3 dilation 2, pads 2")
    cv("conv_groups2", (1, 4, 7, 7), (6, 2, 3, 3), pads=[1, 1, 1, 1], group=2, desc="Conv group=2")
    cv("conv_depthwise", (1, 6, 9, 8), (6, 1, 3, 3), pads=[1, 1, 1, 1], group=6, desc="Conv depthwise (group=C=6)")
    cv("conv_depthwise_multiplier2_stride2", (2, 3, 7, 6), (6, 1, 3, 3), pads=[1, 1, 1, 1], group=3,
       strides=[2, 2], desc="Conv depthwise with channel multiplier 2 (group=3, M=6), stride 2")
    cv("conv_1x1", (2, 5, 6, 7), (3, 5, 1, 1), desc="Conv 1x1 (a GEMM)")
    cv("conv_asymmetric_pads_3x2_kernel", (1, 2, 6, 5), (3, 2, 3, 2), pads=[1, 0, 2, 1],
       desc="Conv non-square 3x2 kernel, pads [top=1,left=0,bottom=2,right=1]")
    cv("conv_no_bias", (1, 3, 5, 5), (2, 3, 3, 3), bias=False, desc="Conv without bias, no padding")
    cv("conv_auto_pad_same_upper_stride2", (1, 2, 7, 8), (3, 2, 3, 3), auto_pad="SAME_UPPER", strides=[2, 2],
       desc="Conv auto_pad SAME_UPPER, stride 2: output ceil(in/2), odd total padding goes at the end")
    cv("conv_auto_pad_same_lower_4x4", (1, 2, 6, 5), (2, 2, 4, 4), auto_pad="SAME_LOWER",
       desc="Conv auto_pad SAME_LOWER, even kernel: the extra padding goes at the beginning")
    cv("conv_odd_1x3x17x13", (1, 3, 17, 13), (5, 3, 3, 3), pads=[1, 1, 1, 1], strides=[2, 1],
       desc="Conv odd sizes 1x3x17x13, strides (2,1)")
    cv("conv_large_1x32x40x40_48out", (1, 32, 40, 40), (48, 32, 3, 3), pads=[1, 1, 1, 1], scale=1 / 17,
       desc="Conv 1x32x40x40, 3x3, 48 output channels, pads 1: large enough to exercise tiling")
    cv("conv_f16_3x3", (1, 4, 6, 6), (3, 4, 3, 3), pads=[1, 1, 1, 1], dt="float16", desc="Conv float16")
    cv("conv_bf16_3x3", (1, 2, 5, 5), (2, 2, 3, 3), dt="bfloat16", desc="Conv bfloat16, no padding")
    cv("conv_1d_stride2_pads2", (1, 3, 20), (4, 3, 5), pads=[2, 2], strides=[2], desc="Conv 1-D (N,C,L)")


def softmax_cases():
    def sm(nm, x, axis=None, dt="float32", desc=""):
        attrs = {} if axis is None else {"axis": axis}
        y = softmax(val(x), -1 if axis is None else axis)
        add("Softmax", nm, {0: x}, {0: store(y, dt)}, attrs, desc=desc)

    r = rng_for("softmax")
    sm("softmax_axis_neg1_2x3x5", rand(r, (2, 3, 5)), -1, desc="Softmax axis -1 on a 3-D tensor")
    sm("softmax_axis0_3x4x5", rand(r, (3, 4, 5)), 0, desc="Softmax axis 0 on a 3-D tensor")
    sm("softmax_axis1_2x7x3", rand(r, (2, 7, 3)), 1, desc="Softmax axis 1 on a 3-D tensor")
    sm("softmax_default_axis_4x6", rand(r, (4, 6)), None, desc="Softmax with no axis attribute (default -1)")
    sm("softmax_size1_axis", rand(r, (4, 1)), -1, desc="Softmax over a size-1 axis: all ones")
    x = val(rand(r, (4, 5)))
    x[1, :] = -INF
    x[2, [0, 3]] = -INF
    sm("softmax_rows_with_neginf", store(x, "float32"), -1,
       desc="Softmax: row 1 all -inf gives NaN (onnx reference: exp(-inf - -inf)); row 2 partly -inf gives 0 there")
    x = np.array([[1e4, 1e4 - 1, 1e4 - 2, -1e4], [-1e4, -1e4 + 3, -1e4, -1e4], [1e4, -1e4, 0, 5e3]])
    sm("softmax_large_values_1e4", store(x, "float32"), -1, desc="Softmax with |x| ~ 1e4: needs the max subtraction")
    x = val(rand(r, (3, 4)))
    x[0, 2] = NAN
    x[1, 1] = INF
    sm("softmax_nan_and_posinf_rows", store(x, "float32"), -1,
       desc="Softmax: a row with NaN is all NaN; a row with +inf is all NaN (inf - inf)")
    sm("softmax_f16_3x17", rand(r, (3, 17), "float16", scale=3.0), -1, "float16", desc="Softmax float16")
    sm("softmax_bf16_2x33", rand(r, (2, 33), "bfloat16", scale=3.0), 1, "bfloat16", desc="Softmax bfloat16, axis 1")


def norm_cases():
    def ln(nm, xs, axis=-1, bias=True, epsilon=None, dt="float32", outputs=(0,), x=None, desc=""):
        r = rng_for(nm)
        x = rand(r, xs, dt, scale=2.0) if x is None else x
        xs = val(x).shape
        ax = axis % len(xs)
        s = rand(r, xs[ax:], dt, low=0.5, high=1.5)
        inputs = {0: x, 1: s}
        b = None
        if bias:
            inputs[2] = rand(r, xs[ax:], dt)
            b = val(inputs[2])
        attrs = {}
        if axis != -1:
            attrs["axis"] = axis
        if epsilon is not None:
            attrs["epsilon"] = epsilon
        y, mean, inv = layer_norm(val(x), val(s), b, axis, 1e-5 if epsilon is None else epsilon)
        outs = {0: store(y, dt)}
        if 1 in outputs:  # Mean and InvStdDev are float32 (stash_type=1)
            outs[1] = store(mean, "float32")
            outs[2] = store(inv, "float32")
        add("LayerNormalization", nm, inputs, outs, attrs, desc=desc)

    ln("layernorm_axis_neg1_bias_2x3x8", (2, 3, 8), desc="LayerNormalization axis -1 with bias")
    ln("layernorm_axis1_bias_2x3x4x5", (2, 3, 4, 5), axis=1, desc="LayerNormalization axis 1: normalize over (3,4,5)")
    ln("layernorm_axis_neg2_2x5x6", (2, 5, 6), axis=-2, desc="LayerNormalization axis -2")
    ln("layernorm_no_bias_3x10", (3, 10), bias=False, desc="LayerNormalization without bias")
    x = np.array([[1.0, 1.0, 1.0, 1.0, 1.0, 1.0], [0.0, 1e-3, 0.0, -1e-3, 0.0, 0.0], [3, -1, 4, -1, 5, -9]])
    ln("layernorm_epsilon_1e-2_constant_row", None, epsilon=1e-2, x=store(x, "float32"),
       desc="LayerNormalization epsilon=0.01; a constant row gives exactly the bias, a tiny-variance row is damped")
    ln("layernorm_all_outputs_4x6", (4, 6), outputs=(0, 1, 2),
       desc="LayerNormalization with all three outputs: Y, Mean, InvStdDev (shape (4,1))")
    ln("layernorm_f16_2x4x16", (2, 4, 16), dt="float16", desc="LayerNormalization float16")
    ln("layernorm_bf16_3x32", (3, 32), dt="bfloat16", desc="LayerNormalization bfloat16")

    def gn(nm, xs, groups, epsilon=None, dt="float32", desc=""):
        r = rng_for(nm)
        x = rand(r, xs, dt, scale=2.0)
        s = rand(r, (xs[1],), dt, low=0.5, high=1.5)
        b = rand(r, (xs[1],), dt)
        attrs = {"num_groups": groups}
        if epsilon is not None:
            attrs["epsilon"] = epsilon
        y = group_norm(val(x), val(s), val(b), groups, 1e-5 if epsilon is None else epsilon)
        add("GroupNormalization", nm, {0: x, 1: s, 2: b}, {0: store(y, dt)}, attrs, desc=desc + " (opset 21: scale/bias per channel)")

    gn("groupnorm_groups1_2x4x3x3", (2, 4, 3, 3), 1, desc="GroupNormalization num_groups=1")
    gn("groupnorm_groups_eq_c_1x6x2x5", (1, 6, 2, 5), 6, desc="GroupNormalization num_groups=C (instance norm)")
    gn("groupnorm_groups2_eps1e-3_2x6x4x3", (2, 6, 4, 3), 2, epsilon=1e-3, desc="GroupNormalization num_groups=2, epsilon=1e-3")
    gn("groupnorm_3d_groups2_2x4x7", (2, 4, 7), 2, desc="GroupNormalization on (N,C,L)")
    gn("groupnorm_f16_groups4_1x8x4x4", (1, 8, 4, 4), 4, dt="float16", desc="GroupNormalization float16")

    def rms(nm, xs, axis=-1, epsilon=None, dt="float32", x=None, desc=""):
        r = rng_for(nm)
        x = rand(r, xs, dt, scale=2.0) if x is None else x
        xs = val(x).shape
        s = rand(r, xs[axis % len(xs):], dt, low=0.5, high=1.5)
        attrs = {}
        if axis != -1:
            attrs["axis"] = axis
        if epsilon is not None:
            attrs["epsilon"] = epsilon
        y = rms_norm(val(x), val(s), axis, 1e-5 if epsilon is None else epsilon)
        add("RMSNormalization", nm, {0: x, 1: s}, {0: store(y, dt)}, attrs,
            desc=desc + " (opset 23: attributes axis=-1, epsilon=1e-5, stash_type=1)")

    rms("rmsnorm_axis_neg1_2x3x16", (2, 3, 16), desc="RMSNormalization over the last axis")
    rms("rmsnorm_axis1_2x3x4x5", (2, 3, 4, 5), axis=1, desc="RMSNormalization axis 1: over (3,4,5)")
    x = np.array([[0.0] * 5, [1.0, -2.0, 3.0, -4.0, 5.0]])
    rms("rmsnorm_epsilon_1e-2_zero_row", None, epsilon=1e-2, x=store(x, "float32"),
        desc="RMSNormalization epsilon=0.01; an all-zero row stays 0")
    rms("rmsnorm_f16_4x64", (4, 64), dt="float16", desc="RMSNormalization float16")
    rms("rmsnorm_bf16_2x2x48", (2, 2, 48), dt="bfloat16", desc="RMSNormalization bfloat16")


def shape_cases():
    r = rng_for("transpose")
    x = rand(r, (2, 3, 4))
    add("Transpose", "transpose_default_reverses_2x3x4", {0: x}, {0: val(x).transpose().astype(np.float32)},
        desc="Transpose without perm reverses the axes")
    x = rand(r, (2, 3, 4, 5))
    add("Transpose", "transpose_perm_0231", {0: x}, {0: val(x).transpose(0, 2, 3, 1).astype(np.float32)},
        {"perm": [0, 2, 3, 1]}, desc="Transpose NCHW -> NHWC")
    x = rand(r, (1, 7))
    add("Transpose", "transpose_size1_1x7", {0: x}, {0: val(x).T.astype(np.float32)}, {"perm": [1, 0]},
        desc="Transpose with a size-1 dim")
    x = r.integers(-1000, 1000, (3, 1, 2, 5)).astype(np.int64)
    add("Transpose", "transpose_int64_perm_2013", {0: x}, {0: x.transpose(2, 0, 1, 3)}, {"perm": [2, 0, 1, 3]},
        desc="Transpose int64")
    x = rand(r, (4, 3, 2), "bfloat16")
    add("Transpose", "transpose_bf16_perm_120", {0: x}, {0: store(val(x).transpose(1, 2, 0), "bfloat16")},
        {"perm": [1, 2, 0]}, desc="Transpose bfloat16")

    r = rng_for("reshape")
    x = rand(r, (2, 3, 4))
    add("Reshape", "reshape_zero_and_neg1", {0: x, 1: i64([0, -1])}, {0: val(x).reshape(2, 12).astype(np.float32)},
        desc="Reshape [0,-1]: 0 copies the input dim, -1 is inferred -> (2,12)")
    add("Reshape", "reshape_zero_middle", {0: x, 1: i64([0, 2, -1])}, {0: val(x).reshape(2, 2, 6).astype(np.float32)},
        desc="Reshape [0,2,-1] -> (2,2,6)")
    add("Reshape", "reshape_flatten_neg1", {0: x, 1: i64([-1])}, {0: val(x).reshape(-1).astype(np.float32)},
        desc="Reshape [-1]")
    x0 = np.zeros((0, 3, 4), dtype=np.float32)
    add("Reshape", "reshape_allowzero_empty", {0: x0, 1: i64([3, 4, 0])}, {0: np.zeros((3, 4, 0), np.float32)},
        {"allowzero": 1}, desc="Reshape allowzero=1: a 0 in shape is a real zero-size dim (0,3,4) -> (3,4,0)")
    x = rand(r, (2, 3))
    add("Reshape", "reshape_allowzero_no_zero_in_shape", {0: x, 1: i64([3, -1])},
        {0: val(x).reshape(3, 2).astype(np.float32)}, {"allowzero": 1},
        desc="Reshape allowzero=1 with no 0 in shape behaves as usual")
    x = store([3.5], "float32")
    add("Reshape", "reshape_to_scalar", {0: x, 1: np.zeros((0,), np.int64)}, {0: store(3.5, "float32")},
        desc="Reshape (1,) with an empty shape tensor -> rank-0")
    x = r.integers(-50, 50, (2, 6)).astype(np.int64)
    add("Reshape", "reshape_int64_1x_neg1x1", {0: x, 1: i64([1, -1, 1])}, {0: x.reshape(1, 12, 1)},
        desc="Reshape int64 to (1,12,1)")

    r = rng_for("concat")
    a, b, c = rand(r, (2, 3)), rand(r, (2, 1)), rand(r, (2, 4))
    add("Concat", "concat_axis_neg1_three_inputs", {0: a, 1: b, 2: c},
        {0: np.concatenate([val(a), val(b), val(c)], -1).astype(np.float32)}, {"axis": -1},
        desc="Concat three inputs on axis -1, one of width 1")
    a, b = rand(r, (1, 3, 2)), rand(r, (4, 3, 2))
    add("Concat", "concat_axis0", {0: a, 1: b}, {0: np.concatenate([val(a), val(b)], 0).astype(np.float32)},
        {"axis": 0}, desc="Concat on axis 0")
    a, b = rand(r, (2, 2, 3)), rand(r, (2, 5, 3))
    add("Concat", "concat_axis_neg2_3d", {0: a, 1: b}, {0: np.concatenate([val(a), val(b)], -2).astype(np.float32)},
        {"axis": -2}, desc="Concat negative axis -2 on 3-D")
    a, b = r.integers(0, 9, (3, 1)).astype(np.int64), r.integers(0, 9, (3, 2)).astype(np.int64)
    add("Concat", "concat_int64_axis1", {0: a, 1: b}, {0: np.concatenate([a, b], 1)}, {"axis": 1}, desc="Concat int64")
    a, b = rand(r, (2, 3), "float16"), rand(r, (1, 3), "float16")
    add("Concat", "concat_f16_axis0", {0: a, 1: b}, {0: store(np.concatenate([val(a), val(b)], 0), "float16")},
        {"axis": 0}, desc="Concat float16")

    r = rng_for("split")

    def split(nm, x, axis, sizes, split_input=True, num_outputs=None, desc=""):
        xv = val(x)
        idx = np.cumsum(sizes)[:-1]
        parts = np.split(xv, idx, axis=axis)
        dt = dtype_of(x)
        outs = {i: (store(p, dt) if dt.startswith("float") or dt == "bfloat16" else p) for i, p in enumerate(parts)}
        inputs = {0: x}
        attrs = {"axis": axis}
        if split_input:
            inputs[1] = i64(sizes)
        if num_outputs is not None:
            attrs["num_outputs"] = num_outputs
        add("Split", nm, inputs, outs, attrs, desc=desc)

    split("split_input_2_3_2_axis1", rand(r, (3, 7)), 1, [2, 3, 2], desc="Split with a split input [2,3,2] on axis 1")
    split("split_input_axis_neg1_with_zero", rand(r, (2, 5)), -1, [1, 0, 4],
          desc="Split with a split input containing 0 (an empty output) on axis -1")
    split("split_num_outputs3_even", rand(r, (6, 2)), 0, [2, 2, 2], split_input=False, num_outputs=3,
          desc="Split num_outputs=3 (opset 18), dim 6")
    split("split_num_outputs3_uneven_7", rand(r, (2, 7)), 1, [3, 3, 1], split_input=False, num_outputs=3,
          desc="Split num_outputs=3 on dim 7: ceil(7/3)=3 per output, the last gets the remainder 1")
    split("split_num_outputs4_uneven_10", r.integers(0, 100, (10,)).astype(np.int64), 0, [3, 3, 3, 1],
          split_input=False, num_outputs=4, desc="Split int64 num_outputs=4 on dim 10 -> 3,3,3,1")

    r = rng_for("slice")
    x = rand(r, (5, 7, 6))
    xv = val(x)

    def sl(nm, starts, ends, axes=None, steps=None, ind=np.int64, desc=""):
        inputs = {0: x, 1: np.asarray(starts, ind), 2: np.asarray(ends, ind)}
        if axes is not None:
            inputs[3] = np.asarray(axes, ind)
        if steps is not None:
            inputs[4] = np.asarray(steps, ind)
        add("Slice", nm, inputs, {0: onnx_slice(xv, starts, ends, axes, steps).astype(np.float32)}, desc=desc)

    sl("slice_negative_step_reverse", [-1], [-(2 ** 63)], [1], [-1],
       desc="Slice axis 1 reversed: start -1, end INT64_MIN, step -1")
    sl("slice_negative_starts", [-3, -4], [-1, 100], [0, 2], desc="Slice negative starts, end past the dim")
    sl("slice_out_of_range_ends", [1, 0, 2], [1000, 5, 2 ** 62], desc="Slice ends past the dim are clamped; no axes/steps")
    sl("slice_axes_subset_unordered_steps2", [0, 1], [6, 7], [-1, 0], [2, 3],
       desc="Slice axes [-1,0] (unordered, negative), steps [2,3]")
    sl("slice_negative_step2_start_out_of_range", [100], [0], [2], [-2],
       desc="Slice step -2 with start 100 clamped to dim-1, end 0 exclusive")
    sl("slice_int32_indices", [1, -2], [4, 7], [0, 1], ind=np.int32, desc="Slice with int32 starts/ends/axes")
    sl("slice_empty_result", [3], [1], [0], [1], desc="Slice start > end with step 1: zero-size dim")

    r = rng_for("gather")

    def ga(nm, x, idx, axis=0, desc=""):
        xv = val(x)
        y = np.take(xv, np.asarray(idx), axis=axis)
        dt = dtype_of(x)
        yy = store(y, dt) if (dt.startswith("float") or dt == "bfloat16") else y
        add("Gather", nm, {0: x, 1: idx}, {0: yy}, {} if axis == 0 else {"axis": axis}, desc=desc)

    ga("gather_axis0_negative_indices", rand(r, (5, 4)), i64([0, -1, 2, -5]), desc="Gather axis 0, negative indices")
    ga("gather_axis1_2d_indices", rand(r, (3, 6, 2)), i64([[0, -2], [5, 1]]), 1, desc="Gather axis 1 with (2,2) indices")
    ga("gather_scalar_index_axis0", rand(r, (4, 3)), np.asarray(2, np.int64), desc="Gather a rank-0 index: axis removed")
    ga("gather_scalar_negative_index_axis_neg1", rand(r, (2, 3, 5)), np.asarray(-1, np.int64), -1,
       desc="Gather rank-0 index -1 on axis -1")
    ga("gather_int32_indices", rand(r, (6, 2)), np.asarray([5, 0, 5], np.int32), desc="Gather with int32 indices")
    ga("gather_int64_data_axis1", r.integers(-9, 9, (2, 4)).astype(np.int64), i64([3, -4]), 1, desc="Gather int64 data")


def resize_cases():
    def rs(nm, xs, mode, coord, scales=None, sizes=None, nearest_mode=None, axes=None, dt="float32", desc=""):
        r = rng_for(nm)
        x = rand(r, xs, dt)
        xv = val(x)
        inputs = {0: x}
        attrs = {"mode": mode, "coordinate_transformation_mode": coord}
        if nearest_mode:
            attrs["nearest_mode"] = nearest_mode
        if axes is not None:
            attrs["axes"] = axes
        ax = list(range(xv.ndim)) if axes is None else axes
        full_scales = [1.0] * xv.ndim
        out_shape = list(xv.shape)
        if scales is not None:
            sc = np.asarray(scales, np.float32)
            inputs[2] = sc
            for a, s in zip(ax, sc):
                full_scales[a] = float(s)
                out_shape[a] = int(math.floor(xv.shape[a] * float(s)))
        else:
            inputs[3] = i64(sizes)
            for a, s in zip(ax, sizes):
                out_shape[a] = int(s)
                full_scales[a] = s / xv.shape[a]
        y = resize(xv, out_shape, full_scales, mode, coord, nearest_mode or "round_prefer_floor")
        add("Resize", nm, inputs, {0: store(y, dt)}, attrs, desc=desc)

    rs("resize_nearest_asymmetric_floor_up_scales", (1, 2, 3, 4), "nearest", "asymmetric", scales=[1, 1, 2, 1.5],
       nearest_mode="floor", desc="Resize nearest, asymmetric, floor, upsample by scales (2,1.5)")
    rs("resize_nearest_asymmetric_round_prefer_ceil_up_scales", (1, 1, 4, 5), "nearest", "asymmetric",
       scales=[1, 1, 2.5, 1.6], nearest_mode="round_prefer_ceil", desc="Resize nearest round_prefer_ceil, asymmetric")
    rs("resize_nearest_half_pixel_round_prefer_floor_up_sizes", (1, 2, 3, 3), "nearest", "half_pixel",
       sizes=[1, 2, 6, 9], nearest_mode="round_prefer_floor",
       desc="Resize nearest round_prefer_floor (x.5 rounds down), half_pixel, sizes up x2/x3")
    rs("resize_nearest_half_pixel_ceil_down_scales", (1, 1, 8, 7), "nearest", "half_pixel", scales=[1, 1, 0.5, 0.6],
       nearest_mode="ceil", desc="Resize nearest ceil, half_pixel, downsample by scales (0.5,0.6): out floor(7*0.6)=4")
    rs("resize_nearest_align_corners_round_prefer_ceil_sizes", (1, 2, 4, 5), "nearest", "align_corners",
       sizes=[1, 2, 7, 3], nearest_mode="round_prefer_ceil", desc="Resize nearest align_corners, sizes up H/down W")
    rs("resize_nearest_pytorch_half_pixel_floor_sizes_len1", (1, 1, 5, 6), "nearest", "pytorch_half_pixel",
       sizes=[1, 1, 1, 4], nearest_mode="floor",
       desc="Resize nearest pytorch_half_pixel, floor; output H=1 maps to coordinate 0")
    rs("resize_nearest_default_mode_sizes_down", (2, 1, 6, 6), "nearest", "half_pixel", sizes=[2, 1, 4, 3],
       desc="Resize nearest with default nearest_mode (round_prefer_floor), half_pixel, sizes down")
    rs("resize_nearest_axes_attr_scales", (1, 3, 4, 4), "nearest", "asymmetric", scales=[0.5, 2.0], axes=[2, 3],
       nearest_mode="floor", desc="Resize with axes=[2,3] and 2 scales")
    rs("resize_linear_half_pixel_up2_scales", (1, 2, 4, 5), "linear", "half_pixel", scales=[1, 1, 2, 2],
       desc="Resize linear (bilinear), half_pixel, x2 upsample; border coordinates clamp to the edge")
    rs("resize_linear_half_pixel_down_scales", (1, 1, 8, 9), "linear", "half_pixel", scales=[1, 1, 0.5, 0.4],
       desc="Resize linear half_pixel, downsample (no antialias), out W floor(9*0.4)=3 while the transform uses 0.4")
    rs("resize_linear_asymmetric_scales_1.5_2.5", (1, 2, 3, 4), "linear", "asymmetric", scales=[1, 1, 1.5, 2.5],
       desc="Resize linear asymmetric, non-integer scales")
    rs("resize_linear_align_corners_sizes", (1, 1, 5, 7), "linear", "align_corners", sizes=[1, 1, 9, 4],
       desc="Resize linear align_corners, sizes up H / down W")
    rs("resize_linear_pytorch_half_pixel_sizes_len1", (1, 2, 6, 5), "linear", "pytorch_half_pixel", sizes=[1, 2, 1, 3],
       desc="Resize linear pytorch_half_pixel, sizes down with an output dim of 1")
    rs("resize_linear_half_pixel_odd_scale_1.7", (2, 1, 5, 3), "linear", "half_pixel", scales=[1, 1, 1.7, 1.7],
       desc="Resize linear half_pixel, scale 1.7: out floor(5*1.7)=8, floor(3*1.7)=5, transform uses 1.7")
    rs("resize_linear_f16_half_pixel_up", (1, 2, 3, 3), "linear", "half_pixel", scales=[1, 1, 2, 2], dt="float16",
       desc="Resize linear float16")
    rs("resize_nearest_bf16_asymmetric_up", (1, 1, 3, 2), "nearest", "asymmetric", scales=[1, 1, 2, 3],
       nearest_mode="floor", dt="bfloat16", desc="Resize nearest bfloat16")


def reduce_cases():
    for op, f in (("ReduceMean", np.mean), ("ReduceSum", np.sum)):
        lo = "reducemean" if op == "ReduceMean" else "reducesum"

        def rd(nm, x, axes, keepdims=1, noop=0, dt="float32", desc=""):
            xv = val(x)
            inputs = {0: x}
            attrs = {}
            if keepdims != 1:
                attrs["keepdims"] = keepdims
            if noop:
                attrs["noop_with_empty_axes"] = 1
            if axes is not None:
                inputs[1] = i64(axes) if len(axes) else np.zeros((0,), np.int64)
            if (axes is None or len(axes) == 0) and noop:
                y = xv
            else:
                ax = None if (axes is None or len(axes) == 0) else tuple(a % xv.ndim for a in axes)
                with np.errstate(invalid="ignore"):
                    y = f(xv, axis=ax, keepdims=bool(keepdims))
            add(op, nm, inputs, {0: store(y, dt)}, attrs, desc=desc)

        r = rng_for(lo)
        x = rand(r, (3, 4, 5))
        rd(f"{lo}_axes1_keepdims1", x, [1], desc=f"{op} axes=[1] (input, opset 18), keepdims=1")
        rd(f"{lo}_axes0_2_keepdims0", x, [0, 2], keepdims=0, desc=f"{op} axes=[0,2], keepdims=0")
        rd(f"{lo}_axes_neg1_neg3", x, [-1, -3], desc=f"{op} negative axes [-1,-3]")
        rd(f"{lo}_axes_absent_reduce_all", x, None, desc=f"{op} with no axes input: reduce all, keepdims -> (1,1,1)")
        rd(f"{lo}_axes_empty_reduce_all_keepdims0", x, [], keepdims=0,
           desc=f"{op} with an empty axes tensor and noop_with_empty_axes=0: reduce all -> rank-0")
        rd(f"{lo}_noop_with_empty_axes", x, [], noop=1, desc=f"{op} noop_with_empty_axes=1, empty axes: identity")
        rd(f"{lo}_noop_with_axes_absent", x, None, noop=1,
           desc=f"{op} noop_with_empty_axes=1 and no axes input: identity")
        xs = val(rand(r, (4, 5)))
        xs[0, 1] = NAN
        xs[1, 2] = INF
        xs[2, 0], xs[2, 3] = INF, -INF
        xs[3, 4] = -INF
        rd(f"{lo}_nan_inf_rows", store(xs, "float32"), [1],
           desc=f"{op} rows with NaN -> NaN, +inf -> inf, +inf and -inf -> NaN, -inf -> -inf")
        rd(f"{lo}_size1_dims_1x5x1", rand(r, (1, 5, 1)), [0, 2], keepdims=0, desc=f"{op} over size-1 dims")
        rd(f"{lo}_f16_4x33_axis1", rand(r, (4, 33), "float16"), [1], dt="float16", desc=f"{op} float16")
        rd(f"{lo}_bf16_2x64_axis_neg1", rand(r, (2, 64), "bfloat16"), [-1], dt="bfloat16", desc=f"{op} bfloat16")


def cast_cases():
    def cast(nm, x, to, y, desc):
        add("Cast", nm, {0: x}, {0: y}, {"to": to}, desc=desc, ref_upcast=False)

    x = np.array([0.0, -0.0, 1.0, -2.5, 0.1, 65504.0, 65519.0, 65520.0, 70000.0, -1e6, 6e-8, 1e-8, 3.1415927,
                  NAN, INF, -INF], dtype=np.float32)
    cast("cast_f32_to_f16_specials", x, TP_FLOAT16, x.astype(np.float16),
         "Cast float32 -> float16: round to nearest even; 65520 and up overflow to inf; subnormals; NaN/inf")
    r = rng_for("cast_f32_to_bf16")
    ties = np.array([0x3F808000, 0x3F818000, 0x3F80C000, 0x3F804000, 0xBF808000, 0x3F80FFFF, 0x7F7FFFFF, 0x00018000],
                    dtype=np.uint32).view(np.float32)
    x = np.concatenate([ties, np.array([0.0, -0.0, 1.0, NAN, INF, -INF], np.float32),
                        r.standard_normal(10).astype(np.float32)])
    bits = casefile._c(x.astype(casefile.BF16).view(np.uint16))
    assert np.array_equal(bits[~np.isnan(x)], casefile.f32_to_bf16_bits(x)[~np.isnan(x)])
    cast("cast_f32_to_bf16_round_nearest_even", x, TP_BFLOAT16, BF16Bits(bits),
         "Cast float32 -> bfloat16, round to nearest even: exact ties go to the even mantissa, "
         "FLT_MAX rounds to inf; NaN/inf kept")
    x16 = np.array([0.0, -0.0, 1.0, -2.5, 65504.0, 6e-8, 0.33325, NAN, INF, -INF], dtype=np.float16)
    cast("cast_f16_to_f32", x16, TP_FLOAT, x16.astype(np.float32), "Cast float16 -> float32 (exact), incl. subnormal")
    xb = store([0.0, -0.0, 1.0, -2.5, 3.0e38, 1e-39, 0.333984375, NAN, INF, -INF], "bfloat16")
    cast("cast_bf16_to_f32", xb, TP_FLOAT, val(xb).astype(np.float32), "Cast bfloat16 -> float32 (exact)")
    x = np.array([-2.7, -2.5, -0.5, -0.0, 0.5, 0.9999, 2.5, 2.7, 7.999, -3.0, 16777215.0, -1e9, 2e9], dtype=np.float32)
    cast("cast_f32_to_int32_truncates", x, TP_INT32, np.trunc(x).astype(np.int32),
         "Cast float32 -> int32 truncates toward zero (in-range values only)")
    x = np.array([0, 1, -1, 16777216, 16777217, 16777219, -16777217, 2 ** 40 + 1, -(2 ** 53) - 1, 123456789], dtype=np.int64)
    cast("cast_int64_to_f32_rounding", x, TP_FLOAT, x.astype(np.float32),
         "Cast int64 -> float32: values above 2^24 round to nearest even")
    x = np.array([[True, False, True], [False, False, True]])
    cast("cast_bool_to_f32", x, TP_FLOAT, x.astype(np.float32), "Cast bool -> float32 (1/0)")
    x = np.array([0.0, -0.0, 1.0, -2.0, 0.5, 1e-30, INF, -INF], dtype=np.float32)
    cast("cast_f32_to_bool", x, TP_BOOL, x != 0, "Cast float32 -> bool: nonzero (incl. inf) is true, +/-0 false")
    x = np.array([-3, 0, 7, 2 ** 31 - 1, -(2 ** 31)], dtype=np.int32)
    cast("cast_int32_to_int64", x, TP_INT64, x.astype(np.int64), "Cast int32 -> int64")
    x = np.array([1.5, -2.25, 1e-3, 3.4e38, NAN], dtype=np.float32)
    cast("cast_f32_to_f64", x, TP_DOUBLE, x.astype(np.float64), "Cast float32 -> float64 (exact)")


def attention_cases():
    def at(nm, qs, ks, vs, mask=None, past=None, causal=0, scale=None, softcap=None, dt="float32",
           q_heads=None, kv_heads=None, outputs=(0,), desc="", atol=None, in_scale=1.0):
        r = rng_for(nm)
        q, k, v = rand(r, qs, dt, scale=in_scale), rand(r, ks, dt, scale=in_scale), rand(r, vs, dt)
        inputs = {0: q, 1: k, 2: v}
        mval = None
        if mask is not None:
            kind, mshape = mask
            if kind == "bool":
                m = r.random(mshape) < 0.7
                m[..., 0] = True  # keep every row attendable unless a case says otherwise
                inputs[3] = m
                mval = m
            elif kind == "bool_row_masked":
                m = r.random(mshape) < 0.7
                m[..., 0] = True
                m[..., 1, :] = False
                inputs[3] = m
                mval = m
            else:
                m = r.standard_normal(mshape)
                m[r.random(mshape) < 0.2] = -INF
                m[..., 0] = 0.0
                inputs[3] = store(m, dt)
                mval = val(inputs[3])
        pk = pv = None
        if past is not None:
            pk, pv = rand(r, past[0], dt), rand(r, past[1], dt)
            inputs[4], inputs[5] = pk, pv
            pk, pv = val(pk), val(pv)
        attrs = {}
        if causal:
            attrs["is_causal"] = 1
        if scale is not None:
            attrs["scale"] = scale
        if softcap is not None:
            attrs["softcap"] = softcap
        if q_heads is not None:
            attrs["q_num_heads"], attrs["kv_num_heads"] = q_heads, kv_heads
        y, pk_out, pv_out = attention(val(q), val(k), val(v), mval, pk, pv, scale, causal, softcap or 0.0,
                                      q_heads, kv_heads)
        outs = {0: store(y, dt)}
        if 1 in outputs:
            outs[1], outs[2] = store(pk_out, dt), store(pv_out, dt)
        add("Attention", nm, inputs, outs, attrs, desc=desc, atol=atol)

    at("attention_4d_noncausal_2x3_sq4_sk6_d8", (2, 3, 4, 8), (2, 3, 6, 8), (2, 3, 6, 8),
       desc="Attention 4-D (B,H,S,D), non-causal, Sq=4 Sk=6")
    at("attention_4d_v_head_size_differs", (1, 2, 3, 8), (1, 2, 5, 8), (1, 2, 5, 4),
       desc="Attention with V head size 4 != QK head size 8")
    at("attention_4d_causal_sq_eq_sk_5", (1, 2, 5, 8), (1, 2, 5, 8), (1, 2, 5, 8), causal=1,
       desc="Attention is_causal=1, Sq=Sk=5: query i attends keys 0..i")
    at("attention_4d_causal_sq3_lt_sk7", (2, 2, 3, 8), (2, 2, 7, 8), (2, 2, 7, 8), causal=1,
       desc="Attention is_causal=1, Sq=3 < Sk=7 with no past: onnx aligns the mask top-left, "
            "query i attends keys 0..i (NOT bottom-right)")
    at("attention_4d_causal_with_past_kv", (1, 2, 3, 8), (1, 2, 3, 8), (1, 2, 3, 8), past=((1, 2, 4, 8), (1, 2, 4, 8)),
       causal=1, outputs=(0, 1, 2),
       desc="Attention is_causal=1 with past_key/past_value (past 4, new 3): query i attends keys 0..4+i "
            "(offset by the past length); outputs Y, present_key, present_value")
    at("attention_4d_float_mask_2d", (2, 2, 4, 8), (2, 2, 6, 8), (2, 2, 6, 8), mask=("float", (4, 6)),
       desc="Attention additive float mask (Sq,Sk) broadcast over B,H, with some -inf entries")
    at("attention_4d_bool_mask_4d", (2, 2, 4, 8), (2, 2, 5, 8), (2, 2, 5, 8), mask=("bool", (2, 1, 4, 5)),
       desc="Attention bool mask (B,1,Sq,Sk): True = attend, False = -inf")
    at("attention_4d_bool_mask_fully_masked_row", (1, 2, 3, 4), (1, 2, 5, 4), (1, 2, 5, 4),
       mask=("bool_row_masked", (3, 5)),
       desc="Attention bool mask where query row 1 masks every key: onnx reference gives 0 for that row (not NaN)")
    at("attention_4d_causal_plus_float_mask", (1, 2, 4, 8), (1, 2, 4, 8), (1, 2, 4, 8), mask=("float", (1, 2, 4, 4)),
       causal=1, desc="Attention is_causal=1 together with an additive mask (both apply)")
    at("attention_4d_gqa_q8_kv2", (1, 8, 4, 16), (1, 2, 6, 16), (1, 2, 6, 16),
       desc="Attention GQA: 8 query heads, 2 kv heads; query head h uses kv head h // 4")
    at("attention_4d_custom_scale", (1, 2, 3, 8), (1, 2, 4, 8), (1, 2, 4, 8), scale=0.1,
       desc="Attention scale=0.1 replaces 1/sqrt(head_size)")
    at("attention_4d_softcap", (1, 2, 4, 8), (1, 2, 5, 8), (1, 2, 5, 8), softcap=2.0, in_scale=2.0,
       desc="Attention softcap=2: scores = 2*tanh(scores/2), applied after scaling, before the mask")
    at("attention_4d_long_seq300_d64_h2", (1, 2, 300, 64), (1, 2, 300, 64), (1, 2, 300, 64),
       desc="Attention non-causal, sequence 300, head size 64, 2 heads: exercises tiling")
    at("attention_4d_long_causal_seq257_d32_h1", (1, 1, 257, 32), (1, 1, 257, 32), (1, 1, 257, 32), causal=1,
       desc="Attention causal, sequence 257 (one past a power of two), head size 32, 1 head: causal tile skipping")
    at("attention_3d_q3_kv1_heads", (2, 4, 24), (2, 6, 8), (2, 6, 8), q_heads=3, kv_heads=1,
       desc="Attention 3-D (B,S,H*D) with q_num_heads=3, kv_num_heads=1 (GQA), head size 8")
    at("attention_3d_causal_q2_kv2", (1, 5, 16), (1, 5, 16), (1, 5, 12), q_heads=2, kv_heads=2, causal=1,
       desc="Attention 3-D causal, 2 heads, V head size 6")
    at("attention_4d_f16_causal", (1, 2, 6, 16), (1, 2, 6, 16), (1, 2, 6, 16), causal=1, dt="float16",
       desc="Attention float16 causal")
    at("attention_4d_bf16_noncausal", (1, 2, 5, 8), (1, 2, 7, 8), (1, 2, 7, 8), dt="bfloat16",
       desc="Attention bfloat16 non-causal")


def float_range_edge_cases():
    """Exp and what is built on it (Softmax, Sigmoid, Gelu) where float32 runs out: results close to
    FLT_MAX and results that underflow gradually through the subnormals. The default tolerances (atol
    1e-5) cannot see either, so these cases are tight: rtol 2e-6 (about 16 ulp) and an atol of two or
    eight subnormal steps. Expected values: float64 math on the float32 inputs, rounded to float32."""
    edges = dict(rtol=2e-6, atol=3e-45)
    x = store([88.0, 88.5, 88.6, 88.7, 88.72, 88.7228317, 88.7228394, 88.75, 89.0, -87.0, -87.5, -88.0, -90.0,
               -95.0, -100.0, -103.0, -103.9, -104.5, -110.0], "float32")
    add("Exp", "exp_f32_overflow_underflow_edges", {0: x}, {0: store(np.exp(val(x)), "float32")},
        desc="Exp near float32 overflow (88.7228317 is the largest input with a finite result) and through "
             "the subnormal range down to underflow", **edges)
    x = store([-120.0, -104.0, -100.0, -95.0, -88.8, -88.7, -88.0, -87.0, -20.0, 0.0, 20.0, 88.0, 100.0], "float32")
    y = 1.0 / (1.0 + np.exp(-val(x)))
    add("Sigmoid", "sigmoid_f32_far_tails", {0: x}, {0: store(y, "float32")},
        desc="Sigmoid in the far tails: below -87 the result is exp(x), down into the subnormals", **edges)
    x = np.array([[0.0, -87.0, -95.0, -103.0, -200.0], [88.7, 0.0, -10.0, -20.0, 88.0]])
    add("Softmax", "softmax_f32_subnormal_probabilities", {0: store(x, "float32")},
        {0: store(softmax(val(store(x, "float32")), -1), "float32")},
        desc="Softmax whose small probabilities are subnormal (exp(-95) = 5.5e-42)", **edges)
    x = store([-10.0, -12.0, -13.0, -13.5, -14.0, -15.0, -20.0], "float32")
    y = np.array([0.5 * v * math.erfc(-v / math.sqrt(2.0)) for v in val(x)])
    add("Gelu", "gelu_none_f32_negative_tail_subnormal", {0: x}, {0: store(y, "float32")},
        desc="Gelu (erf form) deep in the negative tail, where x * Phi(x) is subnormal from x = -13.2; expected "
             "from float64 erfc; rtol 3e-5 because exp(-z^2) turns the float32 rounding of z^2 (~72 at x = -12) into "
             "a relative error of ~1e-5", rtol=3e-5, atol=1.2e-44)


GENERATORS = [unary_cases, binary_cases, where_expand_cases, matmul_cases, gemm_cases, conv_cases,
              softmax_cases, norm_cases, shape_cases, resize_cases, reduce_cases, cast_cases, attention_cases,
              float_range_edge_cases]


# --------------------------------------------------------------------------------------------
# cross-check against onnx.reference.ReferenceEvaluator
# --------------------------------------------------------------------------------------------

CHECK_TOL = {  # (rtol, atol) between our float64 result and the reference's, both rounded to storage
    "float64": (1e-10, 1e-12),
    "float32": (1e-6, 1e-7),
    "float16": (2e-3, 1e-6),
    "bfloat16": (1.6e-2, 1e-5),
}


def run_reference(case: Case):
    from onnx import TensorProto, helper
    from onnx.reference import ReferenceEvaluator

    feeds, names, vis = {}, [], []
    for pos in range(max(case.inputs) + 1):
        if pos not in case.inputs:
            names.append("")
            continue
        v = case.inputs[pos]
        if isinstance(v, BF16Bits):
            arr = val(v) if case.ref_upcast else v.bits.view(casefile.BF16)
        else:
            arr = np.asarray(v)
            if case.ref_upcast and arr.dtype.kind == "f":
                arr = arr.astype(np.float64)
        nm = f"in{pos}"
        names.append(nm)
        feeds[nm] = arr
        vis.append(helper.make_tensor_value_info(nm, helper.np_dtype_to_tensor_dtype(arr.dtype), arr.shape))
    out_names = [f"out{p}" if p in case.outputs else "" for p in range(max(case.outputs) + 1)]
    node = helper.make_node(case.op, names, out_names, **case.attrs)
    graph = helper.make_graph([node], "g", vis, [helper.make_tensor_value_info(n, TensorProto.UNDEFINED, None)
                                                for n in out_names if n])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        res = ReferenceEvaluator(model).run(None, feeds)
    return dict(zip([p for p in range(len(out_names)) if out_names[p]], res))


def check_case(case: Case):
    ref = run_reference(case)
    for pos, exp in case.outputs.items():
        got = ref[pos]
        dt = dtype_of(exp)
        if casefile.BF16 is not None and np.asarray(got).dtype == casefile.BF16:
            got = got.astype(np.float32)
        got = np.asarray(got)
        e = val(exp)
        if dt in CHECK_TOL:
            g = val(store(got, dt))
            if g.shape != e.shape:
                raise AssertionError(f"{case.name} output {pos}: shape {e.shape} vs reference {g.shape}")
            if not np.array_equal(np.isnan(g), np.isnan(e)):
                raise AssertionError(f"{case.name} output {pos}: NaN positions differ from the reference\n{e}\n{g}")
            fin = np.isfinite(e)
            if not np.array_equal(e[~fin & ~np.isnan(e)], g[~fin & ~np.isnan(e)]) or not np.array_equal(fin, np.isfinite(g)):
                raise AssertionError(f"{case.name} output {pos}: infinities differ from the reference\n{e}\n{g}")
            rtol, atol = CHECK_TOL[dt]
            err = np.abs(e[fin] - g[fin]) - (atol + rtol * np.abs(e[fin]))
            if err.size and err.max() > 0:
                i = int(np.argmax(err))
                raise AssertionError(f"{case.name} output {pos}: differs from the reference: "
                                     f"ours {e[fin][i]!r} vs {g[fin][i]!r}")
        else:
            if got.shape != e.shape or not np.array_equal(got.astype(e.dtype), e):
                raise AssertionError(f"{case.name} output {pos}: integer/bool output differs from the reference\n{e}\n{got}")


# --------------------------------------------------------------------------------------------

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="Tests/Fixtures/kernel-cases")
    ap.add_argument("--no-check", action="store_true", help="skip the ReferenceEvaluator cross-check")
    ap.add_argument("--only", default=None, help="comma-separated op types to (re)generate, for debugging")
    args = ap.parse_args(argv)

    with np.errstate(over="ignore"):
        for g in GENERATORS:
            g()
    cases = CASES
    if args.only:
        keep = set(args.only.split(","))
        cases = [c for c in cases if c.op in keep]

    if not args.no_check:
        failures = []
        for c in cases:
            try:
                check_case(c)
            except AssertionError as e:
                failures.append(str(e))
        if failures:
            print("\n\n".join(failures), file=sys.stderr)
            print(f"\n{len(failures)} case(s) disagree with onnx.reference.ReferenceEvaluator", file=sys.stderr)
            return 1

    out = args.out
    if os.path.isdir(out) and not args.only:
        shutil.rmtree(out)
    os.makedirs(out, exist_ok=True)
    index = []
    for c in sorted(cases, key=lambda c: (c.op, c.name)):
        rel = f"{c.op}/{c.name}.h5"
        casefile.write_case(os.path.join(out, rel), c.op, c.inputs, c.outputs, attributes=c.attrs, opset=OPSET,
                            rtol=c.rtol, atol=c.atol, description=c.desc)
        index.append({"file": rel, "op": c.op, "description": c.desc})
    if not args.only:
        with open(os.path.join(out, "INDEX.json"), "w") as f:
            json.dump({"opset": OPSET, "files": index}, f, indent=1, sort_keys=True)
            f.write("\n")

    per_op = collections.Counter(c.op for c in cases)
    total = sum(os.path.getsize(os.path.join(out, d["file"])) for d in index)
    print(f"wrote {len(index)} files ({total / 1e6:.2f} MB) to {out}"
          + ("" if args.no_check else "; all cross-checked against onnx.reference"))
    for op in sorted(per_op):
        print(f"  {op:20s} {per_op[op]:4d}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
