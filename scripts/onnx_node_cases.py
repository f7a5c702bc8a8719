#!/usr/bin/env python3
"""Convert the ONNX package's own backend node tests into Cavendish kernel case files.

The onnx wheel ships the test generators (onnx.backend.test.case.node) rather than the
data/node folder; collect_testcases() rebuilds every case in memory. Every case whose graph
is a single node of the default domain with an op type in OPS becomes one file per data set:

    <out>/<OpType>/<case name>.h5          (one data set)
    <out>/<OpType>/<case name>_<i>.h5      (several data sets)

plus <out>/INDEX.json listing every file written and every in-scope case skipped, with the
reason. Rerunning with the same onnx version rewrites byte-identical files.

Usage: python3 scripts/onnx_node_cases.py [--out Tests/Fixtures/onnx-node]
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import shutil
import sys
import warnings

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import casefile  # noqa: E402

OPS = [
    "MatMul", "Gemm", "Conv", "Softmax", "LayerNormalization", "GroupNormalization",
    "RMSNormalization", "Gelu", "Sigmoid", "Tanh", "Erf", "Exp", "Sqrt", "Sin", "Cos",
    "Add", "Sub", "Mul", "Div", "Pow", "Transpose", "Reshape", "Concat", "Split", "Slice",
    "Gather", "Expand", "Where", "Resize", "ReduceMean", "ReduceSum", "Cast", "Attention",
]


class Skip(Exception):
    pass


def elem_type_map():
    from onnx import TensorProto as T

    return {
        T.FLOAT: np.dtype(np.float32),
        T.DOUBLE: np.dtype(np.float64),
        T.FLOAT16: np.dtype(np.float16),
        T.INT8: np.dtype(np.int8),
        T.UINT8: np.dtype(np.uint8),
        T.INT32: np.dtype(np.int32),
        T.INT64: np.dtype(np.int64),
        T.BOOL: np.dtype(np.bool_),
        T.BFLOAT16: "bfloat16",
    }


def convert_value(value, elem_type: int, what: str):
    """Turn a data-set entry (ndarray, numpy scalar or TensorProto) into something casefile stores."""
    import onnx
    from onnx import numpy_helper

    tmap = elem_type_map()
    if elem_type not in tmap:
        raise Skip(f"{what}: element type {onnx.TensorProto.DataType.Name(elem_type)} not in the case format")
    if isinstance(value, onnx.TensorProto):
        if value.data_type != elem_type:
            raise Skip(f"{what}: TensorProto type differs from the graph's declared type")
        value = numpy_helper.to_array(value)
    if isinstance(value, (list, dict)) or value is None:
        raise Skip(f"{what}: non-tensor value ({type(value).__name__})")
    arr = np.asarray(value)
    want = tmap[elem_type]
    if want == "bfloat16":
        if casefile.BF16 is not None and arr.dtype == casefile.BF16:
            return casefile.BF16Bits(arr.view(np.uint16))
        if arr.dtype == np.uint16:  # older onnx: raw bfloat16 bits
            return casefile.BF16Bits(arr)
        if arr.dtype in (np.float32, np.float64):
            return casefile.BF16Bits(casefile.f32_to_bf16_bits(arr))
        raise Skip(f"{what}: bfloat16 data arrived as {arr.dtype}")
    if arr.dtype != want:
        raise Skip(f"{what}: data dtype {arr.dtype} differs from declared {want}")
    return arr


def attribute_value(attr):
    import onnx
    from onnx import AttributeProto as A

    def f32(v):
        # shortest text that round-trips the stored float32 (the value the test author wrote)
        return float(str(np.float32(v))) if np.isfinite(v) else float(v)

    t = attr.type
    if t == A.INT:
        return int(attr.i)
    if t == A.FLOAT:
        return f32(attr.f)
    if t == A.STRING:
        return attr.s.decode("utf-8")
    if t == A.INTS:
        return [int(v) for v in attr.ints]
    if t == A.FLOATS:
        return [f32(v) for v in attr.floats]
    if t == A.STRINGS:
        return [s.decode("utf-8") for s in attr.strings]
    raise Skip(f"attribute {attr.name!r} has type {A.AttributeType.Name(t)}, not representable as JSON")


def default_tolerance(dtype_tag: str):
    return {
        "float16": (1e-2, 1e-3),
        "bfloat16": (2e-2, 1e-2),
    }.get(dtype_tag, (1e-4, 1e-5))


def value_tag(v) -> str:
    if isinstance(v, casefile.BF16Bits):
        return "bfloat16"
    return np.asarray(v).dtype.name


def convert_case(tc):
    """Return (op, opset, attributes, [(inputs, outputs)], rtol, atol) or raise Skip."""
    import onnx

    model = tc.model
    graph = model.graph
    node = graph.node[0]
    opset = None
    for imp in model.opset_import:
        if imp.domain in ("", "ai.onnx"):
            opset = int(imp.version)
    if opset is None:
        raise Skip("model has no default-domain opset import")

    attrs = {}
    for a in node.attribute:
        if a.ref_attr_name:
            raise Skip(f"attribute {a.name!r} is a reference attribute")
        attrs[a.name] = attribute_value(a)
    try:
        casefile.attributes_json(attrs)
    except ValueError as e:
        raise Skip(str(e))

    def types_of(values):
        out = {}
        for vi in values:
            tt = vi.type
            if tt.WhichOneof("value") != "tensor_type":
                raise Skip(f"graph value {vi.name!r} is a {tt.WhichOneof('value')}, not a tensor")
            out[vi.name] = tt.tensor_type.elem_type
        return out

    in_types = types_of(graph.input)
    out_types = types_of(graph.output)
    initializers = {t.name: t for t in graph.initializer}
    graph_in_names = [vi.name for vi in graph.input]
    graph_out_names = [vi.name for vi in graph.output]

    data_sets = []
    for ds_inputs, ds_outputs in tc.data_sets:
        if len(ds_inputs) != len(graph_in_names):
            raise Skip(f"data set has {len(ds_inputs)} inputs, graph declares {len(graph_in_names)}")
        if len(ds_outputs) != len(graph_out_names):
            raise Skip(f"data set has {len(ds_outputs)} outputs, graph declares {len(graph_out_names)}")
        feed = dict(zip(graph_in_names, ds_inputs))
        expect = dict(zip(graph_out_names, ds_outputs))
        inputs = {}
        for pos, name in enumerate(node.input):
            if name == "":
                continue
            if name in feed:
                inputs[pos] = convert_value(feed[name], in_types[name], f"input {pos} ({name})")
            elif name in initializers:
                init = initializers[name]
                inputs[pos] = convert_value(init, init.data_type, f"input {pos} ({name}, initializer)")
            else:
                raise Skip(f"node input {name!r} is neither a graph input nor an initializer")
        outputs = {}
        for pos, name in enumerate(node.output):
            if name == "":
                continue
            if name in expect:
                outputs[pos] = convert_value(expect[name], out_types[name], f"output {pos} ({name})")
            # a node output that is not a graph output has no expected value: leave it out
        if not outputs:
            raise Skip("no node output is a graph output")
        data_sets.append((inputs, outputs))

    # Tolerance: the ONNX test's own (rtol, atol), never tighter than the case format's
    # default for the outputs' element type.
    tags = {value_tag(v) for _, outs in data_sets for v in outs.values()}
    rtol, atol = float(tc.rtol), float(tc.atol)
    for tag in tags:
        if tag.startswith("float") or tag == "bfloat16":
            dr, da = default_tolerance(tag)
            rtol, atol = max(rtol, dr), max(atol, da)
    return node.op_type, opset, attrs, data_sets, rtol, atol


def check_roundtrip(path, inputs, outputs):
    """Read the file back and make sure shapes and values survived."""
    back = casefile.read_case(path)
    for group, src in (("inputs", inputs), ("outputs", outputs)):
        assert sorted(back[group]) == sorted(src), (path, group)
        for pos, v in src.items():
            want = casefile.bf16_bits_to_f32(v.bits) if isinstance(v, casefile.BF16Bits) else np.asarray(v)
            got = back[group][pos]
            assert got.shape == want.shape, (path, group, pos, got.shape, want.shape)
            assert np.array_equal(got, want, equal_nan=want.dtype.kind == "f"), (path, group, pos)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="Tests/Fixtures/onnx-node")
    ap.add_argument("--keep", action="store_true", help="do not delete the output folder first")
    args = ap.parse_args(argv)

    import onnx
    from onnx.backend.test.case import node as node_cases

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cases = node_cases.collect_testcases(None)
    cases = sorted(cases, key=lambda t: t.name)

    out = args.out
    if os.path.isdir(out) and not args.keep:
        shutil.rmtree(out)
    os.makedirs(out, exist_ok=True)

    files, skipped = [], []
    out_of_scope = collections.Counter()
    seen_names = set()
    for tc in cases:
        graph = tc.model.graph
        if len(graph.node) != 1:
            out_of_scope["graph has more than one node"] += 1
            continue
        nd = graph.node[0]
        if nd.domain not in ("", "ai.onnx"):
            out_of_scope["node not in the default domain"] += 1
            continue
        if nd.op_type not in OPS:
            out_of_scope["op type not in the list"] += 1
            continue
        if tc.name in seen_names:
            skipped.append({"case": tc.name, "op": nd.op_type, "reason": "duplicate case name"})
            continue
        seen_names.add(tc.name)
        try:
            op, opset, attrs, data_sets, rtol, atol = convert_case(tc)
        except Skip as e:
            skipped.append({"case": tc.name, "op": nd.op_type, "reason": str(e)})
            continue
        for i, (inputs, outputs) in enumerate(data_sets):
            stem = tc.name if len(data_sets) == 1 else f"{tc.name}_{i}"
            rel = f"{op}/{stem}.h5"
            casefile.write_case(
                os.path.join(out, rel), op, inputs, outputs, attributes=attrs, opset=opset,
                rtol=rtol, atol=atol, description=tc.name,
            )
            check_roundtrip(os.path.join(out, rel), inputs, outputs)
            files.append({
                "file": rel, "case": tc.name, "op": op, "opset": opset,
                "inputs": sorted(inputs), "outputs": sorted(outputs),
            })

    files.sort(key=lambda d: d["file"])
    skipped.sort(key=lambda d: (d["op"], d["case"]))
    index = {
        "source": f"onnx {onnx.__version__} onnx.backend.test.case.node.collect_testcases",
        "ops": sorted(OPS),
        "files": files,
        "skipped": skipped,
        "out_of_scope_counts": dict(sorted(out_of_scope.items())),
    }
    with open(os.path.join(out, "INDEX.json"), "w") as f:
        json.dump(index, f, indent=1, sort_keys=True)
        f.write("\n")

    per_op = collections.Counter(d["op"] for d in files)
    skip_op = collections.Counter(d["op"] for d in skipped)
    total = sum(os.path.getsize(os.path.join(out, d["file"])) for d in files)
    print(f"wrote {len(files)} files ({total / 1e6:.2f} MB) to {out}; skipped {len(skipped)} cases")
    for op in sorted(set(per_op) | set(skip_op)):
        print(f"  {op:20s} files {per_op[op]:4d}  skipped {skip_op[op]:4d}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
