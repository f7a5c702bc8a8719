#!/usr/bin/env python3
"""Checks Cavendish's C2PA manifests with an independent implementation: c2pa-python (the Content
Authenticity Initiative's c2pa-rs underneath), with the test CA as its only trust anchor.

1. `cavendish generate` with the test credentials: the manifest must be "Trusted", name cavendish as
   claim generator, say c2pa.created with IPTC's trainedAlgorithmicMedia, and carry the SHA-256 of the
   denoiser that Weights/manifest.json lists; `cavendish provenance check` must agree and still find the
   watermark.
2. One pixel changed (the PNG kept well-formed): c2pa-python must report the data hash mismatch, and so
   must `provenance check` (exit 1).
3. A PNG signed by c2pa-python itself (salted assertions, a thumbnail): `provenance check` must find its
   manifest valid.
4. A key that does not belong to the certificate: `generate` must refuse before writing anything.
5. No credentials: no manifest.

    python3 scripts/check_c2pa.py --binary .build/release/cavendish
    python3 scripts/check_c2pa.py --write-fixtures Tests/Fixtures/c2pa

--write-fixtures writes signed-by-c2pa-rs.png (which the Swift tests read) and signed-by-cavendish.png
(a seed of the fuzzer's c2pa target) and stops.
"""
import argparse
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CREDENTIALS = os.path.join(ROOT, "Tests", "Fixtures", "c2pa")
KEY = os.path.join(CREDENTIALS, "signer-key.pem")
CHAIN = os.path.join(CREDENTIALS, "signer-chain.pem")
TRAINED = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"


def ensure(module, requirement):
    """Imports a module, installing it from PyPI first when it is missing."""
    try:
        return __import__(module)
    except ImportError:
        for extra in ([], ["--break-system-packages"]):
            if subprocess.call([sys.executable, "-m", "pip", "install", "--quiet", requirement, *extra]) == 0:
                break
        return __import__(module)


def read(c2pa, path):
    """c2pa-python's validation state and manifest store, trusting only the test CA."""
    settings = c2pa.Settings.from_json(json.dumps({
        "verify": {"verify_trust": True},
        "trust": {"trust_anchors": open(os.path.join(CREDENTIALS, "ca.pem")).read()},
    }))
    reader = c2pa.Reader(path, context=c2pa.Context(settings))
    return reader.get_validation_state(), json.loads(reader.json())


def provenance(binary, path):
    run = subprocess.run([binary, "provenance", "check", path, "--json"], capture_output=True, text=True)
    return run.returncode, json.loads(run.stdout.splitlines()[0])


def generate(binary, out, *extra):
    return subprocess.run([binary, "generate", "--prompt", 'a pencil drawing of a cat with a sign that says "HI"', "--seed", "5",
                           "--out", out, "--json", "--progress", "none", *extra], capture_output=True, text=True)


def change_one_pixel(source, target):
    """Rewrites the first IDAT with one decoded byte changed, recompressed, and its CRC fixed."""
    data = open(source, "rb").read()
    at, chunks = 8, []
    while at < len(data):
        length, kind = struct.unpack(">I4s", data[at:at + 8])
        chunks.append((kind, data[at + 8:at + 8 + length]))
        at += 12 + length
    raw = bytearray(zlib.decompress(b"".join(body for kind, body in chunks if kind == b"IDAT")))
    raw[1000] ^= 0x01
    out, done = bytearray(data[:8]), False
    for kind, body in chunks:
        if kind == b"IDAT":
            if done:
                continue
            body, done = zlib.compress(bytes(raw)), True
        out += struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
    open(target, "wb").write(out)


