"""Writes the hostile kernel case files of Tests/Fixtures/hostile-cases (issue 18, defect 3).

Each file is a well-formed case whose attributes, shapes or input values would overflow, trap or
allocate without bound if the checker did arithmetic on them before validating them. None has a
meaningful expected output: every one must come back from `cavendish kernels check` as an `error`
(or `unsupported`) with a message, never a crash, a hang or an attempt to allocate gigabytes.

    python3 scripts/hostile_cases.py Tests/Fixtures/hostile-cases

The expected status of each file is in `expected.json` beside them (written here too), and
`Tests/CavendishConformanceTests` runs them in-process, which a trap would end.
"""
from __future__ import annotations

import json
import os
import sys

import h5py
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from casefile import write_case  # noqa: E402

I64_MIN, I64_MAX = -(2**63), 2**63 - 1
f32 = lambda *shape: np.zeros(shape, np.float32)  # noqa: E731
i64 = lambda *v: np.array(v, np.int64)  # noqa: E731


def raw_attributes(path: str, text: str) -> None:
    """Replaces the JSON of a written case's attributes (casefile refuses what JSON cannot express well)."""
    with h5py.File(path, "r+") as f:
        f.attrs["attributes"] = text


def main(folder: str) -> int:
    os.makedirs(folder, exist_ok=True)
    cases: dict[str, str] = {}

    def case(name, op, inputs, outputs, attributes=None, opset=None, status="error"):
        path = os.path.join(folder, name + ".h5")
        write_case(path, op, inputs, outputs, attributes=attributes, opset=opset, description=f"hostile: {name}")
        cases[name] = status
        return path

    # Attribute values beyond any tensor's reach.
    p = case("softmax_axis_1e300", "Softmax", {0: f32(2, 3)}, {0: f32(2, 3)}, attributes={"axis": 1})
    raw_attributes(p, '{"axis": 1e300}')
    p = case("softmax_axis_int64_min", "Softmax", {0: f32(2, 3)}, {0: f32(2, 3)}, attributes={"axis": 1})
    raw_attributes(p, '{"axis": -9223372036854775808}')
    case("conv_pads_2e62", "Conv", {0: f32(1, 1, 4, 4), 1: f32(1, 1, 3, 3)}, {0: f32(1, 1, 2, 2)},
         attributes={"pads": [2**62, 2**62, 2**62, 2**62]})
    case("conv_dilations_2e62", "Conv", {0: f32(1, 1, 4, 4), 1: f32(1, 1, 3, 3)}, {0: f32(1, 1, 2, 2)},
         attributes={"dilations": [2**62, 2**62]})
    case("conv_strides_zero", "Conv", {0: f32(1, 1, 4, 4), 1: f32(1, 1, 3, 3)}, {0: f32(1, 1, 2, 2)},
         attributes={"strides": [0, 0]})
    # Input values that drive index arithmetic.
    case("slice_step_int64_min", "Slice", {0: f32(8), 1: i64(7), 2: i64(I64_MIN), 3: i64(0), 4: i64(I64_MIN)}, {0: f32(1)},
         status="pass")
    case("slice_step_int64_max", "Slice", {0: f32(8), 1: i64(I64_MIN), 2: i64(I64_MAX), 3: i64(0), 4: i64(I64_MAX)},
         {0: f32(1)}, status="pass")
    case("expand_negative_dim", "Expand", {0: f32(1), 1: i64(-5)}, {0: f32(1)})
    case("expand_many_gigabytes", "Expand", {0: f32(1, 1), 1: i64(1 << 17, 1 << 17)}, {0: f32(1, 1)})
    case("expand_product_overflows", "Expand", {0: f32(1, 1, 1), 1: i64(1 << 32, 1 << 32, 1 << 32)}, {0: f32(1, 1, 1)})
    case("reshape_product_overflows", "Reshape", {0: f32(4), 1: i64(1 << 40, 1 << 40)}, {0: f32(4)})
    case("resize_infinite_scales", "Resize", {0: f32(1, 1, 2, 2), 2: np.array([1, 1, np.inf, np.inf], np.float32)},
         {0: f32(1, 1, 2, 2)})
    case("resize_huge_scales", "Resize", {0: f32(1, 1, 2, 2), 2: np.array([1, 1, 3e38, 3e38], np.float32)},
         {0: f32(1, 1, 2, 2)})
    case("resize_negative_sizes", "Resize", {0: f32(1, 1, 2, 2), 3: i64(1, 1, -4, -4)}, {0: f32(1, 1, 2, 2)})
    case("attention_nonpad_kv_seqlen_int64_min", "Attention",
         {0: f32(1, 1, 2, 4), 1: f32(1, 1, 2, 4), 2: f32(1, 1, 2, 4), 6: i64(I64_MIN)}, {0: f32(1, 1, 2, 4)}, opset=24)
    case("gather_on_a_scalar", "Gather", {0: np.array(1.0, np.float32), 1: i64(0)}, {0: f32(1)})
    case("concat_of_scalars", "Concat", {0: np.array(1.0, np.float32), 1: np.array(2.0, np.float32)}, {0: f32(2)},
         attributes={"axis": 0})
    case("transpose_perm_out_of_range", "Transpose", {0: f32(2, 3)}, {0: f32(3, 2)}, attributes={"perm": [1, 2**40]})
    case("reducesum_axes_int64_min", "ReduceSum", {0: f32(2, 3), 1: i64(I64_MIN)}, {0: f32(1, 3)})

    with open(os.path.join(folder, "expected.json"), "w") as f:
        json.dump(dict(sorted(cases.items())), f, indent=1)
        f.write("\n")
    print(f"wrote {len(cases)} hostile cases to {folder}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "Tests/Fixtures/hostile-cases"))
