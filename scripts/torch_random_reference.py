#!/usr/bin/env python3
"""Records torch.randn / torch.rand float32 draws from seeded CPU generators.

Writes Tests/Fixtures/torch-random.json, the expected values for TorchRandomSource's tests.
Each entry replays a sequence of calls on ONE generator, so that the stream continuation
(uniform refills, the cached second Box-Muller sample for small tensors) is checked too.
Rerun: python3 scripts/torch_random_reference.py
"""
import json
import os
import sys

import torch

CASES = [
    # (seed, [(kind, count), ...])
    (0, [("randn", 16)]),
    (42, [("randn", 1000)]),
    (1234, [("randn", 17), ("randn", 33)]),
    (7, [("randn", 5), ("randn", 3), ("randn", 20)]),
    (2**32 + 5, [("randn", 1), ("rand", 4), ("randn", 2)]),
    (99, [("rand", 64), ("randn", 4 * 16 * 16)]),
    (31337, [("randn", 15), ("rand", 15)]),
]


def main() -> None:
    out = os.path.join(os.path.dirname(__file__), "..", "Tests", "Fixtures", "torch-random.json")
    cases = []
    for seed, calls in CASES:
        g = torch.Generator().manual_seed(seed)
        results = []
        for kind, count in calls:
            fn = torch.randn if kind == "randn" else torch.rand
            values = fn(count, generator=g, dtype=torch.float32)
            results.append({"kind": kind, "count": count, "values": [float(v) for v in values]})
        cases.append({"seed": seed, "calls": results})
    doc = {"generator": f"torch {torch.__version__} CPU", "cases": cases}
    tmp = out + ".tmp"
    with open(tmp, "w") as f:
        json.dump(doc, f, indent=0)
    os.replace(tmp, out)
    print(f"wrote {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
