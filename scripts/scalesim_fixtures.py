#!/usr/bin/env python3
"""SCALE-Sim ground truth for the systolic-array simulator's `--mode scalesim`.

Runs the real `scalesim` package (pip install scalesim; 3.0.0 when generated) on small GEMM
layers, one run per case, each in a temporary folder with a generated config
(InterfaceBandwidth CALC, so DRAM never stalls; 8 MiB SRAMs), and writes
Tests/Fixtures/scalesim/gemm_cycles.json. It then checks every case against the closed forms
below and exits non-zero if any of them disagrees with SCALE-Sim.

GEMM topology row `name, M, N, K,` (what SCALE-Sim's topology_utils.load_arrays_gemm does):
it becomes a convolution with a 1-channel M x K ifmap, N filters of 1 x K, stride 1, so
    IFMAP  operand matrix  A: M x K   (M = ofmap pixels, K = window / reduction)
    FILTER operand matrix  B: K x N   (N = number of filters)
    OFMAP  operand matrix  C: M x N   (C = A @ B, M*N*K MACs)
On an R x C array (R = ArrayHeight = rows, C = ArrayWidth = cols):
    ws: B is stationary, K on the rows, N on the columns; A streams its M rows.
        folds = ceil(K/R) * ceil(N/C); fold = R (weight load) + M + (R-1) + (C-1)
        cycles = ceil(K/R) * ceil(N/C) * (2R + C + M - 2) - 1
    os: C is stationary, M on the rows, N on the columns; K is streamed (time).
        cycles = ceil(M/R) * ceil(N/C) * (R + C + K - 2) - 1
    is: A is stationary, K on the rows, M on the columns; B streams its N columns.
        cycles = ceil(K/R) * ceil(M/C) * (2R + C + N - 2) - 1
"Total cycles" is the COMPUTE_REPORT.csv column "Total Cycles" (compute + stalls; stalls are 0
here): the cycle of the last OFMAP write, counted from 0, hence the -1. Folds run back to back,
nothing overlaps between folds, and a partial fold (or an array bigger than the GEMM) costs the
same as a full one because R and C in the fold time are the array's, not the used part.

Rerun: python3 scripts/scalesim_fixtures.py   (--out FILE to write elsewhere)
"""
import argparse
import builtins
import contextlib
import csv
import io
import json
import math
import os
import sys
import tempfile
import time
from importlib.metadata import version

import numpy as np

SRAM_KB = 8192  # per buffer; generous, CALC mode never stalls anyway
DATAFLOWS = ("ws", "os", "is")

# (M, N, K, rows R, cols C); every shape runs under all three dataflows.
SHAPES = [
    (1, 1, 1, 8, 8),            # degenerate, array much bigger than the GEMM
    (5, 3, 7, 8, 8),            # all dims smaller than the array
    (8, 8, 8, 8, 8),            # all dims equal to the array
    (16, 16, 16, 16, 16),       # equal, 16x16
    (20, 24, 40, 16, 16),       # not multiples
    (48, 32, 64, 16, 16),       # exact multiples, several folds
    (33, 17, 65, 16, 32),       # non-square array, not multiples
    (64, 48, 40, 32, 8),        # tall array
    (7, 130, 9, 32, 8),         # N much bigger than C
    (300, 20, 10, 16, 32),      # long stream dimension M
    (100, 70, 50, 32, 32),      # not multiples, 32x32
    (128, 128, 128, 128, 128),  # one full 128x128 fold
    (130, 1, 200, 128, 128),    # matrix-vector, just over one fold
    (512, 256, 384, 128, 128),  # larger, several 128x128 folds
]


