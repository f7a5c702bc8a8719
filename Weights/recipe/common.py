"""Shared training plumbing: run folder, device choice, atomic checkpoints, JSONL logs, timers."""
from __future__ import annotations

import hashlib
import json
import math
import os
import pathlib
import time

import torch

RECIPE = os.path.dirname(os.path.abspath(__file__))
# Checkpoints, logs and caches. CAVENDISH_RUNS moves them (e.g. outside a work tree that is laid anew
# between sessions); the default is runs/ beside this file.
RUNS = os.environ.get("CAVENDISH_RUNS") or os.path.join(RECIPE, "runs")
WEIGHTS = os.path.dirname(RECIPE)


def pick_device(name: str = "auto") -> torch.device:
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        return torch.device("cpu")
    return torch.device(name)


def stage_dir(stage: str) -> str:
    d = os.path.join(RUNS, stage)
    os.makedirs(d, exist_ok=True)
    return d


def checkpoint_path(stage: str) -> str:
    return os.path.join(stage_dir(stage), "checkpoint.pt")


def save_checkpoint(stage: str, state: dict) -> None:
    """Atomic: write to a temporary file in the same folder, fsync, then rename over the old one."""
    path = checkpoint_path(stage)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        torch.save(state, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def sha256(path: str) -> str:
    """Hex SHA-256 of a file, read in 1 MiB chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def atomic_write(path: str, write) -> None:
    """Calls write(temporary path) beside `path`, then renames it over `path`: a reader never sees a
    half-written file, and an interrupted run leaves the old one intact."""
    root, ext = os.path.splitext(path)
    tmp = f"{root}.tmp{os.getpid()}{ext}"
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def record_metrics(key: str, value) -> None:
    """Stores evaluation figures under manifest["metrics"][key] (the manifest export.py wrote)."""
    path = os.path.join(WEIGHTS, "manifest.json")
    with open(path) as f:
        manifest = json.load(f)
    manifest.setdefault("metrics", {})[key] = value
    atomic_write(path, lambda p: pathlib.Path(p).write_text(json.dumps(manifest, indent=2) + "\n"))


def load_checkpoint(stage: str):
    path = checkpoint_path(stage)
    if not os.path.exists(path):
        return None
    return torch.load(path, map_location="cpu", weights_only=False)


def restore(ck: dict, modules: dict, opt) -> tuple[int, dict]:
    """Loads a checkpoint's module states (checkpoint key -> module), optimizer and torch RNG state;
    returns (step, metrics). A checkpoint seeded from the committed weights (seed_runs.py) has no
    optimizer or RNG state: the optimizer then starts fresh."""
    for key, module in modules.items():
        module.load_state_dict(ck[key])
    if "optimizer" in ck:
        opt.load_state_dict(ck["optimizer"])
    elif "seeded_from" not in ck:
        raise SystemExit("checkpoint has no optimizer state and was not seeded from the committed weights")
    if "torch_rng" in ck:
        torch.set_rng_state(ck["torch_rng"])
    return ck["step"], ck.get("metrics", {})


def merge_config(defaults: dict, saved: dict | None, overrides: dict | None) -> dict:
    """A stage's config: its defaults < the checkpoint's train_config < the command line's --set overrides.
    The defaults come first so that a key added to a stage after a checkpoint was written (or missing from
    a seeded checkpoint's record) still has a value; the checkpoint's record comes next so that a resumed
    run goes on with the settings it was started with (`--set total_steps=4400 --set text_weight=10`
    need not be repeated); the command line wins, so that a finished run can be taken further."""
    return {**defaults, **(saved or {}), **(overrides or {})}


class Resume:
    """Every stage's resume prologue, in two steps: construction loads runs/<stage>/checkpoint.pt and
    merges the config (merge_config), which the stage then builds its modules and optimizer from;
    restore() loads their states, the RNG state, step and metrics into them.

    `done`: the checkpoint is marked done and its step has reached the merged total_steps; the stage
    returns at once, before building anything. A done stage given a larger total_steps goes on from
    where it stopped."""

    def __init__(self, stage: str, defaults: dict, overrides: dict | None = None):
        self.stage = stage
        self.ck = load_checkpoint(stage)
        self.cfg = merge_config(defaults, self.ck.get("train_config") if self.ck else None, overrides)
        self.done = bool(self.ck is not None and self.ck.get("done") and self.ck["step"] >= self.cfg["total_steps"])
        if self.done:
            print(f"[{stage}] already done at step {self.ck['step']}", flush=True)

    def restore(self, modules: dict, opt) -> tuple[int, dict]:
        """(step, metrics): the checkpoint's (see restore), or (0, {}) on a fresh start."""
        if self.ck is None:
            return 0, {}
        step, metrics = restore(self.ck, modules, opt)
        print(f"[{self.stage}] resuming at step {step}/{self.cfg['total_steps']}", flush=True)
        return step, metrics


class Log:
    """Appends one JSON object per line to runs/<stage>/log.jsonl and echoes a short line to stdout."""

    def __init__(self, stage: str):
        self.path = os.path.join(stage_dir(stage), "log.jsonl")
        self.stage = stage

    def write(self, **row):
        row = {"time": round(time.time(), 1), **row}
        with open(self.path, "a") as f:
            f.write(json.dumps(row) + "\n")
        print(f"[{self.stage}] " + " ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
                                           for k, v in row.items() if k != "time"), flush=True)


def cosine_lr(step: int, total: int, base: float, warmup: int = 200, floor: float = 0.1) -> float:
    if step < warmup:
        return base * (step + 1) / warmup
    p = min(1.0, (step - warmup) / max(1, total - warmup))
    return base * (floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * p)))


def step_seed(stage: str, step: int, salt: int = 0) -> int:
    """Deterministic per-step data seed (so a resumed run sees the same data as an uninterrupted one)."""
    h = 1469598103934665603
    for ch in f"{stage}/{step}/{salt}".encode():
        h = ((h ^ ch) * 1099511628211) % (1 << 64)
    return h % (1 << 62)


class Checkpointer:
    """When a stage saves: every `seconds` of wall time, and once more when the deadline passes (the stage
    then returns, to be resumed by the same command)."""

    def __init__(self, stage: str, seconds: float, deadline: "Deadline", save):
        self.stage, self.seconds, self.deadline, self.save = stage, seconds, deadline, save
        self.last = time.time()

    def should_stop(self, step: int) -> bool:
        """Call once per step: saves when due; True when the time budget is spent (checkpoint written)."""
        if self.deadline.passed():
            self.save()
            print(f"[{self.stage}] time budget reached at step {step}; checkpoint saved", flush=True)
            return True
        if time.time() - self.last > self.seconds:
            self.save()
            self.last = time.time()
        return False


class Deadline:
    def __init__(self, hours: float | None):
        self.end = time.time() + hours * 3600 if hours else None

    def passed(self) -> bool:
        return self.end is not None and time.time() >= self.end
