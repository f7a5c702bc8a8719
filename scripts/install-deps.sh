#!/usr/bin/env bash
# Installs what building and testing Cavendish needs on Debian 12 (root): the C libraries through
# apt and pkg-config. Skips apt when everything is already there, so it also works offline then.
set -euo pipefail
need=()
for pc in openblas hdf5 libpng libjpeg libheif; do
  pkg-config --exists "$pc" 2>/dev/null || need+=("$pc")
done
if ! command -v pkg-config >/dev/null 2>&1; then need+=(pkg-config); fi
if [ ${#need[@]} -gt 0 ]; then
  echo "install-deps: installing C libraries through apt (missing: ${need[*]})" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends libopenblas-dev libhdf5-dev libpng-dev libjpeg62-turbo-dev libheif-dev pkg-config >/dev/null
fi
# oneDNN (no pkg-config file), for the bf16 switch's GEMM (Sources/CBFloat16GEMM).
if [ ! -e /usr/include/oneapi/dnnl/dnnl.h ]; then
  echo "install-deps: installing libdnnl-dev (oneDNN) through apt" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends libdnnl-dev >/dev/null
fi
# Tesseract, for `cavendish evaluate`'s OCR of the quoted text (and its test against the recipe's readings).
if ! command -v tesseract >/dev/null 2>&1; then
  echo "install-deps: installing tesseract-ocr through apt" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends tesseract-ocr >/dev/null
fi
