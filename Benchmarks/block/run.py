#!/usr/bin/env python3
"""Block I/O benchmark: a unikernel's block device (the probe in Benchmarks/block/probe, built for
hvt and for unix) against fio on the same host file, request by request, in the same run
(DESIGN.md, "Benchmarks").

  sudo python3 Benchmarks/block/run.py [--requests 100000] [--rounds 5]
                                       [--baseline-tender MIRAGE-HVT --baseline-probe IMAGE]

Each workload is one request at a time, as an application that awaits each read or write makes
them: 4 KiB reads at random offsets (`randread`), 64 KiB reads in order (`read`), and 4 KiB
writes at random offsets ended by one flush (`randwrite`), on a 64 MiB file in the page cache
(read once before the rounds), so that what is measured is the path of a request, not the disk.
The probe times its requests with its own monotonic clock and logs the total; the peer is fio
(Debian's) with the engine an application's blocking calls make (`psync`: a pread or pwrite per
request), buffered, `invalidate=0` (fio otherwise drops the file's cache before the job) and
`end_fsync=1` for the writes (the probe's flush), one job; its own measure of the job's time is
used, its start-up left out as the probe's boot is. Under hvt the guest's requests go through
the block ring the tender's I/O thread serves, the guest looking at it for the answer
(`--poll-spin`); "hvt-nospin" is the guest told not to spin (`--poll-spin=0`, for a packed
host), which makes each request a hypercall: a VM exit to the tender, which makes the call. The
unix probe calls pread/pwrite itself. After a warm-up of each, the hvt probes, the unix probe and fio take turns
over the rounds (each round in a new order); the table gives requests a second, the median and
the range, and the ratio to fio's median. `--baseline-tender` and `--baseline-probe` run another
checkout's mirage-hvt with its own probe image in the same rounds (an hvt ABI change needs both).
Installs fio with apt-get when missing. Not a test: no thresholds."""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
from harness import ensure_tools, rotated, sh, spread  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TOOL = os.path.join(ROOT, ".build/debug/swift-mirage")
TENDER = os.path.join(ROOT, ".build/release/mirage-hvt")
PROBE = os.path.join(ROOT, "Benchmarks/block/probe")
DISK_MIB = 64
WORKLOADS = [("randread", 4096), ("read", 65536), ("randwrite", 4096)]


def build(scratch):
    """The release tender, and the probe for hvt and for unix (copied out: both builds share dist/)."""
    sh("swift", "build", "--product", "swift-mirage", cwd=ROOT)
    sh("swift", "build", "-c", "release", "--product", "mirage-hvt", cwd=ROOT)
    images = {}
    for target, name in (("hvt", "block-probe.hvt"), ("unix", "block-probe")):
        sh(TOOL, "configure", "-t", target, PROBE, cwd=ROOT)
        sh(TOOL, "build", PROBE, cwd=ROOT)
        images[target] = os.path.join(scratch, f"{target}-{name}")
        sh("cp", os.path.join(PROBE, "dist", name), images[target])
    return images


def probe_rate(command):
    """Runs a probe; its requests a second, from the line it logs."""
    output = subprocess.run(command, capture_output=True, text=True, timeout=300)
    found = re.search(r"block-probe: \S+ (\d+) \d+ (\d+)", output.stderr + output.stdout)
    if output.returncode != 0 or not found:
        sys.exit(f"{' '.join(command)} exited {output.returncode}:\n{output.stderr[-2000:]}")
    return int(found.group(1)) / (int(found.group(2)) / 1e9)


def fio_rate(disk, mode, size, requests):
    """fio's requests a second for the same workload (its own job time, without its start-up):
    `io_size` makes it go round the file, as the probe does, until it has made as many requests."""
    output = sh("fio", "--name=peer", f"--filename={disk}", f"--rw={mode}", f"--bs={size}", "--ioengine=psync",
                "--direct=0", "--invalidate=0", f"--size={DISK_MIB}M", f"--io_size={requests * size}", "--numjobs=1",
                "--randrepeat=0", "--norandommap", *(["--end_fsync=1"] if mode == "randwrite" else []),
                "--output-format=json").stdout
    job = json.loads(output[output.index("{"):])["jobs"][0]
    side = job["write" if mode == "randwrite" else "read"]
    # job_runtime (ms) covers the job's I/O and its end_fsync; total_ios the requests made.
    if job["job_runtime"] < 10:
        sys.exit(f"run.py: fio's {mode} job took {job['job_runtime']} ms, too short for its millisecond clock: give more --requests")
    return side["total_ios"] / (job["job_runtime"] / 1000)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=100000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--baseline-tender", help="another checkout's release mirage-hvt")
    parser.add_argument("--baseline-probe", help="the block probe built for hvt by that checkout")
    options = parser.parse_args()
    if bool(options.baseline_tender) != bool(options.baseline_probe):
        sys.exit("run.py: --baseline-tender and --baseline-probe go together")
    ensure_tools([("fio", "fio")])
    with tempfile.TemporaryDirectory() as scratch:
        images = build(scratch)
        disk = os.path.join(scratch, "disk.img")
        with open(disk, "wb") as file:
            file.write(os.urandom(DISK_MIB << 20))
        with open(disk, "rb") as file:  # into the page cache
            while file.read(1 << 20):
                pass
        def probe(image, tender=()):
            """The runner of a probe `image`: under `tender` (a tender and its options) for hvt,
            by itself for unix; the workload goes in its boot arguments."""
            start = [*tender, f"--block:disk={disk}", "--", image] if tender else [image, f"--block:disk={disk}"]
            return lambda mode, size, n: probe_rate(start + [f"--mode={mode}", f"--request-size={size}", f"--requests={n}"])
        runners = {
            "hvt": probe(images["hvt"], [TENDER]),
            "hvt-nospin": probe(images["hvt"], [TENDER, "--poll-spin=0"]),
            "unix": probe(images["unix"]),
            "fio (psync)": lambda mode, size, n: fio_rate(disk, mode, size, n),
        }
        if options.baseline_tender:
            runners["hvt-baseline"] = probe(options.baseline_probe, [options.baseline_tender])
        results = {(name, mode): [] for name in runners for mode, _ in WORKLOADS}
        for name, run in runners.items():  # warm-up
            for mode, size in WORKLOADS:
                run(mode, size, max(options.requests // 10, 20000))
        names = list(runners)
        for round_index in range(options.rounds):
            order = rotated(names, round_index)
            for mode, size in WORKLOADS:
                for name in order:
                    results[(name, mode)].append(runners[name](mode, size, options.requests))
    print(f"Block requests, one at a time, {options.requests} a run, {options.rounds} alternated rounds "
          f"(requests/s: median (range); ratio to fio's median). fio: psync, buffered, invalidate=0, "
          f"end_fsync=1 for writes, one job; a {DISK_MIB} MiB file in the page cache")
    print(f"| {'workload':<16} | {'path':<13} | {'requests/s':>32} | {'µs a request':>12} | {'ratio':>6} |")
    print(f"|{'-' * 18}|{'-' * 15}|{'-' * 34}|{'-' * 14}|{'-' * 8}|")
    for mode, size in WORKLOADS:
        peer = spread(results[("fio (psync)", mode)])[0]
        for name in names:
            median, low, high = spread(results[(name, mode)])
            label = f"{mode} {size // 1024} KiB"
            cell = f"{median:,.0f} ({low:,.0f}-{high:,.0f})"
            print(f"| {label:<16} | {name:<13} | {cell:>32} | {1e6 / median:12.1f} | {median / peer:5.2f}x |")


if __name__ == "__main__":
    main()
