"""numpy reference implementations (float64) of the ONNX operators that kernel_unit_cases.py covers.

Each function follows the ONNX operator specification at the opset kernel_unit_cases.py writes
(23); kernel_unit_cases.py cross-checks every case made with them against
onnx.reference.ReferenceEvaluator.
"""

from __future__ import annotations

import math

import numpy as np

_erf = np.vectorize(math.erf, otypes=[np.float64])


def erf(x):
    x = np.asarray(x, dtype=np.float64)
    return _erf(x) if x.size else x.copy()



def gelu(x, approximate="none"):
    if approximate == "tanh":
        return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))
    return 0.5 * x * (1 + erf(x / math.sqrt(2)))


UNARY = {
    "Sigmoid": lambda x: 1 / (1 + np.exp(-x)),
    "Tanh": np.tanh,
    "Erf": erf,
    "Exp": np.exp,
    "Sqrt": np.sqrt,
    "Sin": np.sin,
    "Cos": np.cos,
}


def int_div(a, b):
    """ONNX integer Div: truncate toward zero (C semantics)."""
    q = np.abs(a) // np.abs(b)
    return (np.sign(a) * np.sign(b) * q).astype(a.dtype)


BINARY = {
    "Add": np.add,
    "Sub": np.subtract,
    "Mul": np.multiply,
    "Div": np.divide,
    "Pow": np.power,
}


def matmul(a, b):
    return np.matmul(a, b)


