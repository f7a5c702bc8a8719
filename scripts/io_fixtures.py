#!/usr/bin/env python3
"""Fixtures for Tests/CavendishIOTests, written by the reference implementations.

    python3 scripts/io_fixtures.py             # (re)write Tests/Fixtures/io/
    python3 scripts/io_fixtures.py verify DIR  # check files the Swift tests exported to DIR

Files written (all small, seeded, deterministic apart from HDF5 internals):
  case.h5 / case.json                  h5py, in the kernel-case layout (docs/KERNEL_CASES.md), with
                                       extra datasets and attributes covering every type the reader
                                       handles; the JSON records what each dataset holds.
  tensors.safetensors / tensors.json   safetensors.torch.save_file, every supported dtype.
  gray.png, rgb.png, rgba.png, png.json
                                       PNGs assembled by hand with zlib + struct (no imaging library),
                                       rgb.png carrying tEXt and iTXt chunks.

The Swift tests export files they wrote when CAVENDISH_IO_EXPORT_DIR is set:
    CAVENDISH_IO_EXPORT_DIR=/tmp/io swift test --filter CavendishIOTests
    python3 scripts/io_fixtures.py verify /tmp/io
`verify` checks them with h5py, safetensors and a hand PNG decoder against SWIFT_WRITTEN below, which
must match the values in Tests/CavendishIOTests/ExportTests.swift.

Needs numpy, h5py, torch and safetensors (pip install safetensors).
"""

from __future__ import annotations

import json
import os
import struct
import sys
import zlib

import h5py
import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests", "Fixtures", "io")
SEED = 20240611


def f32_to_bf16_bits(x) -> np.ndarray:
    """float32 -> bfloat16 bits, round to nearest even (finite inputs)."""
    u = np.asarray(x, dtype=np.float32).view(np.uint32).astype(np.uint64)
    return ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype(np.uint16)


def bf16_bits_to_f32(bits) -> np.ndarray:
    return (np.asarray(bits, dtype=np.uint16).astype(np.uint32) << 16).view(np.float32)


def exact(values) -> list[str]:
    """Values as decimal strings that parse back to the same double (repr), since not every JSON
    parser rounds numbers correctly."""
    return [repr(float(v)) if isinstance(v, float) else str(int(v)) for v in values]


def record(arr: np.ndarray, dtype: str, values=None) -> dict:
    vals = arr if values is None else values
    return {"dtype": dtype, "shape": list(arr.shape), "values": exact(np.asarray(vals).reshape(-1).tolist())}


# ---------------------------------------------------------------- HDF5

