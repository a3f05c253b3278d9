#!/usr/bin/env python3
"""User-space instructions per request: the website (unix --net=socket) against nginx (one
worker, as Benchmarks/http configures it, with sendfile off and on), each under valgrind's
callgrind on the same loopback, counted over a wrk run after a warm-up (DESIGN.md, "Benchmarks").

  sudo python3 Benchmarks/http/instructions.py [--seconds 4] [--rounds 3] [--connections 10] [--top 0]
                                               [--baseline IMAGE]

Both servers make the same system calls per request on host sockets (a recv and a send, an
epoll_wait per several requests; nginx adds a pread when sendfile is off), so what differs is the
work of the request path itself: parsing, the response, allocation, the runtime. The count is
instructions executed in the server's process outside the kernel (callgrind does not see the
kernel), divided by the requests wrk completed while counting; it does not depend on the
machine's load, unlike a rate. The servers take turns over the rounds; the table gives the
median and the range, and the ratio to nginx's lower median of its two sendfile settings.
`--top N` lists our N costliest functions (self instructions per request) of the last round;
`--baseline IMAGE` counts another checkout's unix --net=socket website in the same rounds.
Installs valgrind, wrk, nginx-light and curl with apt-get when missing. Not a test: no thresholds."""
import argparse
import os
import re
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
import callgrind  # noqa: E402
from harness import build_example, ensure_tools, namespace, nginx_config, rotated, sh, spread  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SITE = os.path.join(ROOT, "Examples/static-website")


def wait_for(ns, port, process, seconds=60):
    """Waits until the server on 127.0.0.1:`port` answers (slowly, under callgrind)."""
    for _ in range(seconds * 4):
        if process.poll() is not None:
            raise RuntimeError(f"the server on port {port} exited with {process.returncode}")
        if subprocess.run(["ip", "netns", "exec", ns, "curl", "-s", "-o", "/dev/null", "-m", "1",
                           f"http://127.0.0.1:{port}/"], capture_output=True).returncode == 0:
            return
        time.sleep(0.25)
    raise RuntimeError(f"nothing answered on port {port}")


def wrk(ns, port, seconds, connections):
    output = sh("ip", "netns", "exec", ns, "wrk", "-t1", f"-c{connections}", f"-d{seconds}s", f"http://127.0.0.1:{port}/").stdout
    return int(re.search(r"(\d+) requests in", output).group(1))


def count(ns, command, port, scratch, seconds, connections):
    """`command` (serving on `port`) under callgrind: its instructions per request over one wrk
    run after a 2 s warm-up, and its functions' self costs per request."""
    return callgrind.count(ns, command, scratch, str(port), lambda server: wait_for(ns, port, server),
                           lambda warm_up: wrk(ns, port, warm_up or seconds, connections), warm_up=2)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=10)
    parser.add_argument("--top", type=int, default=0)
    parser.add_argument("--baseline", help="a unix --net=socket website image to count beside ours")
    options = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("run as root: the benchmark makes a network namespace")
    ensure_tools((("valgrind", "valgrind"), ("wrk", "wrk"), ("nginx", "nginx-light"), ("curl", "curl")))
    tool = os.path.join(ROOT, ".build/debug/swift-mirage")
    sh("swift", "build", "--product", "swift-mirage", cwd=ROOT)
    scratch = tempfile.mkdtemp(prefix="mirage-instructions-")
    ns = f"mirage-instructions-{os.getpid()}"
    try:
        image = build_example(tool, SITE, "unix", "socket", scratch)
        # Without its DWARF, which valgrind's reader refuses for Swift images; the symbols stay.
        sh("strip", "-g", image)
        servers = {"ours": lambda port: [image, f"--port={port}", "-l", "http:warning"],
                   "nginx, sendfile off": lambda port: nginx_config(scratch, os.path.join(SITE, "htdocs"), port, sendfile=False),
                   "nginx, sendfile on": lambda port: nginx_config(scratch, os.path.join(SITE, "htdocs"), port, sendfile=True)}
        if options.baseline:
            baseline = os.path.join(scratch, "baseline")
            sh("strip", "-g", "-o", baseline, os.path.abspath(options.baseline))
            servers["baseline"] = lambda port: [baseline, f"--port={port}", "-l", "http:warning"]
        namespace(ns)
        results = {name: [] for name in servers}
        last = {}
        names = list(servers)
        for index in range(options.rounds):
            for offset, name in enumerate(rotated(names, index)):
                port = 8180 + offset
                per_request, functions = count(ns, servers[name](port), port, scratch, options.seconds, options.connections)
                results[name].append(per_request)
                last[name] = functions
        print(f"callgrind, wrk -t1 -c{options.connections} -d{options.seconds}s after a 2 s warm-up, GET / (279 bytes) "
              f"over 127.0.0.1, {options.rounds} rounds taking turns; user-space instructions per request\n")
        nginx = min(spread(results["nginx, sendfile off"])[0], spread(results["nginx, sendfile on"])[0])
        print("| server | instructions per request, median (range) | ratio to nginx's lower median |\n|---|---|---|")
        for name in names:
            median, low, high = spread(results[name])
            print(f"| {name} | {median:,.0f} ({low:,.0f}-{high:,.0f}) | {median / nginx:.2f}x |")
        if options.top:
            print(f"\nOur costliest functions (self instructions per request, last round)\n\n| instructions | function |\n|---|---|")
            top = sorted(last["ours"].items(), key=lambda item: -item[1])[:options.top]
            for (function, cost), name in zip(top, callgrind.demangled([function for function, _ in top])):
                print(f"| {cost:,.0f} | `{name[:120]}` |")
    finally:
        sh("ip", "netns", "delete", ns, check=False)
        subprocess.run(["rm", "-rf", scratch])


if __name__ == "__main__":
    main()
