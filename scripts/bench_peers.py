#!/usr/bin/env python3
"""Peer timings for `cavendish bench generate`: NB-mini in PyTorch eager and in ONNX Runtime.

What it measures (batch 1, float32, CPU), from the same exported weights the Swift pipeline loads
(Weights/nb-mini-v1.h5, nb-mini-v2.h5, nb-mini-vae.h5; float16 storage upcast to float32 by the
recipe's own loader, Weights/recipe/weights.py):

  dit_v1_step_ms  ONE denoiser evaluation of DiT v1: x [1,4,32,32], t [1], text states [1,48,384] +
                  mask [1,48], 8 reference tokens [1,8,256] + mask [1,8], ref_scale.
  dit_v2_step_ms  the same for DiT v2, plus glyph map [1,1,128,128] and guidance [1].
  vae_decode_ms   ONE VAE decode of a [1,4,32,32] latent to [1,3,128,128].

Inputs are realistic: when Weights/golden/dit_v2.h5 and vae.h5 exist, their inputs are used (real
MiniLM text states with 21 of 48 tokens unmasked, the first person's 8 reference tokens, a glyph map,
t = 0.6, guidance 3, ref_scale 0.8, a real latent); otherwise seeded random inputs of the same shapes
and masks ("inputs" in the JSON says which).

Contenders:
  torch        PyTorch eager under torch.no_grad(), torch.set_num_threads(N).
  torch_bf16   the same under torch.autocast("cpu", dtype=torch.bfloat16) (--serve only): matmuls and
               convolutions in bfloat16 through oneDNN, the rest in float32, as `cavendish --bf16` computes.
  onnxruntime  the same three computations exported with torch.onnx.export (TorchScript exporter,
               dynamo=False, opset 21 by default; ref_scale is a graph input, not a constant) into a
               temporary folder, run with CPUExecutionProvider, intra_op_num_threads=N,
               inter_op_num_threads=1, graph optimizations ALL. Before timing, each graph's output is
               compared with PyTorch's on the same inputs ("onnx_max_abs_diff"; "onnx_output_max_abs"
               gives the size of the outputs for scale; a warning goes to stderr above 1e-3 relative).

Method: W warm-up rounds, then R timed rounds; each round runs all six (contender, model) pairs once,
in an order rotated every round, so that the contenders alternate and share the machine's drift.
Reported values are medians in milliseconds (and the interquartile range in "iqr_ms"). Defaults:
W = 3, R = 30; --quick: W = 2, R = 10.

Threads: with the defaults both runtimes' idle workers spin-wait. When N exceeds the cores that are
actually free (e.g. a training job holds one of two cores), PyTorch's OpenMP threads then spin against
each other and its times can grow 10-20x (measured on 2 cores with one busy: one DiT v1 step ~80 ms at
N=1, 1.7-2.5 s at N=2, 100-170 ms at N=2 with OMP_WAIT_POLICY=PASSIVE); ORT degrades far less. --no-spin makes both sleep instead
(recorded under "spin_wait"); comparing with --threads 1 is the other check.

Output: ONE JSON object on stdout; progress and warnings go to stderr. Keys: threads, torch,
onnxruntime, onnx_max_abs_diff, onnx_output_max_abs, iqr_ms, repetitions, warmup, inputs, opset,
exporter, weights (file, training_steps, storage_dtype, sha256), versions, blas, cpu, spin_wait,
openblas_env, elapsed_s.

openblas_env records OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE as this process saw them ("unset" when
absent), as `cavendish kernels bench` does, so runs can be matched with Swift runs made under the
same environment. Neither peer uses OpenBLAS for these models (PyTorch's CPU wheels use MKL and
oneDNN, ONNX Runtime its own MLAS), so the variables change the Swift side only.

Exit status: 0 on success; 2 on missing or unreadable weights, a missing Python package or a bad
argument; 3 if the export or an ONNX Runtime session fails.

    python3 scripts/bench_peers.py [--threads N] [--quick] [--repeats R] [--warmup W] [--no-spin] [--serve]

With --serve it times nothing on its own: `cavendish bench generate` asks it for one call at a time and
alternates those with its own, round by round (see that command's help).
"""
from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import statistics
import sys
import tempfile
import time