def write_hdf5(rng: np.random.Generator) -> None:
    path = os.path.join(OUT, "case.h5")
    expected: dict = {"datasets": {}, "rejected": {}}
    ds = expected["datasets"]
    with h5py.File(path, "w", libver="earliest") as f:
        # Root attributes as casefile.py and the KERNEL_CASES example write them.
        f.attrs["op"] = "Softmax"  # variable-length UTF-8
        f.attrs["opset"] = np.int64(13)
        f.attrs["attributes"] = json.dumps({"axis": 1})
        f.attrs["rtol"] = np.float64(1e-3)
        f.attrs["atol"] = np.float32(0.25)
        f.attrs["description"] = np.bytes_(b"fixed-length ascii")  # fixed-length, NUL-padded
        f.attrs["unicode"] = "\u00fcn\u00efc\u00f8d\u00e9 \u2713"
        f.attrs.create("fixed_utf8", "h\u00e9llo".encode(), dtype=h5py.string_dtype("utf-8", 16))
        f.attrs["int_array"] = np.array([1, -2, 3], dtype=np.int32)
        f.attrs["float_array"] = np.array([0.5, 1.5], dtype=np.float32)
        f.attrs["flag"] = np.bool_(True)  # h5py writes an enum

        x = rng.standard_normal((2, 3, 5)).astype(np.float32)
        f.create_dataset("inputs/0", data=x, track_times=False)
        ds["inputs/0"] = record(x, "float32")

        h = np.array([0.1, -2.5, 65504.0, 6e-8], dtype=np.float16)
        f.create_dataset("inputs/1", data=h, track_times=False)
        ds["inputs/1"] = record(h, "float16", h.astype(np.float64))

        i64 = np.array([-(2**40), 0, 2**40 + 7], dtype=np.int64)
        f.create_dataset("inputs/2", data=i64, track_times=False)
        ds["inputs/2"] = record(i64, "int64")

        b = rng.random((2, 2)) > 0.5
        d = f.create_dataset("inputs/3", data=b.astype(np.uint8), track_times=False)
        d.attrs["dtype"] = "bool"
        ds["inputs/3"] = record(b, "bool", b.astype(np.int64))

        bf = f32_to_bf16_bits(np.array([1.0, -3.140625, 1e-3], dtype=np.float32))
        d = f.create_dataset("inputs/4", data=bf, track_times=False)
        d.attrs["dtype"] = "bfloat16"
        ds["inputs/4"] = record(bf, "bfloat16", bf16_bits_to_f32(bf).astype(np.float64))

        s = np.float64(2.75)
        f.create_dataset("inputs/5", data=s, track_times=False)
        ds["inputs/5"] = record(np.asarray(s), "float64")

        y = np.exp(x - x.max(axis=1, keepdims=True))
        y = (y / y.sum(axis=1, keepdims=True)).astype(np.float32)
        f.create_dataset("outputs/0", data=y, track_times=False)
        ds["outputs/0"] = record(y, "float32")

        # Types outside the case format that the reader still handles (or refuses by name).
        nb = np.array([True, False, True])
        f.create_dataset("extra/native_bool", data=nb, track_times=False)  # h5py enum
        ds["extra/native_bool"] = record(nb, "bool", nb.astype(np.int64))
        for name, arr, dtype in [
            ("int8", np.array([-128, 5, 127], dtype=np.int8), "int8"),
            ("uint8", np.array([[0, 200], [255, 1]], dtype=np.uint8), "uint8"),
            ("int32", np.array([-(2**31), 2**31 - 1], dtype=np.int32), "int32"),
            ("int16", np.array([-300, 300], dtype=np.int16), "int32"),
            ("uint32", np.array([2**32 - 1], dtype=np.uint32), "int64"),
            ("float64", rng.standard_normal(3), "float64"),
            ("empty", np.zeros((0, 3), dtype=np.float32), "float32"),
            ("big_endian", np.array([1.5, -2.0], dtype=">f4"), "float32"),
        ]:
            f.create_dataset(f"extra/{name}", data=arr, track_times=False)
            ds[f"extra/{name}"] = record(arr, dtype, arr.astype(np.float64) if arr.dtype.kind == "f" else None)
        f["extra/int8"].attrs["note"] = "dataset attribute"
        f["extra"].attrs["group_attr"] = np.int64(7)
        f.create_dataset("extra/uint64", data=np.array([1], dtype=np.uint64), track_times=False)
        expected["rejected"]["extra/uint64"] = "uint64"
        f.create_dataset("extra/complex", data=np.array([1 + 2j], dtype=np.complex64), track_times=False)
        expected["rejected"]["extra/complex"] = "compound"
        d = f.create_dataset("extra/bad_bool_tag", data=np.array([1.0], dtype=np.float32), track_times=False)
        d.attrs["dtype"] = "bool"
        expected["rejected"]["extra/bad_bool_tag"] = "bool"

    expected["attributes"] = {
        "op": "Softmax", "opset": 13, "attributes": '{"axis": 1}', "rtol": 1e-3, "atol": 0.25,
        "description": "fixed-length ascii", "unicode": "\u00fcn\u00efc\u00f8d\u00e9 \u2713",
        "fixed_utf8": "h\u00e9llo", "int_array": [1, -2, 3], "float_array": [0.5, 1.5], "flag": 1,
    }
    with open(os.path.join(OUT, "case.json"), "w") as f:
        json.dump(expected, f, indent=1, sort_keys=True)


# ---------------------------------------------------------------- safetensors

def write_safetensors(rng: np.random.Generator) -> None:
    import torch
    from safetensors.torch import save_file

    g = torch.Generator().manual_seed(SEED)
    tensors = {
        "f32": torch.randn(2, 3, generator=g),
        "f16": torch.tensor([0.5, -1.25, 1000.0, 0.1], dtype=torch.float16),
        "bf16": torch.tensor([1.0, -3.140625, 256.0], dtype=torch.bfloat16),
        "f64": torch.tensor([1e-300, -2.5], dtype=torch.float64),
        "i8": torch.tensor([-128, 0, 127], dtype=torch.int8),
        "u8": torch.tensor([[0, 255], [7, 8]], dtype=torch.uint8),
        "i32": torch.tensor([-(2**31), 5], dtype=torch.int32),
        "i64": torch.tensor([2**40, -1], dtype=torch.int64),
        "flags": torch.tensor([True, False, False, True]),
        "scalar": torch.tensor(3.5),
        "empty": torch.zeros(0, 4),
        "nested.layer.weight": torch.arange(6, dtype=torch.float32).reshape(3, 2),
    }
    names = {torch.float32: "float32", torch.float16: "float16", torch.bfloat16: "bfloat16",
             torch.float64: "float64", torch.int8: "int8", torch.uint8: "uint8", torch.int32: "int32",
             torch.int64: "int64", torch.bool: "bool"}
    metadata = {"format": "pt", "note": "written by scripts/io_fixtures.py"}
    save_file(tensors, os.path.join(OUT, "tensors.safetensors"), metadata=metadata)
    os.chmod(os.path.join(OUT, "tensors.safetensors"), 0o644)  # save_file creates it owner-only
    expected = {
        "metadata": metadata,
        "tensors": {
            k: {"dtype": names[v.dtype], "shape": list(v.shape),
                "values": exact(v.to(torch.float64).reshape(-1).tolist())}
            for k, v in tensors.items()
        },
    }
    with open(os.path.join(OUT, "tensors.json"), "w") as f:
        json.dump(expected, f, indent=1, sort_keys=True)