def sign_with_c2pa_python(c2pa, target):
    """A small PNG signed by c2pa-python with the test credentials."""
    import io
    from PIL import Image
    plain = io.BytesIO()
    Image.new("RGB", (32, 32), (40, 120, 200)).save(plain, format="PNG")
    plain.seek(0)
    signer = c2pa.Signer.from_info(c2pa.C2paSignerInfo(alg=b"es256", sign_cert=open(CHAIN, "rb").read(),
                                                       private_key=open(KEY, "rb").read(), ta_url=None))
    builder = c2pa.Builder({"claim_generator_info": [{"name": "c2pa-python", "version": c2pa.__version__}],
                            "assertions": [{"label": "c2pa.actions", "data": {"actions": [
                                {"action": "c2pa.created", "digitalSourceType": TRAINED}]}}]})
    with open(target + ".tmp", "w+b") as out:
        builder.sign(signer, "image/png", plain, out)
    os.replace(target + ".tmp", target)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default=os.path.join(ROOT, ".build", "release", "cavendish"))
    parser.add_argument("--write-fixtures", metavar="DIR", help="only write the signed fixtures and stop")
    args = parser.parse_args()
    c2pa = ensure("c2pa", "c2pa-python==0.38.1")
    ensure("cryptography", "cryptography")
    ensure("PIL", "pillow")
    if args.write_fixtures:
        theirs, ours = (os.path.join(args.write_fixtures, f"signed-by-{who}.png") for who in ("c2pa-rs", "cavendish"))
        sign_with_c2pa_python(c2pa, theirs)
        print(f"wrote {theirs} (c2pa-python {c2pa.__version__}, c2pa-rs {c2pa.sdk_version()})")
        run = generate(args.binary, ours + ".tmp.png", "--c2pa-key", KEY, "--c2pa-cert", CHAIN, "--force")
        if run.returncode != 0:
            sys.exit(run.stderr)
        os.replace(ours + ".tmp.png", ours)
        print(f"wrote {ours}")
        return
    failures = []

    def expect(condition, what):
        print(("ok    " if condition else "FAIL  ") + what)
        if not condition:
            failures.append(what)

    weights = json.load(open(os.path.join(ROOT, "Weights", "manifest.json")))
    denoiser = next(f["sha256"] for f in weights["files"] if f["file"] == "nb-mini-v2.h5")
    folder = tempfile.mkdtemp(prefix="cavendish-c2pa-")
    try:
        signed = os.path.join(folder, "signed.png")
        run = generate(args.binary, signed, "--c2pa-key", KEY, "--c2pa-cert", CHAIN)
        expect(run.returncode == 0, f"generate with the test credentials exits 0 ({run.stderr.strip()[-300:]})")
        record = json.loads(run.stdout.splitlines()[-1]) if run.returncode == 0 else {}
        state, store = read(c2pa, signed)
        active = store["manifests"][store["active_manifest"]]
        expect(state == "Trusted", f"c2pa-python: validation state {state} (want Trusted under the test CA)")
        expect(store["active_manifest"] == record.get("c2pa_manifest"), "the record names the manifest c2pa-python reads as active")
        expect(active["claim_generator_info"][0]["name"] == "cavendish", "claim generator is cavendish")
        assertions = {a["label"]: a["data"] for a in active["assertions"]}
        actions = assertions.get("c2pa.actions.v2", {}).get("actions", [{}])
        expect(actions[0].get("action") == "c2pa.created" and actions[0].get("digitalSourceType") == TRAINED,
               "action c2pa.created with digital source type trainedAlgorithmicMedia")
        model = assertions.get("org.cavendish.model", {})
        expect(model.get("denoiser_sha256") == denoiser == record.get("model_sha256"),
               "the model assertion carries the denoiser's SHA-256 from Weights/manifest.json")
        expect(active["signature_info"]["alg"].lower() == "es256" and active["signature_info"]["common_name"] == "Cavendish test signer",
               "signed ES256 by the test signer")
        code, ours = provenance(args.binary, signed)
        expect(code == 0 and ours["c2pa"]["valid"] and ours["watermark_detected"],
               "provenance check: manifest valid and watermark found")

        tampered = os.path.join(folder, "tampered.png")
        change_one_pixel(signed, tampered)
        state, store = read(c2pa, tampered)
        codes = [s["code"] for s in store.get("validation_status", [])]
        expect(state == "Invalid" and "assertion.dataHash.mismatch" in codes, f"one pixel changed: c2pa-python says {state}, {codes}")
        code, ours = provenance(args.binary, tampered)
        expect(code == 1 and not ours["c2pa"]["data_hash_matches"] and not ours["c2pa"]["valid"],
               "one pixel changed: provenance check reports the data hash mismatch and exits 1")

        theirs = os.path.join(folder, "by-c2pa-python.png")
        sign_with_c2pa_python(c2pa, theirs)
        code, ours = provenance(args.binary, theirs)
        expect(code == 0 and ours["c2pa"]["valid"] and ours["c2pa"]["claim_generator"].startswith("c2pa-python"),
               "provenance check reads c2pa-python's own manifest as valid")

        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        other = os.path.join(folder, "other-key.pem")
        open(other, "wb").write(ec.generate_private_key(ec.SECP256R1()).private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
        mismatched = os.path.join(folder, "mismatched.png")
        run = generate(args.binary, mismatched, "--c2pa-key", other, "--c2pa-cert", CHAIN)
        expect(run.returncode != 0 and "does not belong" in run.stderr and not os.path.exists(mismatched),
               "a key that is not the certificate's is refused before anything is written")

        plain = os.path.join(folder, "plain.png")
        run = generate(args.binary, plain)
        code, ours = provenance(args.binary, plain)
        expect(run.returncode == 0 and code == 0 and ours.get("c2pa") is None, "without credentials: no manifest")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    if failures:
        print(f"check_c2pa: {len(failures)} check(s) failed", file=sys.stderr)
        sys.exit(1)
    print("check_c2pa: all checks passed")


if __name__ == "__main__":
    main()
