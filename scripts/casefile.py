"""Shared helpers for writing Cavendish kernel case files (see docs/KERNEL_CASES.md).

One HDF5 file per case:
  root attrs  op, opset, attributes (JSON), rtol, atol, description
  inputs/<i>  dataset per ONNX input position (omitted optional inputs are absent)
  outputs/<i> dataset per ONNX output position
bool is stored as uint8 with dataset attr dtype="bool"; bfloat16 as uint16 with dtype="bfloat16".

Only numpy, h5py and ml_dtypes (a dependency of onnx) are needed here.
"""

from __future__ import annotations

import json
import math
import os

import h5py
import numpy as np

try:  # ml_dtypes ships with onnx >= 1.16; it is only needed to recognise bfloat16 arrays.
    import ml_dtypes

    BF16 = np.dtype(ml_dtypes.bfloat16)
except ImportError:  # pragma: no cover
    ml_dtypes = None
    BF16 = None

# numpy dtypes the case format stores directly
def _c(a) -> np.ndarray:
    """C-contiguous copy that keeps 0-d arrays 0-d (np.ascontiguousarray would make them 1-d)."""
    return np.array(a, order="C", copy=True)


PLAIN_DTYPES = {
    np.dtype(np.float32),
    np.dtype(np.float64),
    np.dtype(np.float16),
    np.dtype(np.int8),
    np.dtype(np.uint8),
    np.dtype(np.int32),
    np.dtype(np.int64),
}


class BF16Bits:
    """Marker wrapper: a uint16 array holding bfloat16 bit patterns."""

    def __init__(self, bits: np.ndarray):
        bits = np.asarray(bits)
        assert bits.dtype == np.uint16, bits.dtype
        self.bits = bits


def f32_to_bf16_bits(x) -> np.ndarray:
    """float -> bfloat16 bits, round to nearest even; NaN stays NaN (quiet)."""
    x = _c(np.asarray(x, dtype=np.float32))
    u = x.view(np.uint32).astype(np.uint64)
    rounded = ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype(np.uint16)
    nan = np.isnan(x)
    if nan.any():
        rounded = np.where(nan, ((u >> 16) | 0x40).astype(np.uint16), rounded)
    return rounded.astype(np.uint16)


def bf16_bits_to_f32(bits) -> np.ndarray:
    bits = _c(np.asarray(bits, dtype=np.uint16))
    return (bits.astype(np.uint32) << 16).view(np.float32)


def bf16_round(x) -> np.ndarray:
    """Round values to bfloat16 precision, returned as float32."""
    return bf16_bits_to_f32(f32_to_bf16_bits(x))


def _prepare(value):
    """Return (numpy array to store, dtype attr or None)."""
    if isinstance(value, BF16Bits):
        return _c(value.bits), "bfloat16"
    arr = np.asarray(value)
    if BF16 is not None and arr.dtype == BF16:
        return _c(arr.view(np.uint16)), "bfloat16"
    if arr.dtype == np.bool_:
        return _c(arr.astype(np.uint8)), "bool"
    if arr.dtype not in PLAIN_DTYPES:
        raise TypeError(f"dtype {arr.dtype} is not storable in a case file")
    return _c(arr), None


def storable(value) -> bool:
    try:
        _prepare(value)
        return True
    except TypeError:
        return False


def _json_default(o):
    if isinstance(o, np.integer):
        return int(o)
    if isinstance(o, np.floating):
        return float(o)
    if isinstance(o, np.ndarray):
        return o.tolist()
    raise TypeError(f"not JSON serialisable: {type(o)}")


def attributes_json(attrs: dict) -> str:
    def check(v):
        if isinstance(v, float) and not math.isfinite(v):
            raise ValueError("non-finite float attribute cannot be written as JSON")
        if isinstance(v, (list, tuple)):
            for e in v:
                check(e)

    for v in attrs.values():
        check(v)
    return json.dumps(attrs, sort_keys=True, separators=(",", ":"), default=_json_default, allow_nan=False)


def write_case(
    path: str,
    op: str,
    inputs: dict,
    outputs: dict,
    attributes: dict | None = None,
    opset: int | None = None,
    rtol: float | None = None,
    atol: float | None = None,
    description: str | None = None,
) -> None:
    """inputs / outputs: {position(int): array or BF16Bits}. Positions not present are omitted."""
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    prepared_in = {int(k): _prepare(v) for k, v in inputs.items()}
    prepared_out = {int(k): _prepare(v) for k, v in outputs.items()}
    tmp = path + ".tmp"
    # libver v1.8 file format: readable by any HDF5 >= 1.8 (no API-visible difference from h5py's
    # default "earliest"), but groups store their links compactly, which roughly halves the size
    # of these small files. Strings stay h5py's default variable-length UTF-8.
    with h5py.File(tmp, "w", libver=("v108", "v108")) as f:
        f.attrs["op"] = op
        if opset is not None:
            f.attrs["opset"] = np.int64(opset)
        if attributes:
            f.attrs["attributes"] = attributes_json(attributes)
        if rtol is not None:
            f.attrs["rtol"] = np.float64(rtol)
        if atol is not None:
            f.attrs["atol"] = np.float64(atol)
        if description:
            f.attrs["description"] = description
        for gname, items in (("inputs", prepared_in), ("outputs", prepared_out)):
            g = f.create_group(gname)
            for pos in sorted(items):
                arr, tag = items[pos]
                ds = g.create_dataset(str(pos), data=arr, track_times=False)
                if tag is not None:
                    ds.attrs["dtype"] = tag
    os.replace(tmp, path)


def read_case(path: str) -> dict:
    """Read a case file back (bool -> np.bool_, bfloat16 -> float32 values)."""
    out = {"inputs": {}, "outputs": {}}
    with h5py.File(path, "r") as f:
        for k, v in f.attrs.items():
            out[k] = v.decode() if isinstance(v, bytes) else v
        if "attributes" in out:
            out["attributes"] = json.loads(out["attributes"])
        for g in ("inputs", "outputs"):
            for name, ds in f[g].items():
                arr = ds[()]
                tag = ds.attrs.get("dtype")
                if tag == "bool":
                    arr = np.asarray(arr).astype(np.bool_)
                elif tag == "bfloat16":
                    arr = bf16_bits_to_f32(arr)
                out[g][int(name)] = np.asarray(arr)
    return out