# Never write .pyc files under Weights/recipe (that folder belongs to the training run).
sys.dont_write_bytecode = True

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WEIGHTS_DIR = os.path.join(ROOT, "Weights")
FILES = {"dit_v1": "nb-mini-v1.h5", "dit_v2": "nb-mini-v2.h5", "vae": "nb-mini-vae.h5"}
KEYS = {"dit_v1": "dit_v1_step_ms", "dit_v2": "dit_v2_step_ms", "vae": "vae_decode_ms"}
MODELS = ("dit_v1", "dit_v2", "vae")
CONTENDERS = ("torch", "onnxruntime")
REF_TOKENS = 8
TEXT_LEN = 48


class Failure(Exception):
    def __init__(self, message: str, code: int):
        super().__init__(message)
        self.code = code


def log(*a):
    print("[bench_peers]", *a, file=sys.stderr, flush=True)


def parse_args(argv):
    ap = argparse.ArgumentParser(
        prog="bench_peers.py", description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1,
                    help="N: torch.set_num_threads(N) and ONNX Runtime intra_op_num_threads=N "
                         "(default: os.cpu_count() = %(default)s)")
    ap.add_argument("--quick", action="store_true", help="fewer repetitions: 2 warm-up and 10 timed rounds")
    ap.add_argument("--repeats", type=int, help="timed rounds (at least 10; default 30, 10 with --quick)")
    ap.add_argument("--warmup", type=int, help="warm-up rounds (default 3, 2 with --quick)")
    ap.add_argument("--no-spin", action="store_true",
                    help="idle worker threads sleep instead of spin-waiting: OMP_WAIT_POLICY=PASSIVE for PyTorch's "
                         "OpenMP (set before torch is imported) and session.intra_op.allow_spinning=0 for ONNX "
                         "Runtime. Not the runtimes' defaults; use it when N exceeds the idle cores")
    ap.add_argument("--opset", type=int, default=21, help="ONNX opset for the export (18 or later; default 21)")
    ap.add_argument("--weights-dir", default=WEIGHTS_DIR,
                    help="folder holding nb-mini-v1.h5, nb-mini-v2.h5, nb-mini-vae.h5 (default: Weights/); the "
                         "inputs still come from Weights/golden/")
    ap.add_argument("--onnx-dir", help="keep the exported .onnx files in this folder (default: a temporary "
                                       "folder, deleted at the end)")
    ap.add_argument("--serve", action="store_true",
                    help="after the export and its check, print one JSON line (the metadata, \"ready\": true) and "
                         "then time one call per request line read on stdin ({\"contender\": C, \"model\": M}), "
                         "answering {\"ms\": T}: `cavendish bench generate` interleaves these with its own calls")
    a = ap.parse_args(argv)
    if a.threads < 1:
        ap.error("--threads must be at least 1")
    a.repeats = a.repeats if a.repeats is not None else (10 if a.quick else 30)
    a.warmup = a.warmup if a.warmup is not None else (2 if a.quick else 3)
    if a.repeats < 10:
        ap.error("--repeats must be at least 10 (the medians are over at least 10 runs)")
    if a.warmup < 1:
        ap.error("--warmup must be at least 1")
    if a.opset < 18:
        ap.error("--opset must be 18 or later")
    return a


def import_packages():
    missing = []
    mods = {}
    for name in ("numpy", "h5py", "torch", "onnx", "onnxruntime"):
        try:
            mods[name] = __import__(name)
        except ImportError as e:
            missing.append(f"{name} ({e})")
    if missing:
        raise Failure("missing Python packages: " + ", ".join(missing) +
                      "\n  install e.g.: pip install numpy h5py onnx onnxruntime 'torch==2.13.0+cpu' "
                      "(see Weights/recipe/README.md)", 2)
    return mods


def check_weights(weights_dir):
    missing = [os.path.join(weights_dir, f) for f in FILES.values()
               if not os.path.isfile(os.path.join(weights_dir, f))]
    if missing:
        raise Failure("weights not found:\n  " + "\n  ".join(missing) +
                      "\n  these are the exported NB-mini weights the Swift pipeline reads; export them with "
                      "`python3 Weights/recipe/export.py` or pass --weights-dir", 2)


