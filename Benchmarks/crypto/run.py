#!/usr/bin/env python3
"""Crypto benchmark (issue 14): MirageCrypto (BearSSL underneath, in the Linux process) against
`openssl speed` (Debian's OpenSSL 3, its hand-written assembly) on the same machine in the same
run, for the operations TLS spends its time in.

  python3 Benchmarks/crypto/run.py [--seconds 1] [--rounds 5] [--operations a,b,...]

Each round runs every operation once on our side and once on OpenSSL's, alternating which goes
first, after one warm-up run of each; the table gives the median and the spread (min-max) over
the rounds, and the ratio of the medians (ours / OpenSSL's: above 1 is faster).

What each side measures:
  * AEADs: a fresh record sealed each time (nonce set, 13 bytes of associated data, the data, the
    tag), 16 KiB (a TLS record) and 1 KiB: ours with `AEAD.seal`, OpenSSL with `speed -aead -evp`.
  * SHA-256 over 16 KiB: `MessageDigest.hash` against `speed -evp sha256`.
  * X25519 and P-256 ECDH: one shared secret from a fixed key pair: `speed ecdhx25519`/`ecdhp256`.
  * ECDSA P-256 sign and verify, SHA-256 digest given: `speed ecdsap256`.
  * RSA-2048 PKCS #1 v1.5 sign and verify: `speed rsa2048` (OpenSSL signs with PKCS #1 v1.5 too).
OpenSSL uses every instruction the CPU has (here SHA-NI for SHA-256, AVX2 for ChaCha20, ADX and
MULX for the curves and RSA); BearSSL uses AES-NI and PCLMULQDQ for AES-GCM, SSE2 for ChaCha20,
and portable constant-time C for the rest. Not a test: no thresholds."""
import argparse
import os
import re
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

# operation: (unit, openssl arguments, how to read openssl's -mr output)
OPERATIONS = {
    "aes-128-gcm-16k": ("MB/s", ["-aead", "-bytes", "16384", "-evp", "aes-128-gcm"], ("F", None)),
    "aes-128-gcm-1k": ("MB/s", ["-aead", "-bytes", "1024", "-evp", "aes-128-gcm"], ("F", None)),
    "aes-256-gcm-16k": ("MB/s", ["-aead", "-bytes", "16384", "-evp", "aes-256-gcm"], ("F", None)),
    "chacha20-poly1305-16k": ("MB/s", ["-aead", "-bytes", "16384", "-evp", "chacha20-poly1305"], ("F", None)),
    "chacha20-poly1305-1k": ("MB/s", ["-aead", "-bytes", "1024", "-evp", "chacha20-poly1305"], ("F", None)),
    "sha256-16k": ("MB/s", ["-bytes", "16384", "-evp", "sha256"], ("F", None)),
    "x25519": ("ops/s", ["ecdhx25519"], ("F5", 3)),
    "p256-ecdh": ("ops/s", ["ecdhp256"], ("F5", 3)),
    "p256-sign": ("ops/s", ["ecdsap256"], ("F4", 3)),
    "p256-verify": ("ops/s", ["ecdsap256"], ("F4", 4)),
    "rsa2048-sign": ("ops/s", ["rsa2048"], ("F2", 3)),
    "rsa2048-verify": ("ops/s", ["rsa2048"], ("F2", 4)),
}


def ours(binary, operation, seconds):
    output = subprocess.run([binary, operation, str(seconds)], check=True, capture_output=True, text=True).stdout.split()
    value = float(output[0])
    return value / 1e6 if output[1] == "bytes/s" else value


def openssl(operation, seconds):
    unit, arguments, (kind, field) = OPERATIONS[operation]
    text = subprocess.run(["openssl", "speed", "-mr", "-seconds", str(seconds)] + arguments,
                          check=True, capture_output=True, text=True).stdout
    for line in text.splitlines():
        parts = line.split(":")
        if parts[0] == "+" + kind:
            # +F:index:name:bytes-per-second for the one size asked; +F2/F4/F5:index:bits:a:b.
            return float(parts[3]) / 1e6 if field is None else float(parts[field])
    raise RuntimeError(f"no +{kind} line from openssl speed {' '.join(arguments)}:\n{text}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=1)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--operations", default=",".join(OPERATIONS))
    options = parser.parse_args()
    operations = options.operations.split(",")
    for operation in operations:
        if operation not in OPERATIONS:
            sys.exit(f"unknown operation {operation}; known: {', '.join(OPERATIONS)}")

    print("building crypto-benchmark (release)", file=sys.stderr)
    subprocess.run(["swift", "build", "-c", "release", "--product", "crypto-benchmark"], cwd=ROOT, check=True, capture_output=True)
    binary = os.path.join(ROOT, ".build", "release", "crypto-benchmark")
    version = subprocess.run(["openssl", "version"], capture_output=True, text=True).stdout.strip()

    results = {operation: {"ours": [], "openssl": []} for operation in operations}
    for operation in operations:  # warm-up, not counted
        ours(binary, operation, min(options.seconds, 0.5))
        openssl(operation, 1)
    for round_index in range(options.rounds):
        for operation in operations:
            sides = [("ours", lambda: ours(binary, operation, options.seconds)),
                     ("openssl", lambda: openssl(operation, max(1, round(options.seconds))))]
            if round_index % 2:
                sides.reverse()
            for side, measure in sides:
                results[operation][side].append(measure())
        print(f"round {round_index + 1} done", file=sys.stderr)

    print(f"MirageCrypto (BearSSL 0.6, Linux process) against {version}; {options.rounds} alternated rounds "
          f"of {options.seconds:g} s, median (min-max)\n")
    print("| operation | unit | ours | OpenSSL | ours / OpenSSL |")
    print("|---|---|---|---|---|")
    for operation in operations:
        unit = OPERATIONS[operation][0]
        mine, theirs = results[operation]["ours"], results[operation]["openssl"]
        cell = lambda values: f"{statistics.median(values):.0f} ({min(values):.0f}-{max(values):.0f})"
        print(f"| {operation} | {unit} | {cell(mine)} | {cell(theirs)} | {statistics.median(mine) / statistics.median(theirs):.2f} |")


if __name__ == "__main__":
    main()
