#!/usr/bin/env python3
"""Attack benchmark (issue 13): a legitimate client's requests per second and latency while one
class of attack arrives at full rate, against the same run without attack, and the server's peak
memory; the static website on our stack against nginx on the Linux kernel under the same attacks,
measured in the same run (DESIGN.md, "Benchmarks").

  sudo python3 Benchmarks/attack/run.py [--seconds 5] [--rounds 3] [--connections 10] [--rate 100000]
                                        [--classes none,syn,sack,fragments,path-mtu,arp,arp-on-link]

Servers, each in fresh network namespaces:
  * ours, unix: Examples/static-website on our stack (--net=direct) on tap0 as 10.0.0.2;
  * ours, hvt (where /dev/kvm is usable): the same as a KVM guest under a release mirage-hvt
    with --mem=32;
  * nginx (one worker, as Benchmarks/http configures it) on the Linux kernel at 10.0.1.2 behind a
    veth pair.
The legitimate client is wrk (one thread, N keep-alive connections, GET /) in the client's
namespace. The attacker is floods.py in the same namespace: frames built once, sent round and round
from a raw socket by one process (the same generator for both servers; its rate is in the table).

The attack rate is the same for both, 100,000 frames/s by default. At full rate (`--rate 0`) the
comparison measures the devices rather than the stacks: a write to a veth runs the receiving
kernel's whole input path in the sender's context, so the generator slows to what nginx's kernel
takes and no real client's frame is ever lost to the flood, while a tap device queues the frames
for its reader and drops what overflows its queue (1,000 frames), real clients' included.
Each measurement starts a fresh server, warms it with one second of wrk, starts the flood, runs wrk
for S seconds, then stops both. Rounds alternate ours and nginx for every class; tables give the
median and the spread (min-max) over the rounds.

Peak memory: for our unix process and for the tender (whose figure includes every guest page the
guest touched) the kernel's high-water mark of the process's resident memory (VmHWM); for nginx,
its VmHWM plus the peak of what its network namespace's kernel held for it, sampled every 50 ms
from /proc/PID/net/sockstat (TCP and UDP buffer pages and fragment memory). Not a test: no
thresholds; goal (issue 13): the client keeps at least half its unattacked rate."""
import argparse
import importlib.util
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "common"))
from harness import build_example, ensure_tools, sh, stop, tap_namespace, veth_namespaces  # noqa: E402

spec = importlib.util.spec_from_file_location("http_benchmark", os.path.join(HERE, "..", "http", "run.py"))
http = importlib.util.module_from_spec(spec)
spec.loader.exec_module(http)

ROOT = os.path.dirname(os.path.dirname(HERE))
SITE = os.path.join(ROOT, "Examples/static-website")
CLASSES = ["none", "syn", "sack", "fragments", "path-mtu", "arp", "arp-on-link"]
PYTHON = "/usr/bin/python3"  # the interpreter apt installed scapy into


class PeakMemory:
    """Samples a process's resident memory and, optionally, its namespace's kernel socket and
    fragment memory, every 50 ms in a thread; `stop()` returns the peak in bytes."""

    def __init__(self, pid, kernel):
        self.pid, self.kernel, self.peak_kernel = pid, kernel, 0
        self.running = True
        self.thread = threading.Thread(target=self.sample, daemon=True)
        self.thread.start()

    def kernel_bytes(self):
        text = open(f"/proc/{self.pid}/net/sockstat").read()
        pages = sum(int(x) for x in re.findall(r"(?:TCP|UDP):.*? mem (\d+)", text))
        fragments = sum(int(x) for x in re.findall(r"FRAG: inuse \d+ memory (\d+)", text))
        return pages * 4096 + fragments

    def sample(self):
        while self.running:
            try:
                if self.kernel:
                    self.peak_kernel = max(self.peak_kernel, self.kernel_bytes())
            except OSError:
                pass
            time.sleep(0.05)

    def stop(self):
        self.running = False
        self.thread.join()
        try:
            status = open(f"/proc/{self.pid}/status").read()
            resident = int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) * 1024
        except (OSError, AttributeError):
            resident = 0
        return resident + self.peak_kernel


def flood(ns, kind, interface, target, mac, port, seconds, rate):
    """Starts floods.py; returns the process once its frames are built and it sends."""
    process = subprocess.Popen(["ip", "netns", "exec", ns, PYTHON, os.path.join(HERE, "floods.py"), kind, interface, target, mac,
                                str(port), str(seconds), str(rate)], stdout=subprocess.PIPE, text=True)
    line = process.stdout.readline()
    if "ready" not in line:
        process.wait()
        raise RuntimeError(f"the {kind} generator did not start")
    return process


def measure(client_ns, interface, target, server, kernel_memory, kind, seconds, connections, rate):
    """One measurement against a started server: warm-up, then wrk with the flood running."""
    url = f"http://{target}/"
    http.wrk(client_ns, url, 1, connections)
    mac = target_mac(client_ns, target)
    memory = PeakMemory(server.pid, kernel_memory)
    generator = flood(client_ns, kind, interface, target, mac, 80, seconds + 1, rate) if kind != "none" else None
    try:
        try:
            result = http.wrk(client_ns, url, seconds, connections)
        except subprocess.CalledProcessError as error:  # wrk gives up when no connection succeeds
            print(f"wrk failed: {error.stdout} {error.stderr}", file=sys.stderr)
            result = {"rate": 0.0, "p50": float("nan"), "p99": float("nan"), "errors": -1}
    finally:
        rate = 0.0
        if generator:
            output = generator.communicate()[0]
            match = re.search(r"sent \d+ ([\d.]+)", output)
            rate = float(match.group(1)) if match else 0.0
    result["memory"] = memory.stop()
    result["flood"] = rate
    result["alive"] = server.poll() is None
    return result