def load_models(weights_dir):
    """The recipe's own loader (Weights/recipe/weights.py): float16 datasets -> float32 state dict."""
    sys.path.insert(0, os.path.join(ROOT, "Weights"))
    try:
        from recipe import common, weights  # noqa: E402
    except Exception as e:  # noqa: BLE001
        raise Failure(f"cannot import the PyTorch reference from Weights/recipe: {type(e).__name__}: {e}", 2)
    common.WEIGHTS = os.path.abspath(weights_dir)
    import h5py
    info = {}
    models = {}
    for key, loader in (("dit_v1", lambda: weights.dit("v1")), ("dit_v2", lambda: weights.dit("v2")),
                        ("vae", weights.vae)):
        path = os.path.join(common.WEIGHTS, FILES[key])
        try:
            with h5py.File(path, "r") as h:
                attrs = {k: h.attrs[k] for k in ("training_steps", "storage_dtype") if k in h.attrs}
            models[key] = loader()
        except SystemExit as e:   # weights.read's own "missing" message
            raise Failure(str(e), 2)
        except (OSError, KeyError, ValueError, TypeError, RuntimeError) as e:
            raise Failure(f"cannot load {path} into the recipe's module: {type(e).__name__}: {e}", 2)
        info[FILES[key]] = {"training_steps": int(attrs["training_steps"]) if "training_steps" in attrs else None,
                            "storage_dtype": str(attrs.get("storage_dtype", "?")), "sha256": common.sha256(path)}
        log(f"loaded {FILES[key]} ({sum(p.numel() for p in models[key].parameters()) / 1e6:.2f} M parameters)")
    return models, info


def make_inputs(np, torch):
    """Returns (dit_inputs, latent, source); dit_inputs holds numpy arrays for every DiT input."""
    d, latent, source = dit_and_latent_inputs(np, torch)
    from recipe import canvas, layout
    rng = np.random.default_rng(1)
    photo = np.clip(rng.integers(0, 256, (64, 64, 3)), 0, 255).astype(np.uint8)
    d["layout"] = layout.strips(1)[None].astype(np.float32)
    d["canvas"] = canvas.reference_canvas([photo], [canvas.planner_box(0, 1)])[None]
    return d, latent, source


def dit_and_latent_inputs(np, torch):
    """The golden (or seeded) DiT inputs and VAE latent."""
    import h5py
    gd, gv = os.path.join(WEIGHTS_DIR, "golden", "dit_v2.h5"), os.path.join(WEIGHTS_DIR, "golden", "vae.h5")
    try:
        with h5py.File(gd, "r") as h:
            g = {k: h["inputs/" + k][()] for k in ("x", "t", "text", "text_mask", "ref", "ref_mask", "ref_scale",
                                                   "glyph", "guidance")}
        with h5py.File(gv, "r") as h:
            latent = h["inputs/latent"][()].astype(np.float32)
        d = {"x": g["x"].astype(np.float32), "t": g["t"].astype(np.float32).reshape(1),
             "text": g["text"].astype(np.float32), "text_mask": g["text_mask"].astype(bool),
             "ref": g["ref"][:, :REF_TOKENS].astype(np.float32), "ref_mask": g["ref_mask"][:, :REF_TOKENS].astype(bool),
             "ref_scale": np.asarray(g["ref_scale"], dtype=np.float32).reshape(()),
             "glyph": g["glyph"].astype(np.float32), "guidance": g["guidance"].astype(np.float32).reshape(1)}
        shapes = {"x": (1, 4, 32, 32), "text": (1, TEXT_LEN, 384), "text_mask": (1, TEXT_LEN),
                  "ref": (1, REF_TOKENS, 256), "ref_mask": (1, REF_TOKENS), "glyph": (1, 1, 128, 128)}
        if all(d[k].shape == s for k, s in shapes.items()) and latent.shape == (1, 4, 32, 32):
            return d, latent, "golden (Weights/golden/dit_v2.h5 inputs, first 8 reference tokens; vae.h5 latent)"
        log("golden inputs have unexpected shapes; using seeded random inputs")
    except (OSError, KeyError) as e:
        log(f"golden inputs unavailable ({type(e).__name__}); using seeded random inputs")
    rng = np.random.default_rng(0)
    text_mask = np.zeros((1, TEXT_LEN), bool)
    text_mask[:, :21] = True
    text = rng.standard_normal((1, TEXT_LEN, 384)).astype(np.float32) * text_mask[..., None]
    glyph = np.zeros((1, 1, 128, 128), np.float32)
    glyph[..., 56:72, 20:108] = rng.random((16, 88)) < 0.5
    d = {"x": rng.standard_normal((1, 4, 32, 32)).astype(np.float32), "t": np.array([0.6], np.float32),
         "text": text, "text_mask": text_mask,
         "ref": rng.standard_normal((1, REF_TOKENS, 256)).astype(np.float32),
         "ref_mask": np.ones((1, REF_TOKENS), bool), "ref_scale": np.array(0.8, np.float32),
         "glyph": glyph, "guidance": np.array([3.0], np.float32)}
    return d, rng.standard_normal((1, 4, 32, 32)).astype(np.float32), "synthetic (seeded random, same shapes and masks)"


