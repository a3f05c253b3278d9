#!/usr/bin/env python3
"""Crypto benchmark (issue 14): MirageCrypto (BearSSL underneath) in a Linux process and in an
hvt guest against `openssl speed` (Debian's OpenSSL 3, its hand-written assembly) on the same
machine in the same run, for the operations TLS spends its time in.

  python3 Benchmarks/crypto/run.py [--seconds 1] [--rounds 5] [--operations a,b,...]

Ours is one unikernel, Benchmarks/crypto/unikernel (`--operation=NAME --milliseconds=N`), built
for unix (a Linux process) and for hvt (a KVM guest under a release mirage-hvt, where /dev/kvm is
usable): the same code on both targets. Each round runs every operation once on each side,
rotating which goes first, after one warm-up run of each; the table gives the median and the
spread (min-max) over the rounds, and the ratios of the medians (ours / OpenSSL's: above 1 is
faster).

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
import shutil
import statistics
import subprocess
import sys
import tempfile

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


def ours(command, operation, seconds):
    """Runs the unikernel (`command` starts it) and reads its "rate: OPERATION RATE UNIT" line."""
    result = subprocess.run(command + [f"--operation={operation}", f"--milliseconds={int(seconds * 1000)}"],
                            check=True, capture_output=True, text=True)
    match = re.search(r"rate: \S+ (\d+) (bytes/s|ops/s)", result.stderr)
    if not match:
        raise RuntimeError(f"no rate from {' '.join(command)}:\n{result.stderr}")
    value = float(match.group(1))
    return value / 1e6 if match.group(2) == "bytes/s" else value


def build_images(scratch):
    """Builds the unikernel for unix and, where KVM is usable, for hvt, and a release tender;
    returns the commands that start each, by side."""
    subprocess.run(["swift", "build", "--product", "swift-mirage"], cwd=ROOT, check=True, capture_output=True)
    tool = os.path.join(ROOT, ".build", "debug", "swift-mirage")
    directory = os.path.join(HERE, "unikernel")
    sides = {}
    targets = ["unix"] + (["hvt"] if os.access("/dev/kvm", os.W_OK) else [])
    for target in targets:
        subprocess.run([tool, "configure", "-t", target, directory], cwd=ROOT, check=True, capture_output=True)
        subprocess.run([tool, "build", directory], cwd=ROOT, check=True, capture_output=True)
        name = "crypto-bench" + (".hvt" if target == "hvt" else "")
        copy = os.path.join(scratch, name)
        shutil.copy(os.path.join(directory, "dist", name), copy)
        sides[target] = [copy]
    if "hvt" in sides:
        subprocess.run(["swift", "build", "-c", "release", "--product", "mirage-hvt"], cwd=ROOT, check=True, capture_output=True)
        sides["hvt"] = [os.path.join(ROOT, ".build", "release", "mirage-hvt"), "--mem=64", "--", sides["hvt"][0]]
    return sides


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

    print("building the unikernel for unix and hvt, and the tender", file=sys.stderr)
    scratch = tempfile.mkdtemp(prefix="mirage-crypto-bench-")
    try:
        commands = build_images(scratch)
        version = subprocess.run(["openssl", "version"], capture_output=True, text=True).stdout.strip()
        sides = [(target, lambda operation, seconds, command=command: ours(command, operation, seconds)) for target, command in commands.items()]
        sides.append(("openssl", lambda operation, seconds: openssl(operation, max(1, round(seconds)))))
        results = {operation: {side: [] for side, _ in sides} for operation in operations}
        for operation in operations:  # warm-up, not counted
            for _, measure in sides:
                measure(operation, 0.5)
        for round_index in range(options.rounds):
            for operation in operations:
                rotation = round_index % len(sides)
                for side, measure in sides[rotation:] + sides[:rotation]:
                    results[operation][side].append(measure(operation, options.seconds))
            print(f"round {round_index + 1} done", file=sys.stderr)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    names = [side for side, _ in sides if side != "openssl"]
    print(f"MirageCrypto (BearSSL 0.6) as a unikernel ({', '.join(names)}) against {version}; "
          f"{options.rounds} rotated rounds of {options.seconds:g} s, median (min-max)\n")
    print("| operation | unit | " + " | ".join(f"ours, {name}" for name in names) + " | OpenSSL | "
          + " | ".join(f"{name} / OpenSSL" for name in names) + " |")
    print("|---|---|" + "---|" * (2 * len(names) + 1))
    cell = lambda values: f"{statistics.median(values):.0f} ({min(values):.0f}-{max(values):.0f})"
    for operation in operations:
        row = results[operation]
        theirs = statistics.median(row["openssl"])
        print(f"| {operation} | {OPERATIONS[operation][0]} | " + " | ".join(cell(row[name]) for name in names)
              + f" | {cell(row['openssl'])} | " + " | ".join(f"{statistics.median(row[name]) / theirs:.2f}" for name in names) + " |")


if __name__ == "__main__":
    main()
