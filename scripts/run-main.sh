#!/usr/bin/env bash
# The README's first command: install, build, and run the main job.
#
# With NB-mini's weights in Weights/ (manifest.json), the main job is personalized generation: the
# committed demo photo library is connected (with --consent, in your Cavendish data folder, never in the
# library), scanned, and a v2 image of "me and my family" is generated from it into out/. Without the
# weights (they are still being trained), it runs the kernel conformance suite and benchmark.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/fetch-text-encoder.sh
swift build -c release --product cavendish
cav=.build/release/cavendish
if [ -f Weights/manifest.json ] && [ -f Weights/nb-mini-v2.h5 ]; then
  lib=Weights/demo-library
  $cav library connect "$lib" --consent
  $cav library scan "$lib"
  $cav library set-me Maya --library "$lib"
  $cav library relate Paul --as partner --library "$lib"
  $cav library relate Kira --as child --library "$lib"
  $cav library relate Bean --as pet --library "$lib"
  mkdir -p out
  out="out/demo-$(date +%Y%m%d-%H%M%S).png"
  $cav generate --library "$lib" --seed 7 --out "$out" --json \
    --prompt 'a claymation scene of me and my family with my dog at the beach holding a sign that says "HELLO"'
else
  echo "run-main: NB-mini weights are not in Weights/ yet; running the kernel suite and benchmark" >&2
  $cav kernels check Tests/Fixtures/onnx-node Tests/Fixtures/kernel-cases
  $cav kernels bench
fi
