#!/usr/bin/env bash
# The README's first command: install, build, and run the main job. Until the NB-mini model lands
# the main job is the kernel conformance suite and a kernel benchmark summary.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/fetch-text-encoder.sh
swift build -c release --product cavendish
.build/release/cavendish kernels check Tests/Fixtures/onnx-node Tests/Fixtures/kernel-cases
.build/release/cavendish kernels bench