def target_mac(ns, target):
    output = sh("ip", "netns", "exec", ns, "ip", "neigh", "show", target).stdout
    match = re.search(r"lladdr ([0-9a-f:]{17})", output)
    if not match:
        raise RuntimeError(f"no neighbour entry for {target}: {output}")
    return match.group(1)


def ours(command, kind, seconds, connections, rate):
    with tap_namespace("mirage-attack") as ns:
        server = http.start(ns, command + ["--ipv4=10.0.0.2/24", *http.QUIET], "10.0.0.2", 80)
        try:
            return measure(ns, "tap0", "10.0.0.2", server, False, kind, seconds, connections, rate)
        finally:
            stop(server)


def nginx(scratch, kind, seconds, connections, rate):
    with veth_namespaces("mirage-attack") as (a, b):
        server = subprocess.Popen(["ip", "netns", "exec", b, *http.nginx_config(scratch, 80)], stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        try:
            http.wait_for(a, "10.0.1.2", 80, server)
            return measure(a, "veth-a", "10.0.1.2", server, True, kind, seconds, connections, rate)
        finally:
            stop(server)


def spread(values, scale=1.0, digits=0):
    values = [v * scale for v in values]
    return f"{statistics.median(values):.{digits}f} ({min(values):.{digits}f}-{max(values):.{digits}f})"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=10)
    parser.add_argument("--classes", default=",".join(CLASSES))
    parser.add_argument("--rate", type=int, default=100000, help="attack frames per second; 0: as fast as one process sends")
    options = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("run as root: the benchmark makes network namespaces and tap devices")
    ensure_tools((("wrk", "wrk"), ("nginx", "nginx-light")))
    if subprocess.run([PYTHON, "-c", "import scapy"], capture_output=True).returncode != 0:
        ensure_tools((("scapy", "python3-scapy"),))
    classes = options.classes.split(",")
    tool = os.path.join(ROOT, ".build/debug/swift-mirage")
    sh("swift", "build", "--product", "swift-mirage", cwd=ROOT)
    scratch = tempfile.mkdtemp(prefix="mirage-attack-")
    servers = {"ours, unix": [build_example(tool, SITE, "unix", "direct", scratch)]}
    if os.access("/dev/kvm", os.W_OK):
        sh("swift", "build", "-c", "release", "--product", "mirage-hvt", cwd=ROOT)
        guest = build_example(tool, SITE, "hvt", "direct", scratch)
        servers["ours, hvt"] = [os.path.join(ROOT, ".build/release/mirage-hvt"), "--mem=32", "--net:service=tap0", "--", guest]
    else:
        print("SKIP: the hvt rows: /dev/kvm is absent or not writable")
    names = list(servers) + ["nginx"]
    results = {(name, kind): [] for name in names for kind in classes}
    for round_index in range(options.rounds):
        for kind in classes:
            order = names if round_index % 2 == 0 else list(reversed(names))
            for name in order:
                if name == "nginx":
                    result = nginx(scratch, kind, options.seconds, options.connections, options.rate)
                else:
                    result = ours(servers[name], kind, options.seconds, options.connections, options.rate)
                results[(name, kind)].append(result)
                print(f"  {name}, {kind}: {result['rate']:.0f} requests/s, {result['errors']} errors, "
                      f"{result['memory'] / (1 << 20):.1f} MiB, flood {result['flood']:.0f} frames/s", file=sys.stderr, flush=True)
        print(f"round {round_index + 1} done", file=sys.stderr, flush=True)

    offered = f"{options.rate} frames/s" if options.rate else "as fast as one process sends"
    print(f"wrk -t1 -c{options.connections} -d{options.seconds}s GET / (279 bytes) while one generator floods at {offered}; "
          f"{options.rounds} alternated rounds, median (min-max)\n")
    print("| server | attack | requests/s | kept of unattacked | median µs | p99 µs | errors | peak memory MiB | flood frames/s | server alive |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name in names:
        base = statistics.median([r["rate"] for r in results[(name, "none")]]) if "none" in classes else float("nan")
        for kind in classes:
            runs = results[(name, kind)]
            kept = statistics.median([r["rate"] for r in runs]) / base if base else float("nan")
            print(f"| {name} | {kind} | {spread([r['rate'] for r in runs])} | {kept:.2f} | {spread([r['p50'] for r in runs], 1e6)} | "
                  f"{spread([r['p99'] for r in runs], 1e6)} | {sum(r['errors'] for r in runs)} | "
                  f"{spread([r['memory'] for r in runs], 1 / (1 << 20), 1)} | {spread([r['flood'] for r in runs])} | "
                  f"{all(r['alive'] for r in runs)} |")
    print("\nkept: the median rate under attack over the median without; ours/nginx ratios of the 'none' rows are in "
          "Benchmarks/http. Peak memory: see the header of this script for what it counts.")


if __name__ == "__main__":
    main()