# ---------------------------------------------------------------- PNG

def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)


def encode_png(pixels: np.ndarray, text: dict[str, str] | None = None) -> bytes:
    """pixels: uint8 [height, width, channels]; filter type 0 on every row."""
    height, width, channels = pixels.shape
    color_type = {1: 0, 2: 4, 3: 2, 4: 6}[channels]
    ihdr = struct.pack(">IIBBBBB", width, height, 8, color_type, 0, 0, 0)
    raw = b"".join(b"\x00" + pixels[y].tobytes() for y in range(height))
    out = b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr)
    for key, value in (text or {}).items():
        try:
            out += png_chunk(b"tEXt", key.encode("latin-1") + b"\x00" + value.encode("latin-1"))
        except UnicodeEncodeError:
            out += png_chunk(b"iTXt", key.encode("latin-1") + b"\x00\x00\x00\x00\x00" + value.encode("utf-8"))
    out += png_chunk(b"IDAT", zlib.compress(raw, 9)) + png_chunk(b"IEND", b"")
    return out


def decode_png(data: bytes) -> tuple[np.ndarray, dict[str, str]]:
    """Minimal decoder for 8-bit, non-interlaced gray/GA/RGB/RGBA PNGs with any filter."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    at, idat, text = 8, b"", {}
    while at < len(data):
        (length,) = struct.unpack(">I", data[at:at + 4])
        kind, body = data[at + 4:at + 8], data[at + 8:at + 8 + length]
        assert zlib.crc32(kind + body) & 0xFFFFFFFF == struct.unpack(">I", data[at + 8 + length:at + 12 + length])[0]
        at += 12 + length
        if kind == b"IHDR":
            width, height, depth, color_type, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and interlace == 0, (depth, interlace)
            channels = {0: 1, 4: 2, 2: 3, 6: 4}[color_type]
        elif kind == b"IDAT":
            idat += body
        elif kind == b"tEXt":
            k, v = body.split(b"\x00", 1)
            text[k.decode("latin-1")] = v.decode("latin-1")
        elif kind == b"iTXt":
            k, rest = body.split(b"\x00", 1)
            assert rest[0] == 0
            _lang, _tk, v = rest[2:].split(b"\x00", 2)
            text[k.decode("latin-1")] = v.decode("utf-8")
        elif kind == b"IEND":
            break
    raw = zlib.decompress(idat)
    stride = width * channels
    out = np.zeros((height, stride), dtype=np.int32)
    prev = np.zeros(stride, dtype=np.int32)
    for y in range(height):
        ftype = raw[y * (stride + 1)]
        line = np.frombuffer(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)], dtype=np.uint8).astype(np.int32)
        cur = np.zeros(stride, dtype=np.int32)
        for i in range(stride):
            a = cur[i - channels] if i >= channels else 0
            b = prev[i]
            c = prev[i - channels] if i >= channels else 0
            if ftype == 0:
                pred = 0
            elif ftype == 1:
                pred = a
            elif ftype == 2:
                pred = b
            elif ftype == 3:
                pred = (a + b) // 2
            else:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
            cur[i] = (line[i] + pred) & 0xFF
        out[y], prev = cur, cur
    return out.astype(np.uint8).reshape(height, width, channels), text


def write_pngs(rng: np.random.Generator) -> None:
    expected = {}
    for name, (h, w, c), text in [
        ("gray", (3, 5, 1), None),
        ("rgb", (3, 4, 3), {"Title": "Cavendish fixture", "Comment": "caf\u00e9 \u2615"}),
        ("rgba", (2, 3, 4), None),
    ]:
        pixels = rng.integers(0, 256, size=(h, w, c), dtype=np.uint8)
        with open(os.path.join(OUT, f"{name}.png"), "wb") as f:
            f.write(encode_png(pixels, text))
        expected[name] = {"width": w, "height": h, "channels": c,
                          "pixels": pixels.reshape(-1).tolist(), "text": text or {}}
    with open(os.path.join(OUT, "png.json"), "w") as f:
        json.dump(expected, f, indent=1, sort_keys=True)


# ---------------------------------------------------------------- verify Swift-written files

# What ExportTests.swift writes; keep the two in step.
SWIFT_WRITTEN = {
    "tensors": {
        "f32": ("float32", [2, 3], [0.0, 0.25, 0.5, 0.75, 1.0, 1.25]),
        "f16": ("float16", [3], [0.5, -2.0, 1024.0]),
        "bf16": ("bfloat16", [2], [1.5, -3.0]),
        "f64": ("float64", [], [2.5]),
        "i8": ("int8", [2], [-128, 127]),
        "u8": ("uint8", [2], [0, 255]),
        "i32": ("int32", [2], [-5, 6]),
        "i64": ("int64", [2], [-(2**40), 7]),
        "flags": ("bool", [3], [1, 0, 1]),
    },
    "attributes": {"op": "Add", "opset": 14, "rtol": 0.01, "ints": [1, 2], "floats": [0.5], "names": ["a", "b"]},
    "metadata": {"source": "swift"},
}


def verify(folder: str) -> int:
    problems = []
    want = SWIFT_WRITTEN["tensors"]
    path = os.path.join(folder, "swift_written.h5")
    if os.path.exists(path):
        with h5py.File(path, "r") as f:
            for k, v in SWIFT_WRITTEN["attributes"].items():
                got = f.attrs[k]
                got = got.tolist() if isinstance(got, np.ndarray) else got
                got = [g.decode() if isinstance(g, bytes) else g for g in got] if isinstance(got, list) else got
                if got != v:
                    problems.append(f"{path}: attribute {k} = {got!r}, want {v!r}")
            for name, (dtype, shape, values) in want.items():
                ds = f[f"tensors/{name}"]
                arr = ds[()]
                tag = ds.attrs.get("dtype")
                if dtype == "bfloat16":
                    ok = tag == "bfloat16" and arr.dtype == np.uint16
                    arr = bf16_bits_to_f32(arr)
                elif dtype == "bool":
                    ok = tag == "bool" and arr.dtype == np.uint8
                else:
                    ok = arr.dtype == np.dtype(dtype) and tag is None
                if not ok or list(np.shape(arr)) != shape or np.asarray(arr, np.float64).reshape(-1).tolist() != values:
                    problems.append(f"{path}: tensors/{name} is {arr.dtype} {np.shape(arr)} {arr!r} tag={tag}")
        print(f"checked {path}")
    path = os.path.join(folder, "swift_written.safetensors")
    if os.path.exists(path):
        import torch
        from safetensors import safe_open

        with safe_open(path, framework="pt") as f:
            if f.metadata() != SWIFT_WRITTEN["metadata"]:
                problems.append(f"{path}: metadata {f.metadata()}")
            for name, (dtype, shape, values) in want.items():
                t = f.get_tensor(name)
                if str(t.dtype) != f"torch.{dtype}" or list(t.shape) != shape or t.to(torch.float64).reshape(-1).tolist() != values:
                    problems.append(f"{path}: {name} is {t.dtype} {list(t.shape)} {t}")
        print(f"checked {path}")
    path = os.path.join(folder, "swift_written.png")
    if os.path.exists(path):
        with open(path, "rb") as f:
            pixels, text = decode_png(f.read())
        want_pixels = np.array([[[0, 64, 128, 255], [255, 0, 0, 128]], [[0, 255, 0, 0], [1, 2, 3, 4]]], dtype=np.uint8)
        if not np.array_equal(pixels, want_pixels):
            problems.append(f"{path}: pixels {pixels.reshape(-1).tolist()}")
        if text != {"prompt": "a cat", "seed": "42", "caption": "\u00e9t\u00e9 \u2600"}:
            problems.append(f"{path}: text {text}")
        print(f"checked {path}")
    for p in problems:
        print(p)
    return 1 if problems else 0


def main() -> int:
    if len(sys.argv) == 3 and sys.argv[1] == "verify":
        return verify(sys.argv[2])
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(SEED)
    write_hdf5(rng)
    write_safetensors(rng)
    write_pngs(rng)
    # The decoder used by `verify` must agree with the encoder.
    for name in ("gray", "rgb", "rgba"):
        with open(os.path.join(OUT, f"{name}.png"), "rb") as f:
            decode_png(f.read())
    total = sum(os.path.getsize(os.path.join(OUT, n)) for n in os.listdir(OUT))
    print(f"wrote {OUT} ({total} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