def conv(x, w, b=None, pads=None, strides=None, dilations=None, group=1, auto_pad="NOTSET"):
    """N-D convolution (NC + spatial), float64."""
    nsp = x.ndim - 2
    strides = strides or [1] * nsp
    dilations = dilations or [1] * nsp
    ksz = w.shape[2:]
    if auto_pad in ("SAME_UPPER", "SAME_LOWER"):
        pads_b, pads_e = [], []
        for i in range(nsp):
            out = -(-x.shape[2 + i] // strides[i])
            total = max(0, (out - 1) * strides[i] + (ksz[i] - 1) * dilations[i] + 1 - x.shape[2 + i])
            small, big = total // 2, total - total // 2
            pads_b.append(small if auto_pad == "SAME_UPPER" else big)
            pads_e.append(big if auto_pad == "SAME_UPPER" else small)
    elif auto_pad == "VALID":
        pads_b, pads_e = [0] * nsp, [0] * nsp
    else:
        pads = pads or [0] * (2 * nsp)
        pads_b, pads_e = pads[:nsp], pads[nsp:]
    xp = np.pad(x, [(0, 0), (0, 0)] + list(zip(pads_b, pads_e)))
    out_sp = [(xp.shape[2 + i] - dilations[i] * (ksz[i] - 1) - 1) // strides[i] + 1 for i in range(nsp)]
    n, c = x.shape[:2]
    m = w.shape[0]
    cg, mg = c // group, m // group
    y = np.zeros((n, m) + tuple(out_sp))
    for kidx in np.ndindex(*ksz):
        sl = tuple(slice(kidx[i] * dilations[i], kidx[i] * dilations[i] + strides[i] * (out_sp[i] - 1) + 1, strides[i])
                   for i in range(nsp))
        patch = xp[(slice(None), slice(None)) + sl]  # n, c, *out
        for g in range(group):
            wk = w[(slice(g * mg, (g + 1) * mg), slice(None)) + kidx]  # mg, cg
            y[:, g * mg:(g + 1) * mg] += np.einsum("mc,nc...->nm...", wk, patch[:, g * cg:(g + 1) * cg])
    if b is not None:
        y += b.reshape((1, m) + (1,) * nsp)
    return y


def softmax(x, axis=-1):
    with np.errstate(invalid="ignore", over="ignore"):
        m = np.max(x, axis=axis, keepdims=True)
        e = np.exp(x - m)
        return e / np.sum(e, axis=axis, keepdims=True)


def layer_norm(x, scale, bias=None, axis=-1, epsilon=1e-5):
    axis = axis % x.ndim
    axes = tuple(range(axis, x.ndim))
    mean = x.mean(axis=axes, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=axes, keepdims=True)
    inv = 1 / np.sqrt(var + epsilon)
    y = (x - mean) * inv * scale
    if bias is not None:
        y = y + bias
    return y, mean, inv


def group_norm(x, scale, bias, num_groups, epsilon=1e-5):
    n, c = x.shape[:2]
    xg = x.reshape(n, num_groups, -1)
    mean = xg.mean(axis=2, keepdims=True)
    var = ((xg - mean) ** 2).mean(axis=2, keepdims=True)
    y = ((xg - mean) / np.sqrt(var + epsilon)).reshape(x.shape)
    bshape = (1, c) + (1,) * (x.ndim - 2)
    return y * scale.reshape(bshape) + bias.reshape(bshape)


def rms_norm(x, scale, axis=-1, epsilon=1e-5):
    axis = axis % x.ndim
    ms = (x * x).mean(axis=tuple(range(axis, x.ndim)), keepdims=True)
    return x / np.sqrt(ms + epsilon) * scale


def onnx_slice(x, starts, ends, axes=None, steps=None):
    axes = list(range(len(starts))) if axes is None else [a % x.ndim for a in axes]
    steps = [1] * len(starts) if steps is None else list(steps)
    idx = [slice(None)] * x.ndim
    for s, e, a, st in zip(starts, ends, axes, steps):
        d = x.shape[a]
        s = s + d if s < 0 else s
        e = e + d if e < 0 else e
        if st > 0:
            s, e = min(max(s, 0), d), min(max(e, 0), d)
        else:
            s, e = min(max(s, 0), d - 1), min(max(e, -1), d - 1)
        idx[a] = slice(s, None if e < 0 else e, st)
    return x[tuple(idx)]


def resize_axis_coords(out_len, in_len, scale, mode):
    xo = np.arange(out_len, dtype=np.float64)
    if mode == "half_pixel":
        return (xo + 0.5) / scale - 0.5
    if mode == "pytorch_half_pixel":
        return (xo + 0.5) / scale - 0.5 if out_len > 1 else np.zeros(out_len)
    if mode == "align_corners":
        return xo * (in_len - 1) / (out_len - 1) if out_len > 1 else np.zeros(out_len)
    if mode == "asymmetric":
        return xo / scale
    if mode == "half_pixel_symmetric":
        adj = out_len / (scale * in_len)
        center = in_len / 2
        offset = center * (1 - adj)
        return offset + (xo + 0.5) / scale - 0.5
    raise ValueError(mode)


def resize(x, out_shape, scales, mode="nearest", coord="half_pixel", nearest_mode="round_prefer_floor"):
    """Separable ONNX Resize (nearest / linear), float64."""
    y = x
    for ax in range(x.ndim):
        in_len, out_len = x.shape[ax], out_shape[ax]
        if in_len == out_len and scales[ax] == 1.0:
            continue
        c = resize_axis_coords(out_len, in_len, scales[ax], coord)
        if mode == "nearest":
            if nearest_mode == "round_prefer_floor":
                i = np.where(c == np.floor(c) + 0.5, np.floor(c), np.round(c))
            elif nearest_mode == "round_prefer_ceil":
                i = np.where(c == np.floor(c) + 0.5, np.ceil(c), np.round(c))
            elif nearest_mode == "floor":
                i = np.floor(c)
            elif nearest_mode == "ceil":
                i = np.ceil(c)
            else:
                raise ValueError(nearest_mode)
            i = np.clip(i, 0, in_len - 1).astype(np.int64)
            y = np.take(y, i, axis=ax)
        elif mode == "linear":
            c = np.clip(c, 0, in_len - 1)
            i0 = np.floor(c).astype(np.int64)
            i1 = np.minimum(i0 + 1, in_len - 1)
            t = c - i0
            shp = [1] * x.ndim
            shp[ax] = out_len
            t = t.reshape(shp)
            y = np.take(y, i0, axis=ax) * (1 - t) + np.take(y, i1, axis=ax) * t
        else:
            raise ValueError(mode)
    return y


def attention(q, k, v, mask=None, past_k=None, past_v=None, scale=None, is_causal=0, softcap=0.0,
              q_num_heads=None, kv_num_heads=None):
    """ONNX Attention-23 in float64. Returns (Y, present_key, present_value)."""
    three_d = q.ndim == 3
    if three_d:
        b = q.shape[0]
        q = q.reshape(b, q.shape[1], q_num_heads, -1).transpose(0, 2, 1, 3)
        k = k.reshape(b, k.shape[1], kv_num_heads, -1).transpose(0, 2, 1, 3)
        v = v.reshape(b, v.shape[1], kv_num_heads, -1).transpose(0, 2, 1, 3)
    if past_k is not None:
        k = np.concatenate([past_k, k], axis=2)
        v = np.concatenate([past_v, v], axis=2)
    present_k, present_v = k, v
    hq, hkv = q.shape[1], k.shape[1]
    kk = np.repeat(k, hq // hkv, axis=1)
    vv = np.repeat(v, hq // hkv, axis=1)
    if scale is None:
        scale = 1 / math.sqrt(q.shape[-1])
    s = np.matmul(q, kk.transpose(0, 1, 3, 2)) * scale
    if softcap and softcap > 0:
        s = softcap * np.tanh(s / softcap)
    sq, sk = s.shape[-2:]
    bias = np.zeros((sq, sk))
    if mask is not None:
        if mask.dtype == np.bool_:
            mask = np.where(mask, 0.0, -np.inf)
        bias = bias + mask
    if is_causal:
        offset = 0 if past_k is None else past_k.shape[2]
        allowed = np.arange(sk)[None, :] <= np.arange(sq)[:, None] + offset
        bias = bias + np.where(allowed, 0.0, -np.inf)
    s = s + bias
    p = softmax(s, -1)
    # fully masked rows (all -inf bias) give 0 (onnx reference convention)
    bias_b = np.broadcast_to(bias, s.shape)
    p = np.where(np.isneginf(bias_b.max(axis=-1, keepdims=True)), 0.0, p)
    y = np.matmul(p, vv)
    if three_d:
        y = y.transpose(0, 2, 1, 3).reshape(y.shape[0], y.shape[2], -1)
    return y, present_k, present_v
