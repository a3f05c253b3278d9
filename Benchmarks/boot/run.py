#!/usr/bin/env python3
"""Boot-time benchmark for the hvt target (not a test: it prints tables).

After a warm-up, it alternates runs of the probe unikernel (hello without sleeps) under
mirage-hvt, under mirage-hvt through a server that keeps a VM ready (`--serve`, `--via`: the
client is the same tender binary), and of a trivial static C program, the peer: the cost of
spawning and reaping any process on this machine. Every run starts after the machine has been
idle for 20 ms: so the server's preparation of the next VM (which a kept-ready VM moves off a
boot's path, not away) overlaps no measurement, and no run finds the CPUs busier or idler than
another (on these machines a spawn right after other work was up to 0.4 ms faster than one after
the pause: a run placed after another, with the peer's after a pause, would be flattered). It
measures from spawning each process to
  - the first byte the unikernel writes (its `start` ran: boot to application), and
  - the process's exit;
and, for the tender, the time each step of a boot takes: a small C parent reads CLOCK_MONOTONIC
just before posix_spawn, and the tender, with MIRAGE_HVT_BOOT_TRACE set, prints the instant each
of its steps ended on the same clock (Sources/MirageHVTHost/BootTrace.swift): the process's
start until the tender's first line (exec, the C library's start-up), the image read and
checked, the VM, its memory and vCPU created, the image loaded, the seccomp filter installed,
the guest's boot code to its first hypercall and to its first output, and the exit after the
halt. It also prints the stripped image sizes of every example and the tender's peak RSS
(measured from a small C parent: a child of Python would count the interpreter's memory as its
own).

With `--baseline-tender PATH` (another checkout's release mirage-hvt) that tender boots the same
probe too, in the same alternation, with its own rows and breakdown: a change's before and after.

Usage: Benchmarks/boot/run.py [--runs N] [--baseline-tender MIRAGE-HVT]
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager

sys.dont_write_bytecode = True  # nothing written beside the shared module
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
from harness import compile_c, ensure_tools  # noqa: E402

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
    return compile_c(directory, name, source, "-static")


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


# Reads CLOCK_MONOTONIC, spawns a program (its stderr inherited), and prints the instants just
# before the spawn and after the program was reaped, in nanoseconds: the clock the tender's boot
# trace uses, read where Python's own work for a child cannot add to it.
SPAWN_CLOCK_SOURCE = r"""
#include <spawn.h>
#include <stdio.h>
#include <time.h>
#include <sys/wait.h>
extern char **environ;
static long long now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000000LL + t.tv_nsec;
}
int main(int argc, char **argv) {
    pid_t pid;
    long long start = now();
    if (argc < 2 || posix_spawn(&pid, argv[1], NULL, NULL, argv + 1, environ) != 0) return 127;
    int status;
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) return 126;
    printf("%lld %lld\n", start, now());
    return WEXITSTATUS(status);
}
"""

# The boot trace's steps, in order, with what each covers (each from the end of the one before;
# the first from the spawn).
STEPS = [
    ("entry", "exec and the C library's start-up, to the program's first line"),
    ("request", "(--via) the client's request sent, received by the ready VM's process"),
    ("main", "the command line's strings gathered, to Tender.main"),
    ("options", "command line parsed"),
    ("image", "image mapped, ELF and ABI checked, manifest read"),
    ("devices", "devices opened, stop signals set up"),
    ("kvm-open", "/dev/kvm opened"),
    ("create-vm", "KVM_CREATE_VM"),
    ("memory", "guest memory mapped and registered"),
    ("irqchip", "split irqchip"),
    ("create-vcpu", "KVM_CREATE_VCPU"),
    ("cpuid", "KVM_SET_CPUID2"),
    ("run-page", "the vCPU's kvm_run page mapped"),
    ("load", "image segments copied into guest memory"),
    ("registers", "page tables, boot information, long-mode registers"),
    ("io-thread", "net I/O thread started"),
    ("seccomp", "seccomp filter installed"),
    ("first-hypercall", "the guest's boot code, to its first hypercall"),
    ("first-output", "to the guest's first console output"),
    ("halt", "the probe's run, to its halt"),
]


# The same steps through a kept-ready VM: the client's start, then the server's child's work.
VIA_STEPS = {
    "entry": "the client's exec and start-up (the same binary)",
    "main": "the client's descriptors and directory taken, to Tender.main",
    "exit": "the status sent back, the client's exit, until reaped (the VM destroyed after)",
}
# The pause before each run: the server's next VM is made by then, and every run starts from the
# same idle machine.
PAUSE = 0.02


@contextmanager
def ready_server(directory):
    """A `mirage-hvt --serve` server for the probe's memory (the default); yields its socket."""
    socket = os.path.join(directory, "ready.sock")
    server = subprocess.Popen([TENDER, f"--serve={socket}"])
    try:
        for _ in range(100):
            if os.path.exists(socket):
                break
            time.sleep(0.01)
        else:
            sys.exit("mirage-hvt --serve did not make its socket")
        time.sleep(0.05)
        yield socket
    finally:
        server.terminate()
        server.wait()