def build(models, d, latent, np, torch):
    """Per model: (eager callable, export module, export args, input names, ORT feed)."""
    T = {k: torch.tensor(v) for k, v in d.items()}   # copies; keeps 0-d ref_scale 0-d
    ref_scale = float(d["ref_scale"])

    class DiTCall(torch.nn.Module):
        """The denoiser call with ref_scale as a graph input (Weights/recipe/onnx_export.py bakes 1.0)."""

        def __init__(self, dit, v2):
            super().__init__()
            self.dit, self.v2 = dit, v2

        def forward(self, x, t, text, text_mask, ref, ref_mask, ref_scale, glyph=None, guidance=None, layout=None, canvas=None):
            if self.v2:
                return self.dit(x, t, text, text_mask, ref, ref_mask, ref_scale, glyph, guidance, layout, canvas)
            return self.dit(x, t, text, text_mask, ref, ref_mask, ref_scale)

    class Decode(torch.nn.Module):
        def __init__(self, vae):
            super().__init__()
            self.vae = vae

        def forward(self, latent):
            return self.vae.decode(latent)

    base = ["x", "t", "text", "text_mask", "ref", "ref_mask", "ref_scale"]
    v1, v2, vae = models["dit_v1"], models["dit_v2"], models["vae"]
    jobs = {}
    jobs["dit_v1"] = (lambda: v1(T["x"], T["t"], T["text"], T["text_mask"], T["ref"], T["ref_mask"], ref_scale),
                      DiTCall(v1, False), base)
    # v2 as the Swift pipeline runs it: with the layout (one subject's strip) and, for a canvas model, the
    # reference canvas (a seeded photo in the planner's box), when the weights have those branches.
    v2_names = base + ["glyph", "guidance"] + (["layout"] if v2.config.layout else []) + (["canvas"] if v2.config.canvas else [])
    T["layout"], T["canvas"] = torch.tensor(d["layout"]), torch.tensor(d["canvas"])
    jobs["dit_v2"] = (lambda: v2(T["x"], T["t"], T["text"], T["text_mask"], T["ref"], T["ref_mask"], ref_scale,
                                 T["glyph"], T["guidance"], T["layout"] if v2.config.layout else None,
                                 T["canvas"] if v2.config.canvas else None),
                      DiTCall(v2, True), v2_names)
    z = torch.from_numpy(latent)
    jobs["vae"] = (lambda: vae.decode(z), Decode(vae), ["latent"])
    out = {}
    feeds_all = dict(d, latent=latent)
    for k, (fn, mod, names) in jobs.items():
        tensors = dict(T, latent=z)
        out[k] = {"eager": fn, "module": mod.eval(), "args": tuple(tensors[n] for n in names), "names": names,
                  "feed": {n: feeds_all[n] for n in names}}
    return out


