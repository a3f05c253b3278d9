#!/usr/bin/env python3
"""TCP/IP benchmark: our direct stack over a tap device against the Linux kernel's stack over a
veth pair, measured in the same run with the same client (DESIGN.md, "Benchmarks").

  sudo python3 Benchmarks/tcp/run.py [--megabytes 256] [--round-trips 5000]

Builds Examples/echo for unix with --net=direct and, where /dev/kvm is usable, for hvt (both
release; the hvt image runs under a release mirage-hvt), then in fresh network namespaces:
  * bulk in: the client sends N MiB to the discard port (9) and waits for the close;
  * bulk out: the client reads N MiB from the chargen port (19);
  * request/response: 64 bytes to the echo port (7) and back, many times on one connection;
  * ping: 200 ICMP echoes.
The kernel peer is socat (discard into /dev/null, chargen from /dev/zero, echo through a PIPE) in a
namespace behind a veth pair. For our stack it also counts, with a perf uprobe on libc's malloc
when perf is there, the allocations per frame received during "bulk in". Prints a table with
ratios ours/kernel. Not a test: no thresholds."""
import argparse
import os
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # nothing written beside the shared module
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
from harness import sh, tap_namespace, veth_namespaces  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CLIENT = r'''
import socket, sys, time
mode, host, amount = sys.argv[1], sys.argv[2], int(sys.argv[3])
if mode == "bulk":
    s = socket.create_connection((host, 9)); block = b"x" * (1 << 20)
    start = time.perf_counter()
    for _ in range(amount): s.sendall(block)
    s.shutdown(socket.SHUT_WR); s.recv(1)
    print(time.perf_counter() - start)
elif mode == "source":
    s = socket.create_connection((host, 19)); want = amount << 20; got = 0
    start = time.perf_counter()
    while got < want: got += len(s.recv(1 << 20))
    print(time.perf_counter() - start)
else:
    s = socket.create_connection((host, 7)); s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    message = b"m" * 64; times = []
    for _ in range(amount):
        start = time.perf_counter(); s.sendall(message); got = 0
        while got < 64: got += len(s.recv(64 - got))
        times.append(time.perf_counter() - start)
    times.sort(); print(times[len(times) // 2], times[int(len(times) * 0.99)])
'''


def client(ns, mode, host, amount):
    output = sh("ip", "netns", "exec", ns, "/usr/bin/python3", "-c", CLIENT, mode, host, str(amount)).stdout
    return [float(x) for x in output.split()]


def ping(ns, host):
    output = sh("ip", "netns", "exec", ns, "ping", "-c", "200", "-i", "0.005", "-q", host).stdout
    return float(output.strip().split("\n")[-1].split("=")[1].split("/")[1]) / 1000


def measure(ns, host, megabytes, round_trips, around_bulk=None):
    seconds = client(ns, "bulk", host, megabytes)[0]
    # Counted on a second, untimed run: the probe slows every allocation down.
    counter = around_bulk() if around_bulk else None
    if counter:
        client(ns, "bulk", host, min(megabytes, 128))
    allocations = counter() if counter else None
    out = client(ns, "source", host, megabytes)[0]
    median, p99 = client(ns, "rr", host, round_trips)
    return {"bulk": megabytes * 8 * 1.048576 / seconds, "out": megabytes * 8 * 1.048576 / out,
            "rr": median, "rr99": p99, "ping": ping(ns, host), "allocations": allocations}


def tap_packets(ns):
    """Frames the kernel has sent out of tap0 (to our stack), each coalesced segment counting once."""
    output = sh("ip", "netns", "exec", ns, "cat", "/sys/class/net/tap0/statistics/tx_packets").stdout
    return int(output)


def malloc_counter(ns, pid):
    """Starts counting the server's malloc calls; returns a function that stops and returns
    allocations per frame received, or None where perf or its uprobes are unavailable."""
    libc = "/lib/x86_64-linux-gnu/libc.so.6"
    probe = sh("perf", "probe", "-x", libc, "--add", "malloc", check=False) if os.path.exists(libc) else None
    if probe is None or (probe.returncode != 0 and "already exists" not in probe.stderr):
        return None
    output = f"/tmp/mirage-bench-malloc-{os.getpid()}"
    frames = tap_packets(ns)
    perf = subprocess.Popen(["perf", "stat", "-x", ",", "-e", "probe_libc:malloc", "-p", str(pid), "-o", output],
                            stderr=subprocess.DEVNULL)
    time.sleep(0.3)

    def stop():
        received = tap_packets(ns) - frames
        perf.send_signal(2)
        perf.wait()
        with open(output) as file:
            lines = [line for line in file if "probe_libc:malloc" in line]
        os.unlink(output)
        count = int(lines[0].split(",")[0]) if lines and lines[0].split(",")[0].isdigit() else None
        return None if count is None or received == 0 else (count / received, received)
    return stop


