"""Cavendish from Python: NB-mini image generation through one resident ``cavendish serve`` process.

    from cavendish import Pipeline
    with Pipeline() as pipe:
        images = pipe.generate('a claymation dog holding a sign that says "HELLO"', seeds=range(8))
    images[0].image.shape     # (128, 128, 3) uint8
    images[0].record["seed"]  # the same record as `cavendish generate --json` (schema generate/2)

Why a child process speaking JSON lines over a pipe, not a C ABI: the Swift pipeline keeps its weights
resident in that process, so a notebook pays the load once; nothing is compiled against Python's ABI,
so any Python 3 with numpy works; and a crash in the child cannot take the notebook's kernel down.
"""
from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from typing import Iterable, Mapping, Optional, Sequence

import numpy as np

__all__ = ["Pipeline", "Generated", "CavendishError", "find_binary"]
SCHEMA = "generate/2"


class CavendishError(RuntimeError):
    """A request the server refused (the message says what to change), or a server that stopped."""


@dataclass
class Generated:
    """One image: RGB pixels [height, width, 3] uint8 and its generate/2 record."""
    image: np.ndarray
    record: dict


def find_binary(binary: Optional[str] = None) -> str:
    """The cavendish executable: the argument, $CAVENDISH_BIN, `cavendish` on PATH, or a build of this checkout."""
    here = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    candidates = [binary, os.environ.get("CAVENDISH_BIN"), shutil.which("cavendish"),
                  os.path.join(here, ".build", "release", "cavendish"), os.path.join(here, ".build", "debug", "cavendish")]
    for c in candidates:
        if c and os.path.isfile(c) and os.access(c, os.X_OK):
            return os.path.abspath(c)
    raise CavendishError("no cavendish binary found: build it (swift build -c release --product cavendish) or set CAVENDISH_BIN")


class Pipeline:
    """A resident NB-mini pipeline (both presets loaded once) in a ``cavendish serve`` child process."""

    def __init__(self, weights: Optional[str] = None, binary: Optional[str] = None, presets: Sequence[str] = ("v1", "v2")):
        cmd = [find_binary(binary), "serve", "--presets", ",".join(presets)]
        if weights:
            cmd += ["--weights", weights]
        self._proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1)
        ready = self._read()
        if ready.get("event") != "ready" or ready.get("schema") != SCHEMA:
            raise CavendishError(f"unexpected first line from cavendish serve: {ready}")
        self.presets = ready["presets"]
        self._next_id = 0

    def generate(self, prompt: str, seeds: Optional[Iterable[int]] = None, seed: Optional[int] = None, steps: Optional[int] = None,
                 guidance: Optional[float] = None, references: Optional[Mapping[str, Sequence[str]]] = None, ref_scale: Optional[float] = None,
                 preset: str = "v2", negative_prompt: str = "", library: Optional[str] = None, out: Optional[str] = None,
                 sampler: str = "ddim", schedule: str = "uniform", init_image: Optional[str] = None,
                 strength: Optional[float] = None) -> list:
        """Images for `prompt` at each seed (or at `seed`, or a fresh one), as a list of `Generated`.

        `references` maps a name the prompt uses (or p1..p5) to 1-4 photo paths; `library` takes them from a
        connected photo library instead. `out`, if given, also writes PNGs (with {seed} when several seeds).
        `sampler` is ddim, euler or dpmpp-2m and `schedule` uniform or karras; `init_image` and `strength`
        make it img2img. Every argument means what the same `cavendish generate` option means; None takes the
        preset's default (for `ref_scale`: 1 for v1, 2 for v2).
        """
        self._next_id += 1
        request = {"id": self._next_id, "prompt": prompt, "preset": preset, "negative_prompt": negative_prompt,
                   "sampler": sampler, "schedule": schedule, "return_pixels": True}
        if seeds is not None:
            request["seeds"] = [int(s) for s in seeds]
        if seed is not None:
            request["seed"] = int(seed)
        for key, value in (("steps", steps), ("guidance", guidance), ("ref_scale", ref_scale), ("library", library), ("out", out),
                           ("init_image", os.fspath(init_image) if init_image is not None else None), ("strength", strength)):
            if value is not None:
                request[key] = value
        if references:
            request["references"] = {k: [os.fspath(p) for p in v] for k, v in references.items()}
        self._write(request)
        images = []
        while True:
            event = self._read()
            if event.get("id") != self._next_id:
                raise CavendishError(f"answer for another request: {event}")
            kind = event.get("event")
            if kind == "error":
                raise CavendishError(event.get("message", "unknown error"))
            if kind == "done":
                return images
            rec = event["record"]
            pixels = np.frombuffer(base64.b64decode(event["pixels_b64"]), dtype=np.uint8)
            images.append(Generated(pixels.reshape(rec["height"], rec["width"], 3), rec))

    def close(self) -> None:
        """Ends the server (closing its input) and waits for it."""
        if self._proc.poll() is None:
            self._proc.stdin.close()
            try:
                self._proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self._proc.kill()
        for stream in (self._proc.stdout, self._proc.stderr):
            if stream and not stream.closed:
                stream.close()

    def __enter__(self) -> "Pipeline":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass

    def _write(self, obj: dict) -> None:
        if self._proc.poll() is not None:
            raise CavendishError(f"cavendish serve has stopped: {self._proc.stderr.read()}")
        self._proc.stdin.write(json.dumps(obj) + "\n")
        self._proc.stdin.flush()

    def _read(self) -> dict:
        line = self._proc.stdout.readline()
        if not line:
            self._proc.wait()
            raise CavendishError(f"cavendish serve stopped (exit {self._proc.returncode}): {self._proc.stderr.read().strip()}")
        return json.loads(line)