def traced_boot(helper, argv):
    """One traced boot, after the pause that every run starts from: each step's duration in
    microseconds (the steps the run passed), and the process's exit after the halt."""
    time.sleep(PAUSE)
    environment = dict(os.environ, MIRAGE_HVT_BOOT_TRACE="1")
    result = subprocess.run([helper] + argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=environment, text=True)
    if result.returncode != 0:
        sys.exit(f"{argv} exited {result.returncode}: {result.stderr}")
    start, end = (int(x) for x in result.stdout.split())
    line = next(line for line in result.stderr.splitlines() if "boot trace" in line)
    marks = dict(item.split("=") for item in line.split(":", 2)[2].split() if "=" in item)
    durations, previous = {}, start
    for step, _ in STEPS:
        if step in marks:
            durations[step] = (int(marks[step]) - previous) / 1000
            previous = int(marks[step])
    durations["exit"] = (end - previous) / 1000
    return durations


def peak_rss(helper, argv, runs=5):
    """The largest peak resident set of `argv` over `runs` runs, in KiB."""
    peaks = []
    for _ in range(runs):
        result = subprocess.run([helper] + argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, check=True)
        peaks.append(int(result.stdout))
    return max(peaks)


def measure(argv):
    """Seconds to the first byte on stderr (None when nothing is written) and to exit, after the
    pause that every run starts from."""
    time.sleep(PAUSE)
    start = time.perf_counter()
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    byte = process.stderr.read(1)
    first = time.perf_counter() - start if byte else None
    process.stderr.read()
    _, status = os.waitpid(process.pid, 0)
    total = time.perf_counter() - start
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
    parser.add_argument("--baseline-tender", help="another checkout's release mirage-hvt, to boot the probe beside ours")
    options = parser.parse_args()
    runs, baseline = options.runs, options.baseline_tender
    ensure_tools((("gcc", "gcc"),))  # the peer and the helpers are static C programs
    probe = build()
    with tempfile.TemporaryDirectory() as directory:
        peer = static_true(directory)
        rss_helper = compile_static(directory, "peak-rss", PEAK_RSS_SOURCE)
        spawn_clock = compile_static(directory, "spawn-clock", SPAWN_CLOCK_SOURCE)
        tender = [TENDER, "--", probe]
        with ready_server(directory) as socket:
            via = [TENDER, f"--via={socket}", "--", probe]
            measure_via = lambda: measure(via)
            traced_via = lambda: traced_boot(spawn_clock, via)
            other = [baseline, "--", probe] if baseline else None
            for _ in range(5):  # warm-up: the page cache, the kernel's caches
                measure(tender), measure([peer]), traced_boot(spawn_clock, tender), measure_via(), traced_via()
                if other:
                    measure(other), traced_boot(spawn_clock, other)
            # Ours and the peer alternate, run by run, so that the machine's drift reaches both.
            peer_total, hvt_first, hvt_total, steps = [], [], [], []
            via_first, via_total, via_steps = [], [], []
            other_first, other_total, other_steps = [], [], []
            for _ in range(runs):
                peer_total.append(measure([peer])[1])
                first, total = measure(tender)
                hvt_first.append(first)
                hvt_total.append(total)
                first, total = measure_via()
                via_first.append(first)
                via_total.append(total)
                steps.append(traced_boot(spawn_clock, tender))
                via_steps.append(traced_via())
                if other:
                    first, total = measure(other)
                    other_first.append(first)
                    other_total.append(total)
                    other_steps.append(traced_boot(spawn_clock, other))
            via_rss = peak_rss(rss_helper, via)
        tender_rss = peak_rss(rss_helper, [TENDER, "--", probe])
        peer_rss = peak_rss(rss_helper, [peer])
    peer_median = summary(peer_total)[0]
    print(f"Boot time, {runs} runs each, alternated (milliseconds: median [p10 .. p90], ratio to the process spawn)")
    print(f"| {'what':<44} | {'median':>7} | {'p10 .. p90':>15} | {'ratio':>6} |")
    print(f"|{'-' * 46}|{'-' * 9}|{'-' * 17}|{'-' * 8}|")
    rows = [
        ("static process spawn + exit (peer)", peer_total),
        ("mirage-hvt spawn -> probe's start (1st byte)", hvt_first),
        ("mirage-hvt spawn -> exit", hvt_total),
        ("mirage-hvt --via (VM ready) -> 1st byte", via_first),
        ("mirage-hvt --via (VM ready) -> exit", via_total),
    ] + ([("baseline tender spawn -> 1st byte", other_first), ("baseline tender spawn -> exit", other_total)] if other else [])
    for name, samples in rows:
        median, low, high = summary(samples)
        print(f"| {name:<44} | {median:7.2f} | {low:6.2f} .. {high:6.2f} | {median / peer_median:5.1f}x |")
    print()
    def quantiles(samples):
        samples = sorted(samples)
        quantile = lambda q: samples[min(len(samples) - 1, int(q * len(samples)))]
        return f"{statistics.median(samples):7.0f} | {quantile(0.1):6.0f} .. {quantile(0.9):6.0f}"
    breakdowns = [("a boot", steps, {}), ("a boot through the kept-ready VM (--via)", via_steps, VIA_STEPS)]
    if other:
        breakdowns.append((f"a boot under the baseline tender ({baseline})", other_steps, {}))
    for title, runs_steps, names in breakdowns:
        print(f"Where {title} goes: {runs} runs with MIRAGE_HVT_BOOT_TRACE (microseconds: median [p10 .. p90] of each step)")
        print(f"| {'step':<16} | {'what it covers':<84} | {'median':>7} | {'p10 .. p90':>15} |")
        print(f"|{'-' * 18}|{'-' * 86}|{'-' * 9}|{'-' * 17}|")
        for step, what in STEPS + [("exit", "the process's exit after the halt (the VM destroyed), until reaped")]:
            samples = [run[step] for run in runs_steps if step in run]
            if samples:
                print(f"| {step:<16} | {names.get(step, what):<84} | {quantiles(samples)} |")
        to_output = [sum(v for k, v in run.items() if k not in ("halt", "exit")) for run in runs_steps]
        print(f"| {'spawn to output':<16} | {'the steps to the first output, summed':<84} | {quantiles(to_output)} |")
        print()
    print(f"mirage-hvt peak RSS: {tender_rss} KiB; as a --via client: {via_rss} KiB (the static process: {peer_rss} KiB)")
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