def ours(image, megabytes, round_trips, tender=None):
    with tap_namespace("mirage-bench") as ns:
        command = [tender, "--net:service=tap0", "--", image] if tender else [image]
        server = subprocess.Popen(["ip", "netns", "exec", ns, *command, "--ipv4=10.0.0.2/24"], stderr=subprocess.DEVNULL)
        time.sleep(0.5 if not tender else 1.0)
        pid = int(sh("pgrep", "-n", "-f", image + " --ipv4=10.0.0.2/24").stdout.split()[0])
        counter = None if tender else (lambda: malloc_counter(ns, pid))  # the guest's allocator is not libc's
        try:
            return measure(ns, "10.0.0.2", megabytes, round_trips, around_bulk=counter)
        finally:
            server.terminate()
            server.wait()


def kernel(megabytes, round_trips):
    with veth_namespaces("mirage-bench") as (a, b):
        servers = [subprocess.Popen(["ip", "netns", "exec", b, "socat", "-b", "262144", "-u", "TCP-LISTEN:9,reuseaddr,fork", "OPEN:/dev/null"]),
                   subprocess.Popen(["ip", "netns", "exec", b, "socat", "-b", "262144", "-u", "OPEN:/dev/zero", "TCP-LISTEN:19,reuseaddr,fork"]),
                   subprocess.Popen(["ip", "netns", "exec", b, "socat", "TCP-LISTEN:7,reuseaddr,fork", "PIPE"])]
        time.sleep(0.5)
        try:
            return measure(a, "10.0.1.2", megabytes, round_trips)
        finally:
            for server in servers:
                server.terminate()
                server.wait()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--megabytes", type=int, default=256)
    parser.add_argument("--round-trips", type=int, default=5000)
    options = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("run as root: the benchmark makes network namespaces and tap devices")
    tool = os.path.join(ROOT, ".build/debug/swift-mirage")
    subprocess.run(["swift", "build", "--product", "swift-mirage"], cwd=ROOT, check=True, capture_output=True)
    echo = os.path.join(ROOT, "Examples/echo")
    subprocess.run([tool, "configure", "-t", "unix", "--net=direct", echo], check=True, capture_output=True)
    subprocess.run([tool, "build", echo], check=True, capture_output=True)
    image = os.path.join(echo, "dist/echo")
    guest = None
    if os.access("/dev/kvm", os.W_OK):
        subprocess.run(["swift", "build", "-c", "release", "--product", "mirage-hvt"], cwd=ROOT, check=True, capture_output=True)
        subprocess.run([tool, "configure", "-t", "hvt", echo], check=True, capture_output=True)
        subprocess.run([tool, "build", echo], check=True, capture_output=True)
        tender = os.path.join(ROOT, ".build/release/mirage-hvt")
        guest = ours(os.path.join(echo, "dist/echo.hvt"), options.megabytes, options.round_trips, tender=tender)
    else:
        print("SKIP: the hvt column: /dev/kvm is absent or not writable")
    mine, theirs = ours(image, options.megabytes, options.round_trips), kernel(options.megabytes, options.round_trips)
    na = {"bulk": float("nan"), "out": float("nan"), "rr": float("nan"), "rr99": float("nan"), "ping": float("nan")}
    vm = guest or na
    print("| what | our stack over tap (unix) | our stack in a KVM guest (hvt) | Linux over veth | unix/Linux | hvt/Linux |")
    print("|---|---|---|---|---|---|")
    for key, label in (("bulk", f"bulk TCP in (to discard), {options.megabytes} MiB"), ("out", f"bulk TCP out (from chargen), {options.megabytes} MiB")):
        print(f"| {label} | {mine[key]:.0f} Mbit/s | {vm[key]:.0f} Mbit/s | {theirs[key]:.0f} Mbit/s | {mine[key] / theirs[key]:.2f}x | {vm[key] / theirs[key]:.2f}x |")
    for key, label in (("rr", "64-byte request/response, median"), ("rr99", "64-byte request/response, p99"), ("ping", "ping RTT, mean")):
        print(f"| {label} | {mine[key] * 1e6:.0f} µs | {vm[key] * 1e6:.0f} µs | {theirs[key] * 1e6:.0f} µs | {mine[key] / theirs[key]:.2f}x | {vm[key] / theirs[key]:.2f}x |")
    if mine["allocations"]:
        per_frame, frames = mine["allocations"]
        print(f"| mallocs per frame received, bulk in ({frames} frames) | {per_frame:.2f} | | (in the kernel) | | |")
    else:
        print("| mallocs per frame received | not measured: needs perf with uprobes | | | | |")


if __name__ == "__main__":
    main()
