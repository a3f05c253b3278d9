#!/usr/bin/env python3
"""User-space instructions per DNS query: Examples/dns-server (unix --net=socket) against Knot and
NSD (one worker each, configured as Benchmarks/dns/run.py configures them), each under valgrind's
callgrind on the same loopback, counted over a dnsperf run after a warm-up (DESIGN.md,
"Benchmarks").

  sudo python3 Benchmarks/dns/instructions.py [--seconds 4] [--rounds 3] [--outstanding 20]
                                              [--mixes repeating,distinct] [--top 0] [--baseline IMAGE]

All three receive and send each query over UDP on host sockets (batched with recvmmsg and
sendmmsg where the server does), so what differs is mostly the work of the query path itself:
parsing, the lookup, the answer, allocation, the runtime. The count is the
instructions executed in the server's processes outside the kernel (callgrind does not see the
kernel; NSD's serving child is followed through its fork), divided by the queries dnsperf
completed while counting. The mixes are run.py's: "repeating", the example zone's 16 queries in
turn (ours answers them from its response cache after the first pass), and "distinct", 50,000
names under the zone's wildcard (each worked out). The servers take turns over the rounds; the
table gives the median and the range, and the ratio to the lower median of Knot and NSD.
`--top N` lists our N costliest functions (self instructions per query, last round, per mix);
`--baseline IMAGE` counts another checkout's --net=socket dns-server in the same rounds.
Installs valgrind, dnsperf, knot and nsd with apt-get when missing. Not a test: no thresholds."""
import argparse
import os
import re
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "common"))
sys.path.insert(0, HERE)
import callgrind  # noqa: E402
from harness import build_example, ensure_tools, namespace, rotated, sh, spread  # noqa: E402
from run import EXAMPLE, KNOT_SETTINGS, NSD_SETTINGS, ROOT, answers, knot, nsd, query_files  # noqa: E402


def wait_for(ns, port, process, seconds=90):
    """Waits until the server on 127.0.0.1:`port` answers (slowly, under callgrind)."""
    for _ in range(seconds * 4):
        if process.poll() is not None:
            raise RuntimeError(f"the server on port {port} exited with {process.returncode}")
        if answers(ns, "127.0.0.1", port):
            return
        time.sleep(0.25)
    raise RuntimeError(f"nothing answered on port {port}")


def dnsperf(ns, port, queries, seconds, outstanding):
    """The queries one dnsperf run over UDP completed."""
    output = sh("ip", "netns", "exec", ns, "dnsperf", "-s", "127.0.0.1", "-p", str(port), "-m", "udp", "-d", queries,
                "-l", str(seconds), "-c", "1", "-q", str(outstanding), "-t", "5").stdout
    return int(re.search(r"Queries completed:\s+(\d+)", output).group(1))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--outstanding", type=int, default=20)
    parser.add_argument("--mixes", default="repeating,distinct")
    parser.add_argument("--top", type=int, default=0)
    parser.add_argument("--baseline", help="a unix --net=socket dns-server image to count beside ours")
    options = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("run as root: the benchmark makes a network namespace")
    ensure_tools((("valgrind", "valgrind"), ("dnsperf", "dnsperf"), ("knotd", "knot"), ("nsd", "nsd")))
    tool = os.path.join(ROOT, ".build/debug/swift-mirage")
    sh("swift", "build", "--product", "swift-mirage", cwd=ROOT)
    scratch = tempfile.mkdtemp(prefix="mirage-dns-instructions-")
    ns = f"mirage-dns-instructions-{os.getpid()}"
    queries = query_files(scratch)
    try:
        image = build_example(tool, EXAMPLE, "unix", "socket", scratch)
        # Without its DWARF, which valgrind's reader refuses for Swift images; the symbols stay.
        sh("strip", "-g", image)
        servers = {"ours": lambda port: [image, f"--port={port}"],
                   "Knot": lambda port: knot(scratch, "127.0.0.1", port),
                   "NSD": lambda port: nsd(scratch, "127.0.0.1", port)}
        if options.baseline:
            baseline = os.path.join(scratch, "baseline")
            sh("strip", "-g", "-o", baseline, os.path.abspath(options.baseline))
            servers["baseline"] = lambda port: [baseline, f"--port={port}"]
        namespace(ns)
        mixes = options.mixes.split(",")
        names = list(servers)
        results = {(name, mix): [] for name in names for mix in mixes}
        last = {}
        for index in range(options.rounds):
            for offset, name in enumerate(rotated(names, index)):
                port = 5353 + offset
                for mix in mixes:
                    per_query, functions = callgrind.count(
                        ns, servers[name](port), scratch, f"{port}", lambda server: wait_for(ns, port, server),
                        lambda warm_up: dnsperf(ns, port, queries[mix], warm_up or options.seconds, options.outstanding), warm_up=2)
                    results[(name, mix)].append(per_query)
                    last[(name, mix)] = functions
        print(f"callgrind, dnsperf -c1 -q{options.outstanding} -l{options.seconds} over UDP after a 2 s warm-up, on "
              f"127.0.0.1, {options.rounds} rounds taking turns; user-space instructions per query, every process of "
              "the server\n")
        print("Knot: " + KNOT_SETTINGS + "\nNSD: " + NSD_SETTINGS + "\n")
        for mix in mixes:
            peers = min(spread(results[("Knot", mix)])[0], spread(results[("NSD", mix)])[0])
            print(f"queries \"{mix}\"\n\n| server | instructions per query, median (range) | ratio to the lower of Knot's and NSD's |\n|---|---|---|")
            for name in names:
                median, low, high = spread(results[(name, mix)])
                print(f"| {name} | {median:,.0f} ({low:,.0f}-{high:,.0f}) | {median / peers:.2f}x |")
            print()
            if options.top:
                print(f"Our costliest functions, \"{mix}\" (self instructions per query, last round)\n\n| instructions | function |\n|---|---|")
                top = sorted(last[("ours", mix)].items(), key=lambda item: -item[1])[:options.top]
                for (function, cost), name in zip(top, callgrind.demangled([function for function, _ in top])):
                    print(f"| {cost:,.0f} | `{name[:120]}` |")
                print()
    finally:
        sh("ip", "netns", "delete", ns, check=False)
        subprocess.run(["rm", "-rf", scratch])


if __name__ == "__main__":
    main()
