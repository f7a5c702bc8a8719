#!/usr/bin/env python3
"""Fits the simulator's few free constants on published microbenchmarks, never on the end-to-end
results they are compared with (docs/TPU_FACTS.md, the README's constants table).

1. Grid-step and launch cost, from the Pallas TPU matmul guide's measured v5e times (docs.jax.dev,
   "Pallas TPU matmul", bf16 matmuls of ones at three sizes and two block shapes, plus XLA's own):
   measured = simulated(with both costs 0) + steps * grid_step + launch, least squares in relative
   error over the six Pallas points (linear in the two unknowns, since these kernels are compute- or
   step-bound).
2. ICI efficiency and per-hop latency, from the scaling book's profiled v5e AllGather over a 4-chip
   axis without wraparound (jax-ml.github.io/scaling-book/sharding): bf16[2048, 8192] in 680 us and a
   256x256 bf16 array in about 8 us. The model: hops * alpha + bottleneck-link bytes / (eta * link).

Run: python3 scripts/fit_simulator_constants.py [--cavendish PATH] [--json OUT]
The measurements are read from Tests/Fixtures/tpu/microbenchmarks.json (with their sources). It prints
the fitted constants and the residual of every microbenchmark with them; ChipSpec.swift holds the
constants, and MicrobenchmarkTests and CollectiveTests check the simulator against the same file.
"""
import argparse, json, os, subprocess, sys, tempfile

import numpy as np

FIXTURE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "Fixtures", "tpu", "microbenchmarks.json")
DATA = json.load(open(FIXTURE))
PALLAS_V5E = [(c["size"], tuple(c["blocks"]), c["seconds"]) for c in DATA["pallas_matmul_v5e"]["fitted_on"]]
XLA_V5E = [(c["size"], c["seconds"]) for c in DATA["pallas_matmul_v5e"]["checked_only"]]
ALLGATHER_V5E = [(c["bytes"], c["seconds"]) for c in DATA["allgather_v5e"]["fitted_on"]]
V5E_LINK = DATA["allgather_v5e"]["link_bytes_per_second"]
AXIS = DATA["allgather_v5e"]["chips"]


def simulate(cavendish, chip_file, size, blocks=None):
    cmd = [cavendish, "simulate", "gemm", "--m", str(size), "--n", str(size), "--k", str(size), "--hw", chip_file, "--json"]
    if blocks:
        cmd += ["--blocks", "x".join(map(str, blocks))]
    out = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
    return out["seconds"], out["grid_steps"]


def chip_with(cavendish, folder, step, launch):
    chip = json.loads(subprocess.run([cavendish, "simulate", "hw", "--hw", "v5e", "--json"], check=True,
                                     capture_output=True, text=True).stdout)
    chip["grid_step_seconds"], chip["launch_seconds"] = step, launch
    path = os.path.join(folder, f"v5e-{step}-{launch}.json")
    with open(path, "w") as f:
        json.dump(chip, f)
    return path


def line_allgather_bottleneck(total, chips):
    # A line of chips, links used both ways: the middle link carries floor(N/2) shards each way.
    return total * (chips // 2) / chips


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cavendish", default=".build/release/cavendish")
    ap.add_argument("--json", help="write the fit and residuals here")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        zero = chip_with(args.cavendish, folder, 0, 0)
        rows, rhs = [], []
        for size, blocks, measured in PALLAS_V5E:
            base, steps = simulate(args.cavendish, zero, size, blocks)
            # Each row divided by the measured time: the fit minimises relative, not absolute, error.
            rows.append([steps / measured, 1.0 / measured])
            rhs.append((measured - base) / measured)
        (step, launch), *_ = np.linalg.lstsq(np.array(rows), np.array(rhs), rcond=None)
        fitted = chip_with(args.cavendish, folder, float(step), float(launch))
        residuals = []
        for size, blocks, measured in PALLAS_V5E:
            s, steps = simulate(args.cavendish, fitted, size, blocks)
            residuals.append({"what": f"Pallas {size}^3, blocks {blocks}", "measured_s": measured, "simulated_s": s,
                              "error": s / measured - 1, "grid_steps": steps, "fitted_on": True})
        for size, measured in XLA_V5E:
            s, steps = simulate(args.cavendish, fitted, size)
            residuals.append({"what": f"XLA {size}^3 (tiler's blocks)", "measured_s": measured, "simulated_s": s,
                              "error": s / measured - 1, "grid_steps": steps, "fitted_on": False})

    # ICI: t = (N - 1) * alpha + bottleneck / (eta * link), two points, two unknowns.
    a = np.array([[AXIS - 1.0, line_allgather_bottleneck(v, AXIS) / V5E_LINK] for v, _ in ALLGATHER_V5E])
    alpha, inv_eta = np.linalg.solve(a, np.array([t for _, t in ALLGATHER_V5E]))
    fit = {"grid_step_seconds": float(step), "launch_seconds": float(launch), "ici_efficiency": float(1 / inv_eta),
           "ici_hop_seconds": float(alpha), "residuals": residuals,
           "ici_check": "the scaling book also says a full 16-chip bidirectional ring reaches about 95% of the link's "
                        f"peak at 10 MB; this model gives {100 / inv_eta:.0f}% there (it has one efficiency for every shape)"}
    print(f"grid step {step * 1e6:.4f} us, launch {launch * 1e6:.2f} us, ICI efficiency {1 / inv_eta:.4f}, hop {alpha * 1e6:.3f} us")
    for r in residuals:
        print(f"  {r['what']:<40} measured {r['measured_s'] * 1e3:9.4f} ms  simulated {r['simulated_s'] * 1e3:9.4f} ms  "
              f"{100 * r['error']:+6.1f}%{'' if r['fitted_on'] else '  (not fitted on)'}")
    if args.json:
        tmp = args.json + ".tmp"
        with open(tmp, "w") as f:
            json.dump(fit, f, indent=1)
        os.replace(tmp, args.json)


if __name__ == "__main__":
    sys.exit(main())
