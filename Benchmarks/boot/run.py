#!/usr/bin/env python3
"""Boot-time benchmark for the hvt target (not a test: it prints a table).

For 50 runs each, it measures from spawning a process to
  - the first byte the unikernel writes (its `start` ran: boot to application), and
  - the process's exit,
for the probe unikernel (hello without sleeps) under mirage-hvt, and for a trivial static
C program as the peer: the cost of spawning and reaping any process on this machine.
It also prints the stripped image sizes of every example and the tender's peak RSS (measured
from a small C parent: a child of Python would count the interpreter's memory as its own).

Usage: Benchmarks/boot/run.py [--runs N]
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TOOL = os.path.join(ROOT, ".build/debug/swift-mirage")
TENDER = os.path.join(ROOT, ".build/release/mirage-hvt")


def sh(*args, **kwargs):
    subprocess.run(args, check=True, **kwargs)


def build():
    sh("swift", "build", "--product", "swift-mirage", cwd=ROOT)
    sh("swift", "build", "-c", "release", "--product", "mirage-hvt", cwd=ROOT)
    probe = os.path.join(ROOT, "Benchmarks/boot/probe")
    sh(TOOL, "configure", "-t", "hvt", probe, cwd=ROOT, stderr=subprocess.DEVNULL)
    sh(TOOL, "build", probe, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return os.path.join(probe, "dist/probe.hvt")


def compile_static(directory, name, source):
    path = os.path.join(directory, name + ".c")
    binary = os.path.join(directory, name)
    with open(path, "w") as f:
        f.write(source)
    sh("gcc", "-O2", "-static", "-o", binary, path)
    return binary


def static_true(directory):
    return compile_static(directory, "true-static", "int main(void) { return 0; }\n")


# Runs a program and prints its peak resident set in KiB. A child of this small program starts
# with little memory; a child of Python starts as a copy of the interpreter, whose resident set
# the kernel counts as the child's peak (ru_maxrss survives exec).
PEAK_RSS_SOURCE = r"""
#include <spawn.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
extern char **environ;
int main(int argc, char **argv) {
    pid_t pid;
    if (argc < 2 || posix_spawn(&pid, argv[1], NULL, NULL, argv + 1, environ) != 0) return 127;
    int status;
    struct rusage usage;
    if (wait4(pid, &status, 0, &usage) != pid || !WIFEXITED(status)) return 126;
    printf("%ld\n", usage.ru_maxrss);
    return WEXITSTATUS(status);
}
"""


def peak_rss(helper, argv, runs=5):
    """The largest peak resident set of `argv` over `runs` runs, in KiB."""
    peaks = []
    for _ in range(runs):
        result = subprocess.run([helper] + argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, check=True)
        peaks.append(int(result.stdout))
    return max(peaks)


def measure(argv, runs):
    """Seconds to the first byte on stderr (None when nothing is written) and to exit, per run."""
    first, total = [], []
    for _ in range(runs):
        start = time.perf_counter()
        process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        byte = process.stderr.read(1)
        if byte:
            first.append(time.perf_counter() - start)
        process.stderr.read()
        _, status = os.waitpid(process.pid, 0)
        total.append(time.perf_counter() - start)
        if os.waitstatus_to_exitcode(status) != 0:
            sys.exit(f"{argv} exited {os.waitstatus_to_exitcode(status)}")
    return first, total


def summary(samples):
    ms = sorted(s * 1000 for s in samples)
    quantile = lambda q: ms[min(len(ms) - 1, int(q * len(ms)))]
    return statistics.median(ms), quantile(0.1), quantile(0.9)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=50)
    runs = parser.parse_args().runs
    probe = build()
    with tempfile.TemporaryDirectory() as directory:
        peer = static_true(directory)
        rss_helper = compile_static(directory, "peak-rss", PEAK_RSS_SOURCE)
        measure([TENDER, "--", probe], 3)  # warm the page cache
        peer_first, peer_total = measure([peer], runs)
        _, hvt_total = measure([TENDER, "--", probe], runs)
        hvt_first, _ = measure([TENDER, "--", probe], runs)
        tender_rss = peak_rss(rss_helper, [TENDER, "--", probe])
        peer_rss = peak_rss(rss_helper, [peer])
    peer_median = summary(peer_total)[0]
    print(f"Boot time, {runs} runs each (milliseconds: median [p10 .. p90], ratio to the process spawn)")
    print(f"| {'what':<44} | {'median':>7} | {'p10 .. p90':>15} | {'ratio':>6} |")
    print(f"|{'-' * 46}|{'-' * 9}|{'-' * 17}|{'-' * 8}|")
    rows = [
        ("static process spawn + exit (peer)", peer_total),
        ("mirage-hvt spawn -> probe's start (1st byte)", hvt_first),
        ("mirage-hvt spawn -> exit", hvt_total),
    ]
    for name, samples in rows:
        median, low, high = summary(samples)
        print(f"| {name:<44} | {median:7.2f} | {low:6.2f} .. {high:6.2f} | {median / peer_median:5.1f}x |")
    print()
    print(f"mirage-hvt peak RSS: {tender_rss} KiB (the static process: {peer_rss} KiB)")
    print()
    print("Image sizes (stripped):")
    for example in sorted(os.listdir(os.path.join(ROOT, "Examples"))) + ["../Benchmarks/boot/probe"]:
        dist = os.path.join(ROOT, "Examples", example, "dist")
        if not os.path.isdir(dist):
            continue
        for name in sorted(os.listdir(dist)):
            print(f"  {os.path.basename(example)}/{name}: {os.path.getsize(os.path.join(dist, name)) / 1024:.1f} KiB")


if __name__ == "__main__":
    main()