def export_and_check(jobs, onnx_dir, opset, threads, no_spin, np, torch, ort):
    """Exports each job to ONNX, opens an ORT session, checks its output against PyTorch's."""
    import warnings
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    so.log_severity_level = 3
    if no_spin:
        so.add_session_config_entry("session.intra_op.allow_spinning", "0")
    diffs, mags = {}, {}
    for k in MODELS:
        j = jobs[k]
        path = os.path.join(onnx_dir, f"{k}.onnx")
        t0 = time.perf_counter()
        try:
            with warnings.catch_warnings(), torch.no_grad():
                warnings.simplefilter("ignore")
                torch.onnx.export(j["module"], j["args"], path, input_names=j["names"], output_names=["out"],
                                  opset_version=opset, dynamo=False)
        except Exception as e:  # noqa: BLE001
            raise Failure(f"torch.onnx.export of {k} failed: {type(e).__name__}: {e}", 3)
        try:
            sess = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
            got = sess.run(None, j["feed"])[0]
        except Exception as e:  # noqa: BLE001
            raise Failure(f"ONNX Runtime could not run {path}: {type(e).__name__}: {e}", 3)
        with torch.no_grad():
            want = j["eager"]().numpy()
        if got.shape != want.shape:
            raise Failure(f"{k}: ONNX Runtime output shape {got.shape} != PyTorch {want.shape}", 3)
        diffs[k] = float(np.max(np.abs(got.astype(np.float64) - want.astype(np.float64))))
        mags[k] = float(np.max(np.abs(want)))
        j["session"] = sess
        log(f"exported {k}.onnx ({os.path.getsize(path) / 1e6:.1f} MB, {time.perf_counter() - t0:.1f} s); "
            f"max |ORT - torch| = {diffs[k]:.3g} (outputs up to {mags[k]:.3g})")
        if not np.isfinite(diffs[k]) or diffs[k] > 1e-3 * max(1.0, mags[k]):
            log(f"WARNING: {k}: ONNX Runtime and PyTorch disagree by {diffs[k]:.3g}")
    return diffs, mags


def timed_rounds(jobs, warmup, repeats, torch):
    """Runs every (contender, model) pair once per round, order rotated each round; returns ms lists."""
    pairs = [(c, m) for m in MODELS for c in CONTENDERS]
    calls = {}
    for c, m in pairs:
        j = jobs[m]
        if c == "torch":
            calls[(c, m)] = j["eager"]
        else:
            sess, feed = j["session"], j["feed"]
            calls[(c, m)] = (lambda s=sess, f=feed: s.run(None, f))
    times = {p: [] for p in pairs}
    total = warmup + repeats
    gc_was = gc.isenabled()
    gc.disable()
    try:
        with torch.no_grad():
            for r in range(total):
                order = pairs[r % len(pairs):] + pairs[:r % len(pairs)]
                for p in order:
                    fn = calls[p]
                    t0 = time.perf_counter_ns()
                    fn()
                    dt = (time.perf_counter_ns() - t0) / 1e6
                    if r >= warmup:
                        times[p].append(dt)
                if r + 1 == warmup or (r + 1) % 10 == 0 or r + 1 == total:
                    log(f"round {r + 1}/{total}" + (" (warm-up done)" if r + 1 == warmup else ""))
    finally:
        if gc_was:
            gc.enable()
    return times


