#!/usr/bin/env python3
"""Writes the C2PA *test* credentials the tests sign with: a P-256 certificate authority and a signing
certificate it issued, with the extensions the C2PA certificate profile asks of a signer (key usage
digitalSignature, extended key usage emailProtection and documentSigning, not a CA, issued rather than
self-signed).

The private key is committed on purpose: it signs test images only, and anyone can make images it
"signs". Real users pass their own key and certificate chain to `cavendish generate --c2pa-key/--c2pa-cert`.

    python3 scripts/c2pa_test_credentials.py Tests/Fixtures/c2pa

Writes signer-key.pem (PKCS#8), signer-chain.pem (signer certificate, then the CA's) and ca.pem.
"""
import datetime
import os
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

DOCUMENT_SIGNING = x509.ObjectIdentifier("1.3.6.1.5.5.7.3.36")


def name(common: str) -> x509.Name:
    return x509.Name([
        x509.NameAttribute(NameOID.COMMON_NAME, common),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Cavendish tests (not a real identity)"),
        x509.NameAttribute(NameOID.COUNTRY_NAME, "GB"),
    ])


def deterministic_key(seed: int) -> ec.EllipticCurvePrivateKey:
    # A fixed scalar, so that rerunning the script rewrites the same keys (the certificates still differ
    # by their dates and ECDSA's random nonces).
    return ec.derive_private_key(seed, ec.SECP256R1())


def main(folder: str) -> None:
    os.makedirs(folder, exist_ok=True)
    start = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
    end = datetime.datetime(2036, 1, 1, tzinfo=datetime.timezone.utc)

    ca_key = deterministic_key(0xCA5E_0001_C2FA)
    ca_name = name("Cavendish test CA")
    ca = (x509.CertificateBuilder()
          .subject_name(ca_name).issuer_name(ca_name)
          .public_key(ca_key.public_key()).serial_number(0x1001)
          .not_valid_before(start).not_valid_after(end)
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                       data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                       crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))

    key = deterministic_key(0xCA5E_0002_C2FA)
    signer = (x509.CertificateBuilder()
              .subject_name(name("Cavendish test signer")).issuer_name(ca_name)
              .public_key(key.public_key()).serial_number(0x2001)
              .not_valid_before(start).not_valid_after(end)
              .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
              .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                           data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                           crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
              .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION, DOCUMENT_SIGNING]),
                             critical=False)
              .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
              .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
              .sign(ca_key, hashes.SHA256()))

    pem = serialization.Encoding.PEM
    files = {
        "signer-key.pem": key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()),
        "signer-chain.pem": signer.public_bytes(pem) + ca.public_bytes(pem),
        "ca.pem": ca.public_bytes(pem),
    }
    for file, data in files.items():
        path = os.path.join(folder, file)
        with open(path + ".tmp", "wb") as handle:
            handle.write(data)
        os.replace(path + ".tmp", path)
        print(f"wrote {path}")


if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] in ("-h", "--help"):
        print(__doc__)
        sys.exit(0 if len(sys.argv) == 2 else 2)
    main(sys.argv[1])