def closed_form_cycles(df, m, n, k, r, c):
    """The SCALE-Sim total cycles, and the number of folds."""
    cd = lambda a, b: -(-a // b)
    if df == "ws":
        folds, per_fold = cd(k, r) * cd(n, c), 2 * r + c + m - 2
    elif df == "os":
        folds, per_fold = cd(m, r) * cd(n, c), r + c + k - 2
    elif df == "is":
        folds, per_fold = cd(k, r) * cd(m, c), 2 * r + c + n - 2
    else:
        raise ValueError(df)
    return folds * per_fold - 1, folds


def closed_form_utils(df, m, n, k, r, c, cycles):
    """SCALE-Sim's three utilization figures as fractions (its reports give percent).

    overall = MNK / (cycles * R * C). mapping efficiency and compute utilization are plain
    (unweighted) averages over folds. Compute utilization uses SCALE-Sim's own per-fold cycle
    count, which for ws and is is (2R + 2C + stream - 3), one skew longer than the fold time.
    """
    _, folds = closed_form_cycles(df, m, n, k, r, c)
    if df == "ws":
        mapped, stream, fold_cycles = k * n, m, 2 * r + 2 * c + m - 3
    elif df == "os":
        mapped, stream, fold_cycles = m * n, k, r + c + k - 2
    else:
        mapped, stream, fold_cycles = k * m, n, 2 * r + 2 * c + n - 3
    overall = m * n * k / (cycles * r * c)
    mapping = mapped / (folds * r * c)
    compute = mapped * stream / (folds * r * c * fold_cycles)
    return overall, mapping, compute


def _numpy2_shim():
    """scalesim 3.0.0 calls int() on 1-element 1-d arrays (int(max(list of arrays)) in
    double_buffered_scratchpad_mem, int(a - min(b, c)) in single_layer_sim), which numpy >= 2.x
    rejects. Give those two modules a max/min that returns the scalar, as numpy 1.x's int() did.
    Values are unchanged."""
    import scalesim.memory.double_buffered_scratchpad_mem as dbsp
    import scalesim.single_layer_sim as sls

    def scalar(v):
        return v.item() if isinstance(v, np.ndarray) and v.size == 1 else v

    dbsp.max = lambda *a, **kw: scalar(builtins.max(*a, **kw))
    sls.min = lambda *a, **kw: scalar(builtins.min(*a, **kw))


CONFIG = """[general]
run_name = run

[architecture_presets]
ArrayHeight = {rows}
ArrayWidth = {cols}
IfmapSramSzkB = {sram}
FilterSramSzkB = {sram}
OfmapSramSzkB = {sram}
IfmapOffset = 0
FilterOffset = 10000000
OfmapOffset = 20000000
Dataflow = {df}
Bandwidth = 10
ReadRequestBuffer = 32
WriteRequestBuffer = 32

[layout]
IfmapCustomLayout = False
IfmapSRAMBankBandwidth = 10
IfmapSRAMBankNum = 10
IfmapSRAMBankPort = 2
FilterCustomLayout = False
FilterSRAMBankBandwidth = 10
FilterSRAMBankNum = 10
FilterSRAMBankPort = 2

[sparsity]
SparsitySupport = false
SparseRep = ellpack_block
OptimizedMapping = false
BlockSize = 8
RandomNumberGeneratorSeed = 40

[run_presets]
InterfaceBandwidth = CALC
UseRamulatorTrace = False
"""


def run_scalesim(df, m, n, k, r, c):
    from scalesim.scale_sim import scalesim

    with tempfile.TemporaryDirectory(prefix="scalesim-") as tmp:
        cfg = os.path.join(tmp, "run.cfg")
        topo = os.path.join(tmp, "gemm.csv")
        layout = os.path.join(tmp, "layout.csv")
        with open(cfg, "w") as f:
            f.write(CONFIG.format(rows=r, cols=c, sram=SRAM_KB, df=df))
        with open(topo, "w") as f:
            f.write("Layer, M, N, K,\n")
            f.write(f"gemm, {m}, {n}, {k},\n")
        with open(layout, "w") as f:  # only read with custom layouts, which are off
            f.write("Layer name,\n")
        out = os.path.join(tmp, "out")
        with contextlib.redirect_stdout(io.StringIO()):
            sim = scalesim(save_disk_space=True, verbose=False, config=cfg, topology=topo,
                           layout=layout, input_type_gemm=True)
            sim.run_scale(top_path=out)
        with open(os.path.join(out, "run", "COMPUTE_REPORT.csv")) as f:
            rows = [[x.strip() for x in row] for row in csv.reader(f)]
    header, values = rows[0], rows[1]
    rep = dict(zip(header, values))
    # Cross-check the report against the simulator object (it has no working accessor:
    # simulator.get_total_cycles() fails in 3.0.0).
    items = sim.runner.single_layer_sim_object_list[0].get_compute_report_items()
    assert int(rep["Total Cycles"]) == int(items[1]), (rep, items)
    return {
        "total_cycles": int(rep["Total Cycles"]),
        "stall_cycles": int(rep["Stall Cycles"]),
        "overall_util": float(rep["Overall Util %"]) / 100,
        "mapping_efficiency": float(rep["Mapping Efficiency %"]) / 100,
        "compute_util": float(rep["Compute Util %"]) / 100,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                                                  "Tests", "Fixtures", "scalesim",
                                                  "gemm_cycles.json"))
    args = ap.parse_args()

    _numpy2_shim()
    ss_version = version("scalesim")
    t_all = time.time()
    cases, failures = [], []
    print(f"{'df':3} {'M':>4} {'N':>4} {'K':>4} {'R':>4} {'C':>4} {'folds':>5} "
          f"{'scalesim':>9} {'formula':>9} {'util':>7} {'map.eff':>7} {'secs':>5}  check")
    for df in DATAFLOWS:
        for (m, n, k, r, c) in SHAPES:
            t0 = time.time()
            got = run_scalesim(df, m, n, k, r, c)
            secs = time.time() - t0
            want, folds = closed_form_cycles(df, m, n, k, r, c)
            problems = []
            if got["total_cycles"] != want:
                problems.append(f"cycles {got['total_cycles']} != closed form {want}")
            if got["stall_cycles"] != 0:
                problems.append(f"{got['stall_cycles']} stall cycles")
            utils = closed_form_utils(df, m, n, k, r, c, got["total_cycles"])
            for name, u in zip(("overall_util", "mapping_efficiency", "compute_util"), utils):
                if not math.isclose(got[name], u, rel_tol=1e-9, abs_tol=1e-12):
                    problems.append(f"{name} {got[name]} != closed form {u}")
            status = "ok" if not problems else "MISMATCH: " + "; ".join(problems)
            print(f"{df:3} {m:4} {n:4} {k:4} {r:4} {c:4} {folds:5} {got['total_cycles']:9} "
                  f"{want:9} {got['overall_util']:7.4f} {got['mapping_efficiency']:7.4f} "
                  f"{secs:5.1f}  {status}", flush=True)
            if problems:
                failures.append((df, m, n, k, r, c, problems))
            cases.append({
                "m": m, "n": n, "k": k, "rows": r, "cols": c, "dataflow": df,
                "folds": folds,
                "total_cycles": got["total_cycles"],
                "stall_cycles": got["stall_cycles"],
                "utilization": round(got["overall_util"], 12),
                "mapping_efficiency": round(got["mapping_efficiency"], 12),
                "compute_util": round(got["compute_util"], 12),
            })

    order = {d: i for i, d in enumerate(DATAFLOWS)}
    cases.sort(key=lambda x: (order[x["dataflow"]], x["rows"], x["cols"], x["m"], x["n"], x["k"]))
    doc = {
        "generator": f"scalesim {ss_version}",
        "config": {
            "InterfaceBandwidth": "CALC",
            "IfmapSramSzkB": SRAM_KB, "FilterSramSzkB": SRAM_KB, "OfmapSramSzkB": SRAM_KB,
            "IfmapCustomLayout": False, "FilterCustomLayout": False,
            "SparsitySupport": False,
            "topology": "GEMM (-i gemm), one row `gemm, M, N, K,` per run",
            "rows": "ArrayHeight", "cols": "ArrayWidth",
        },
        "meaning": (
            "GEMM row (M, N, K): ifmap A is M x K, filter B is K x N, ofmap A@B is M x N, "
            "M*N*K MACs. ws: B stationary (K on rows, N on cols), A streams M rows; "
            "os: output stationary (M on rows, N on cols), K streams; "
            "is: A stationary (K on rows, M on cols), B streams N columns. "
            "total_cycles = COMPUTE_REPORT 'Total Cycles' (compute + stalls, stalls 0) = "
            "ws ceil(K/R)*ceil(N/C)*(2R+C+M-2)-1, os ceil(M/R)*ceil(N/C)*(R+C+K-2)-1, "
            "is ceil(K/R)*ceil(M/C)*(2R+C+N-2)-1 with R = rows, C = cols. "
            "utilization = 'Overall Util %'/100 = MNK/(total_cycles*R*C); mapping_efficiency "
            "and compute_util = 'Mapping Efficiency %'/100 and 'Compute Util %'/100, "
            "unweighted averages over folds."
        ),
        "cases": cases,
    }
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    tmp = args.out + ".tmp"
    with open(tmp, "w") as f:
        json.dump(doc, f, indent=1, sort_keys=False)
        f.write("\n")
    os.replace(tmp, args.out)
    print(f"wrote {os.path.normpath(args.out)}: {len(cases)} cases, scalesim {ss_version}, "
          f"{time.time() - t_all:.1f} s", file=sys.stderr)
    if failures:
        print(f"FAILED: {len(failures)} case(s) disagree with the closed forms:", file=sys.stderr)
        for f_ in failures:
            print("  ", f_, file=sys.stderr)
        return 1
    print("all cases agree with the closed forms", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
