#!/usr/bin/env python3
"""TCP/IP benchmark: our direct stack over a tap device against the Linux kernel's stack over a
veth pair, IPv4 and IPv6, measured in the same run with the same client (DESIGN.md, "Benchmarks").

  sudo python3 Benchmarks/tcp/run.py [--megabytes 256] [--round-trips 5000] [--rounds 3] [--baseline-tender MIRAGE-HVT]
                                     [--congestion-control NAME]

Builds Examples/echo for unix with --net=direct and, where /dev/kvm is usable, for hvt (both
release; the hvt image runs under a release mirage-hvt), then in fresh network namespaces, for
each family (our stack at 10.0.0.2 and 2001:db8::2 on tap0, the kernel at 10.0.1.2 and
2001:db8:1::2 behind a veth pair):
  * bulk in: the client sends N MiB to the discard port (9) and waits for the close;
  * bulk out: the client reads N MiB from the chargen port (19);
  * request/response: 64 bytes to the echo port (7) and back, many times on one connection;
  * ping: 200 ICMP echoes 5 ms apart, and 1,000 echoes 0.2 ms apart. 5 ms apart, our stack's
    process (or the tender's threads) sleeps between echoes and is woken, often on the other CPU,
    which on this virtualised host costs tens of microseconds (pinned to the sender's CPU, the
    unix process answered in 37 µs rather than 71), where the kernel answers in the sender's own
    context; 0.2 ms apart the unix process rarely falls asleep. Benchmarks/tcp/wakeup.py splits an
    echo to a sleeping hvt guest into its steps.
The kernel's peer is a small C server compiled here (PEER_SOURCE: a thread per connection,
blocking calls, 256 KiB buffers, TCP_NODELAY for echo), which adds no copy and no process of its
own to the kernel's work, as socat did (echo through a pipe: two more system calls and a wake-up
for every message).
Linux's senders (the client in bulk in, the kernel peer in bulk out) use the host's default TCP
congestion control, or --congestion-control's (printed with the table): the choice moves both
columns, ours and the kernel's (on this project's machines the client under BBR, the default,
sent a third to a half of what it sent under CUBIC, to every receiver; docs/ARCHITECTURE.md,
"Bulk TCP into a guest"), so a ratio is only read against its own.
After a warm-up of each, ours (unix, hvt, hvt with --poll-spin=0: "hvt-nospin", and hvt with --io-spin=0: "hvt-noiospin", its I/O thread sleeping at once) and the kernel
take turns over several rounds, each round in a new order (with `--baseline-tender PATH`, another
checkout's release mirage-hvt, the hvt guest runs under it too: "hvt-baseline"); the tables give the median and the range over the rounds, with ratios
ours/kernel and, for our stack, IPv6/IPv4. For our stack it also counts, with a perf uprobe on
libc's malloc when perf is there, the allocations per frame received during "bulk in". Not a
test: no thresholds. Installs ping (iputils-ping) and gcc with apt-get when missing."""
import argparse
import os
import shutil
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # nothing written beside the shared module
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
from harness import compile_c, ensure_tools, rotated, sh, spread, tap_namespace, veth_namespaces  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CLIENT = r'''
import socket, sys, time
mode, host, amount, congestion = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
if mode == "bulk":
    s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, congestion.encode())
    s.connect((host, 9)); block = b"x" * (1 << 20)
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


# The kernel's discard (9), chargen (19) and echo (7) servers, dual-stack: each connection has a
# thread of its own making blocking calls on one 256 KiB buffer, as a C programmer would write
# them for one client at a time.
PEER_SOURCE = r"""
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
enum { BUFFER = 256 * 1024 };
struct connection { int fd, port; };
static void *serve(void *argument) {
    struct connection c = *(struct connection *)argument;
    free(argument);
    char *buffer = malloc(BUFFER);
    memset(buffer, 'x', BUFFER);
    if (c.port == 19) {
        while (send(c.fd, buffer, BUFFER, MSG_NOSIGNAL) > 0) {}
    } else if (c.port == 9) {
        while (recv(c.fd, buffer, BUFFER, 0) > 0) {}
    } else {
        int on = 1;
        setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
        ssize_t got;
        while ((got = recv(c.fd, buffer, BUFFER, 0)) > 0) {
            for (ssize_t sent = 0, n; sent < got; sent += n)
                if ((n = send(c.fd, buffer + sent, got - sent, MSG_NOSIGNAL)) <= 0) goto done;
        }
    }
done:
    close(c.fd);
    free(buffer);
    return NULL;
}
static const char *congestion;
static void *listen_on(void *argument) {
    int port = (int)(long)argument, on = 1, off = 0;
    int listener = socket(AF_INET6, SOCK_STREAM, 0);
    setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    /* Accepted connections inherit the listener's congestion control. */
    if (setsockopt(listener, IPPROTO_TCP, TCP_CONGESTION, congestion, strlen(congestion)) != 0) exit(2);
    setsockopt(listener, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off);
    struct sockaddr_in6 address = { .sin6_family = AF_INET6, .sin6_port = htons(port), .sin6_addr = IN6ADDR_ANY_INIT };
    if (bind(listener, (struct sockaddr *)&address, sizeof address) != 0 || listen(listener, 16) != 0) exit(1);
    for (;;) {
        int fd = accept(listener, NULL, NULL);
        if (fd < 0) continue;
        struct connection *c = malloc(sizeof *c);
        c->fd = fd;
        c->port = port;
        pthread_t thread;
        pthread_create(&thread, NULL, serve, c);
        pthread_detach(thread);
    }
}
int main(int argc, char **argv) {
    if (argc != 2) exit(2);
    congestion = argv[1];
    pthread_t threads[3];
    long ports[3] = { 9, 19, 7 };
    for (int i = 0; i < 3; i++) pthread_create(&threads[i], NULL, listen_on, (void *)ports[i]);
    pthread_join(threads[0], NULL);
    return 0;
}
"""


def host_congestion_control():
    with open("/proc/sys/net/ipv4/tcp_congestion_control") as file:
        return file.read().strip()


# The congestion control of Linux's senders: the client's in bulk in, the kernel peer's in bulk
# out; the host's default unless --congestion-control names another.
CONGESTION = host_congestion_control()


def client(ns, mode, host, amount):
    output = sh("ip", "netns", "exec", ns, "/usr/bin/python3", "-c", CLIENT, mode, host, str(amount), CONGESTION).stdout
    return [float(x) for x in output.split()]


def ping(ns, host, interval="0.005"):
    output = sh("ip", "netns", "exec", ns, "ping", "-c", "200" if interval == "0.005" else "1000", "-i", interval, "-q", host).stdout
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
            "rr": median, "rr99": p99, "ping": ping(ns, host), "ping-busy": ping(ns, host, "0.0002"), "allocations": allocations}


def tap_packets(ns):
    """Frames the kernel has sent out of tap0 (to our stack), each coalesced segment counting once."""
    output = sh("ip", "netns", "exec", ns, "cat", "/sys/class/net/tap0/statistics/tx_packets").stdout
    return int(output)


def malloc_counter(ns, pid):
    """Starts counting the server's malloc calls; returns a function that stops and returns
    allocations per frame received, or None where perf or its uprobes are unavailable."""
    libc = "/lib/x86_64-linux-gnu/libc.so.6"
    probe = sh("perf", "probe", "-x", libc, "--add", "malloc", check=False) if os.path.exists(libc) and shutil.which("perf") else None
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


FAMILIES = (("IPv4", "10.0.0.2", "10.0.1.2"), ("IPv6", "2001:db8::2", "2001:db8:1::2"))


def ours(image, megabytes, round_trips, tender=None, count_allocations=False, spin=True, io_spin=True):
    """One server on tap0 with both addresses; each family measured against it. Under the tender,
    `spin` false gives it --poll-spin=0 (the guest sleeps as soon as it has nothing to do);
    `io_spin` false gives it --io-spin=0 (its I/O thread sleeps at once, not looking for the guest's next frame)."""
    with tap_namespace("mirage-bench") as ns:
        command = ([tender] + ([] if spin else ["--poll-spin=0"]) + ([] if io_spin else ["--io-spin=0"]) + ["--net:service=tap0", "--", image]) if tender else [image]
        arguments = ["--ipv4=10.0.0.2/24", "--ipv6=2001:db8::2/64"]
        server = subprocess.Popen(["ip", "netns", "exec", ns, *command, *arguments], stderr=subprocess.DEVNULL)
        time.sleep(3.0)  # start, and IPv6 duplicate address detection (a random delay under 1 s, then 1 s)
        pid = int(sh("pgrep", "-n", "-f", image + " " + arguments[0]).stdout.split()[0])
        counter = (lambda: malloc_counter(ns, pid)) if count_allocations and not tender else None  # the guest's allocator is not libc's
        try:
            return {family: measure(ns, host, megabytes, round_trips, around_bulk=counter if family == "IPv4" else None)
                    for family, host, _ in FAMILIES}
        finally:
            server.terminate()
            server.wait()


def kernel(peer, megabytes, round_trips):
    with veth_namespaces("mirage-bench") as (a, b):
        server = subprocess.Popen(["ip", "netns", "exec", b, peer, CONGESTION])
        time.sleep(0.5)
        try:
            return {family: measure(a, host, megabytes, round_trips) for family, _, host in FAMILIES}
        finally:
            server.terminate()
            server.wait()


def cell(values, scale, unit):
    median, low, high = spread([v * scale for v in values])
    return f"{median:.0f} ({low:.0f}-{high:.0f}) {unit}"


def ratio(mine, theirs):
    return f"{spread(mine)[0] / spread(theirs)[0]:.2f}x" if mine and theirs else "n/a"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--megabytes", type=int, default=256)
    parser.add_argument("--round-trips", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--baseline-tender", help="another mirage-hvt (another checkout's) to run the hvt guest under beside ours")
    parser.add_argument("--congestion-control", help="Linux's TCP congestion control for the client's bulk in and the kernel peer's bulk out "
                                                      "(one of net.ipv4.tcp_available_congestion_control; the host's default otherwise)")
    options = parser.parse_args()
    global CONGESTION
    CONGESTION = options.congestion_control or CONGESTION
    if os.geteuid() != 0:
        sys.exit("run as root: the benchmark makes network namespaces and tap devices")
    ensure_tools((("ping", "iputils-ping"), ("gcc", "gcc")))
    tool = os.path.join(ROOT, ".build/debug/swift-mirage")
    subprocess.run(["swift", "build", "--product", "swift-mirage"], cwd=ROOT, check=True, capture_output=True)
    echo = os.path.join(ROOT, "Examples/echo")
    scratch = f"/tmp/mirage-bench-tcp-{os.getpid()}"
    os.makedirs(scratch, exist_ok=True)
    subprocess.run([tool, "configure", "-t", "unix", "--net=direct", echo], check=True, capture_output=True)
    subprocess.run([tool, "build", echo], check=True, capture_output=True)
    image = os.path.join(scratch, "echo")
    shutil.copy(os.path.join(echo, "dist/echo"), image)
    peer = compile_c(scratch, "kernel-peer", PEER_SOURCE, "-pthread")
    runs = {"unix": lambda warm=False: ours(image, 16 if warm else options.megabytes, 200 if warm else options.round_trips),
            "Linux": lambda warm=False: kernel(peer, 16 if warm else options.megabytes, 200 if warm else options.round_trips)}
    if os.access("/dev/kvm", os.W_OK):
        subprocess.run(["swift", "build", "-c", "release", "--product", "mirage-hvt"], cwd=ROOT, check=True, capture_output=True)
        subprocess.run([tool, "configure", "-t", "hvt", echo], check=True, capture_output=True)
        subprocess.run([tool, "build", echo], check=True, capture_output=True)
        guest = os.path.join(scratch, "echo.hvt")
        shutil.copy(os.path.join(echo, "dist/echo.hvt"), guest)
        tender = os.path.join(ROOT, ".build/release/mirage-hvt")
        runs["hvt"] = lambda warm=False: ours(guest, 16 if warm else options.megabytes, 200 if warm else options.round_trips, tender=tender)
        runs["hvt-nospin"] = lambda warm=False: ours(guest, 16 if warm else options.megabytes, 200 if warm else options.round_trips,
                                                     tender=tender, spin=False)
        runs["hvt-noiospin"] = lambda warm=False: ours(guest, 16 if warm else options.megabytes, 200 if warm else options.round_trips,
                                                       tender=tender, io_spin=False)
        if options.baseline_tender:
            other = os.path.abspath(options.baseline_tender)
            runs["hvt-baseline"] = lambda warm=False: ours(guest, 16 if warm else options.megabytes, 200 if warm else options.round_trips,
                                                           tender=other)
    else:
        print("SKIP: the hvt column: /dev/kvm is absent or not writable")
    for run in runs.values():
        run(warm=True)
    results = {name: [] for name in runs}
    names = list(runs)
    for index in range(options.rounds):
        for name in rotated(names, index):
            results[name].append(runs[name]())
    allocations = ours(image, min(options.megabytes, 128), 100, count_allocations=True)["IPv4"]["allocations"]
    shutil.rmtree(scratch, ignore_errors=True)

    def values(name, family, key):
        return [result[family][key] for result in results.get(name, [])]

    columns = [name for name in ("unix", "hvt", "hvt-nospin", "hvt-noiospin", "hvt-baseline") if name in results]
    print(f"{options.rounds} rounds after a warm-up, ours and Linux taking turns; median (range)")
    print(f"Linux's senders (the client in bulk in, the kernel peer in bulk out) use TCP congestion control {CONGESTION}"
          f" ({'set with --congestion-control' if options.congestion_control else 'the host default'}); our stack sends with its own CUBIC\n")
    print("| what | " + " | ".join(f"our stack, {name}" for name in columns) + " | Linux over veth | "
          + " | ".join(f"{name}/Linux" for name in columns) + " |")
    print("|---|" + "---|" * (2 * len(columns) + 1))
    metrics = (("bulk", f"bulk TCP in (to discard), {options.megabytes} MiB", 1, "Mbit/s"),
               ("out", f"bulk TCP out (from chargen), {options.megabytes} MiB", 1, "Mbit/s"),
               ("rr", "64-byte request/response, median", 1e6, "µs"), ("rr99", "64-byte request/response, p99", 1e6, "µs"),
               ("ping", "ping RTT every 5 ms, mean", 1e6, "µs"), ("ping-busy", "ping RTT every 0.2 ms, mean", 1e6, "µs"))
    for family, _, _ in FAMILIES:
        for key, label, scale, unit in metrics:
            cells = [cell(values(name, family, key), scale, unit) for name in columns]
            ratios = [ratio(values(name, family, key), values("Linux", family, key)) for name in columns]
            print(f"| {family}: {label} | " + " | ".join(cells) + f" | {cell(values('Linux', family, key), scale, unit)} | " + " | ".join(ratios) + " |")
    print("\nOur stack, IPv6 against IPv4 (medians; above 1 is faster for throughput, slower for times)\n")
    print("| what | " + " | ".join(f"{name} IPv6/IPv4" for name in columns) + " | Linux IPv6/IPv4 |")
    print("|---|" + "---|" * (len(columns) + 1))
    for key, label, _, _ in metrics:
        print(f"| {label} | " + " | ".join(ratio(values(name, "IPv6", key), values(name, "IPv4", key)) for name in columns + ["Linux"]) + " |")
    if allocations:
        per_frame, frames = allocations
        print(f"\nmallocs per frame received by our stack (unix), bulk in over IPv4: {per_frame:.2f} ({frames} frames)")
    else:
        print("\nmallocs per frame received: not measured (needs perf with uprobes)")


if __name__ == "__main__":
    main()