def quartiles(xs):
    q = statistics.quantiles(xs, n=4, method="inclusive")
    return [round(q[0], 3), round(q[2], 3)]


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def run(a):
    start = time.perf_counter()
    if a.no_spin:
        if "torch" in sys.modules:
            raise Failure("--no-spin must take effect before torch is imported", 2)
        os.environ["OMP_WAIT_POLICY"] = "PASSIVE"
    mods = import_packages()
    np, torch, ort = mods["numpy"], mods["torch"], mods["onnxruntime"]
    check_weights(a.weights_dir)
    torch.set_num_threads(a.threads)
    log(f"threads {a.threads}; {a.warmup} warm-up + {a.repeats} timed rounds")
    models, winfo = load_models(a.weights_dir)
    d, latent, source = make_inputs(np, torch)
    log(f"inputs: {source}")
    jobs = build(models, d, latent, np, torch)
    def measure():
        if a.serve:
            return None
        return timed_rounds(jobs, a.warmup, a.repeats, torch)
    if a.onnx_dir:
        os.makedirs(a.onnx_dir, exist_ok=True)
        diffs, mags = export_and_check(jobs, a.onnx_dir, a.opset, a.threads, a.no_spin, np, torch, ort)
        times = measure()
    else:
        with tempfile.TemporaryDirectory(prefix="cavendish-bench-peers-") as tmp:
            diffs, mags = export_and_check(jobs, tmp, a.opset, a.threads, a.no_spin, np, torch, ort)
            times = measure()
    result = {"threads": a.threads}
    if a.serve:
        result["jobs"] = jobs
    else:
        for c in CONTENDERS:
            result[c] = {KEYS[m]: round(statistics.median(times[(c, m)]), 3) for m in MODELS}
    result["onnx_max_abs_diff"] = {KEYS[m]: diffs[m] for m in MODELS}
    result["onnx_output_max_abs"] = {KEYS[m]: mags[m] for m in MODELS}
    if not a.serve:
        result["iqr_ms"] = {c: {KEYS[m]: quartiles(times[(c, m)]) for m in MODELS} for c in CONTENDERS}
    result["repetitions"] = a.repeats
    result["warmup"] = a.warmup
    result["inputs"] = source
    result["opset"] = a.opset
    result["exporter"] = "torch.onnx.export(dynamo=False)"
    result["weights"] = winfo
    result["versions"] = {"python": platform.python_version(), "torch": torch.__version__,
                          "onnx": mods["onnx"].__version__, "onnxruntime": ort.__version__,
                          "numpy": np.__version__, "h5py": mods["h5py"].__version__}
    result["blas"] = {"torch": "mkl" if torch.backends.mkl.is_available() else "other",
                      "torch_mkldnn": bool(torch.backends.mkldnn.is_available()),
                      "torch_cpu_capability": torch.backends.cpu.get_cpu_capability(),
                      "onnxruntime": "mlas"}
    result["cpu"] = {"model": cpu_model(), "cpu_count": os.cpu_count()}
    result["spin_wait"] = {"no_spin": a.no_spin,
                           **{k: os.environ.get(k, "unset") for k in ("OMP_WAIT_POLICY", "OMP_NUM_THREADS")}}
    result["openblas_env"] = {k: os.environ.get(k, "unset") for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
    result["elapsed_s"] = round(time.perf_counter() - start, 1)
    log(f"done in {result['elapsed_s']} s")
    return result


def _autocast_bf16(torch, fn):
    with torch.autocast("cpu", dtype=torch.bfloat16):
        return fn()


def serve(result, torch):
    """Answers timing requests on stdin, one call each, until stdin closes."""
    jobs = result.pop("jobs")
    calls = {}
    for m in MODELS:
        j = jobs[m]
        calls[("torch", m)] = j["eager"]
        calls[("onnxruntime", m)] = (lambda s=j["session"], f=j["feed"]: s.run(None, f))
        # PyTorch in bfloat16 as our bf16 switch computes: matmuls and convolutions in bf16 under autocast
        # (oneDNN), the rest in float32.
        calls[("torch_bf16", m)] = (lambda fn=j["eager"]: _autocast_bf16(torch, fn))
    print(json.dumps({"ready": True, **result}), flush=True)
    gc.disable()
    with torch.no_grad():
        for line in sys.stdin:
            request = json.loads(line)
            fn = calls[(request["contender"], request["model"])]
            t0 = time.perf_counter_ns()
            fn()
            print(json.dumps({"ms": (time.perf_counter_ns() - t0) / 1e6}), flush=True)


def main(argv=None):
    a = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        result = run(a)
        if a.serve:
            import torch
            serve(result, torch)
            return 0
    except Failure as e:
        print(f"bench_peers.py: error: {e}", file=sys.stderr)
        return e.code
    except KeyboardInterrupt:
        print("bench_peers.py: interrupted", file=sys.stderr)
        return 130
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
