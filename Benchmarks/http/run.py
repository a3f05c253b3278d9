#!/usr/bin/env python3
"""Static website benchmark: Examples/static-website against nginx (one worker) serving the same
files, measured with wrk in the same run, on the same paths (DESIGN.md, "Benchmarks").

  sudo python3 Benchmarks/http/run.py [--seconds 5] [--connections 10] [--rounds 5] [--baseline IMAGE]
                                     [--baseline-tender MIRAGE-HVT] [--baseline-direct IMAGE]
                                     [--baseline-guest IMAGE]

Installs wrk, nginx-light and curl with apt-get when missing. Builds the website for unix with the host's
sockets (--net=socket) and with our stack (--net=direct), and for hvt where /dev/kvm is usable (all
release; the guest runs under a release mirage-hvt), then, in fresh network namespaces:
  * host sockets: our website and nginx on 127.0.0.1 and ::1 in one namespace;
  * our stack: the website on a tap device (10.0.0.2 and 2001:db8::2), as a process and as a KVM
    guest (with the tender's defaults, with --poll-spin=0, and with --io-spin=0), against nginx in a second namespace behind a veth pair (10.0.1.2 and 2001:db8:1::2),
    wrk in the first namespace; each over IPv4 and over IPv6.
wrk runs one thread with N keep-alive connections for S seconds per row, fetching `/` (the
279-byte index.html). After a warm-up (in which nginx serves with sendfile on and off, alternated, and the faster is
kept: it depends on the page's size), the rows take turns over several rounds (--rounds, 5), each
round in a new order; the table gives medians and the range of requests/s, and the median CPU time
(user and system, from /proc) the server process spent per request: on host sockets, where both
servers make the same system calls, the cost of the request path itself; in a guest, the tender's
process with the vCPU in it (the kernel's softirq work is charged to whichever process was
running, so it is a guide, not an instruction count). With `--baseline IMAGE` (the website built
for unix --net=socket from another checkout) that image serves on host sockets too, in the same
rounds: a change's before and after, side by side; with `--baseline-tender PATH` (another checkout's
release mirage-hvt) the hvt guest runs under that tender too, in the same rounds; with
`--baseline-direct IMAGE` (its --net=direct website) and `--baseline-guest IMAGE` (its hvt guest,
under this checkout's tender) the other checkout's stack serves on tap and in a guest too. Our per-request log line is turned off (`-l http:warning`), as nginx's
access log is. Then it finds the smallest `--mem` (MiB) with which the hvt website still serves a
short wrk run without errors, and lists image sizes. Prints tables with ratios ours/nginx. Not a
test: no thresholds."""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # nothing written beside the shared module
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
from harness import build_example, cpu_seconds, ensure_tools, namespace, rotated, sh, smallest_passing, spread, stop, tap_namespace, veth_namespaces  # noqa: E402
from harness import nginx_config as harness_nginx_config, nginx_settings  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SITE = os.path.join(ROOT, "Examples/static-website")
QUIET = ["-l", "http:warning"]


def wrk(ns, url, seconds, connections, server=None):
    """Requests/s, median and p99 latency (seconds), errors, and the CPU time the `server` process
    spent per request (user and system, from /proc: the work each server does for a request where
    both make the same system calls; NaN without `server`) of one wrk run."""
    before = cpu_seconds(server.pid) if server else None
    output = sh("ip", "netns", "exec", ns, "wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", url).stdout
    requests = int(re.search(r"(\d+) requests in", output).group(1))
    cpu = (cpu_seconds(server.pid) - before) / max(requests, 1) if server else float("nan")
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    latency = {}
    for percentile in ("50", "99"):
        match = re.search(rf"\s{percentile}%\s+([\d.]+)(us|ms|s)\b", output)
        latency[percentile] = float(match.group(1)) * {"us": 1e-6, "ms": 1e-3, "s": 1.0}[match.group(2)] if match else float("nan")
    errors = 0
    for match in re.finditer(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output):
        errors += sum(int(x) for x in match.groups())
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors += int(non2xx.group(1)) if non2xx else 0
    return {"rate": rate, "p50": latency["50"], "p99": latency["99"], "errors": errors, "cpu": cpu}


def wait_for(ns, host, port, process, seconds=20):
    for _ in range(seconds * 20):
        if process.poll() is not None:
            raise RuntimeError(f"the server on {host}:{port} exited with {process.returncode}")
        probe = subprocess.run(["ip", "netns", "exec", ns, "curl", "-s", "-o", "/dev/null", "-m", "1",
                                f"http://{bracketed(host)}:{port}/"], capture_output=True)
        if probe.returncode == 0:
            return
        time.sleep(0.05)
    raise RuntimeError(f"nothing answered on {host}:{port}")


def bracketed(host):
    return f"[{host}]" if ":" in host else host


def start(ns, command, host, port):
    process = subprocess.Popen(["ip", "netns", "exec", ns, *command], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for(ns, host, port, process)
    return process


# Whether the nginx peer uses sendfile: set by `faster_sendfile` in the warm-up.
NGINX = {"sendfile": True}


def nginx_config(directory, port, sendfile=None):
    """A one-worker nginx serving the website's folder (harness.nginx_config), with sendfile as
    the warm-up found faster unless `sendfile` says."""
    return harness_nginx_config(directory, os.path.join(SITE, "htdocs"), port,
                                sendfile=NGINX["sendfile"] if sendfile is None else sendfile)


def faster_sendfile(scratch, seconds, connections):
    """nginx with sendfile on and off, alternated twice on loopback: which serves the page faster
    (the mean of its runs), and each setting's requests/s."""
    ns = f"mirage-http-sendfile-{os.getpid()}"
    namespace(ns)
    rates = {True: [], False: []}
    try:
        for sendfile in (True, False, False, True):
            server = start(ns, nginx_config(scratch, 8082, sendfile=sendfile), "127.0.0.1", 8082)
            try:
                rates[sendfile].append(wrk(ns, "http://127.0.0.1:8082/", seconds, connections)["rate"])
            finally:
                stop(server)
    finally:
        sh("ip", "netns", "delete", ns, check=False)
    best = max(rates, key=lambda setting: sum(rates[setting]) / len(rates[setting]))
    return best, rates


def host_sockets(image, scratch, seconds, connections, baseline=None):
    """Our website (host sockets), nginx and the baseline image if any in one namespace; wrk over
    127.0.0.1 and ::1. Per family: (ours, nginx, baseline or None)."""
    ns = f"mirage-http-{os.getpid()}"
    namespace(ns)
    try:
        ours = start(ns, [image, "--port=8080", *QUIET], "127.0.0.1", 8080)
        theirs = start(ns, nginx_config(scratch, 8081), "127.0.0.1", 8081)
        before = start(ns, [baseline, "--port=8083", *QUIET], "127.0.0.1", 8083) if baseline else None
        try:
            return {family: (wrk(ns, f"http://{host}:8080/", seconds, connections, ours),
                             wrk(ns, f"http://{host}:8081/", seconds, connections, theirs),
                             wrk(ns, f"http://{host}:8083/", seconds, connections, before) if before else None)
                    for family, host in (("IPv4", "127.0.0.1"), ("IPv6", "[::1]"))}
        finally:
            for process in (ours, theirs, before):
                if process:
                    stop(process)
    finally:
        sh("ip", "netns", "delete", ns, check=False)


def on_tap(command, seconds, connections, families=("IPv4", "IPv6")):
    """Runs `command` (our stack on tap0, as 10.0.0.2 and 2001:db8::2) in a fresh namespace; its
    wrk figures per family."""
    with tap_namespace("mirage-http-tap") as ns:
        server = start(ns, command + ["--ipv4=10.0.0.2/24", "--ipv6=2001:db8::2/64", *QUIET], "10.0.0.2", 80)
        try:
            wait_for(ns, "2001:db8::2", 80, server)
            hosts = {"IPv4": "10.0.0.2", "IPv6": "[2001:db8::2]"}
            return {family: wrk(ns, f"http://{hosts[family]}/", seconds, connections, server) for family in families}
        finally:
            stop(server)


def nginx_on_veth(scratch, seconds, connections):
    with veth_namespaces("mirage-http") as (a, b):
        server = subprocess.Popen(["ip", "netns", "exec", b, *nginx_config(scratch, 80)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_for(a, "10.0.1.2", 80, server)
            wait_for(a, "2001:db8:1::2", 80, server)
            return {family: wrk(a, f"http://{host}/", seconds, connections, server)
                    for family, host in (("IPv4", "10.0.1.2"), ("IPv6", "[2001:db8:1::2]"))}
        finally:
            stop(server)


def smallest_memory(tender, guest, connections):
    """The smallest --mem (MiB) with which the guest serves a 2-second wrk run without errors."""
    def serves(mebibytes):
        try:
            result = on_tap([tender, f"--mem={mebibytes}", "--net:service=tap0", "--", guest], 2, connections, families=("IPv4",))["IPv4"]
            return result["errors"] == 0 and result["rate"] > 0
        except (RuntimeError, AttributeError, subprocess.CalledProcessError):
            return False
    return smallest_passing(serves, 1, 64)


def row(label, mine, theirs):
    """A table row from the rounds' figures of ours and nginx: median (range) requests/s, the
    ratio of the medians, median latencies and errors summed."""
    def rate(results):
        median, low, high = spread([result["rate"] for result in results])
        return median, f"{median:.0f} ({low:.0f}-{high:.0f})"
    mine_rate, mine_text = rate(mine)
    their_rate, their_text = rate(theirs)
    ratio = mine_rate / their_rate if their_rate else float("nan")
    p50 = (spread([r["p50"] for r in mine])[0], spread([r["p50"] for r in theirs])[0])
    p99 = (spread([r["p99"] for r in mine])[0], spread([r["p99"] for r in theirs])[0])
    cpu = (spread([r["cpu"] for r in mine])[0], spread([r["cpu"] for r in theirs])[0])
    errors = f"{sum(r['errors'] for r in mine)} / {sum(r['errors'] for r in theirs)}"
    return (f"| {label} | {mine_text} | {their_text} | {ratio:.2f}x | "
            f"{p50[0] * 1e6:.0f} / {p50[1] * 1e6:.0f} | {p99[0] * 1e6:.0f} / {p99[1] * 1e6:.0f} | "
            f"{cpu[0] * 1e6:.1f} / {cpu[1] * 1e6:.1f} | {errors} |")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--baseline", help="a unix --net=socket website image to measure beside ours on host sockets")
    parser.add_argument("--baseline-tender", help="another mirage-hvt (another checkout's) to run the hvt guest under beside ours")
    parser.add_argument("--baseline-direct", help="a unix --net=direct website image to measure beside ours on tap")
    parser.add_argument("--baseline-guest", help="an hvt website guest to measure beside ours under the same tender")
    options = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("run as root: the benchmark makes network namespaces and tap devices")
    ensure_tools((("wrk", "wrk"), ("nginx", "nginx-light"), ("curl", "curl")))
    tool = os.path.join(ROOT, ".build/debug/swift-mirage")
    sh("swift", "build", "--product", "swift-mirage", cwd=ROOT)
    scratch = tempfile.mkdtemp(prefix="mirage-http-")
    try:
        socket_image = build_example(tool, SITE, "unix", "socket", scratch)
        direct_image = build_example(tool, SITE, "unix", "direct", scratch)
        guest = tender = None
        if os.access("/dev/kvm", os.W_OK):
            sh("swift", "build", "-c", "release", "--product", "mirage-hvt", cwd=ROOT)
            tender = os.path.join(ROOT, ".build/release/mirage-hvt")
            guest = build_example(tool, SITE, "hvt", "direct", scratch)
        else:
            print("SKIP: the hvt rows: /dev/kvm is absent or not writable")
        seconds, connections = options.seconds, options.connections
        baseline = os.path.abspath(options.baseline) if options.baseline else None
        runs = {"sockets": lambda s: host_sockets(socket_image, scratch, s, connections, baseline),
                "tap": lambda s: on_tap([direct_image], s, connections),
                "nginx": lambda s: nginx_on_veth(scratch, s, connections)}
        if options.baseline_direct:
            baseline_direct = os.path.abspath(options.baseline_direct)
            runs["tap-baseline"] = lambda s: on_tap([baseline_direct], s, connections)
        if guest:
            runs["hvt"] = lambda s: on_tap([tender, "--net:service=tap0", "--", guest], s, connections)
            runs["hvt-nospin"] = lambda s: on_tap([tender, "--poll-spin=0", "--net:service=tap0", "--", guest], s, connections)
            runs["hvt-noiospin"] = lambda s: on_tap([tender, "--io-spin=0", "--net:service=tap0", "--", guest], s, connections)
            if options.baseline_tender:
                other = os.path.abspath(options.baseline_tender)
                runs["hvt-baseline"] = lambda s: on_tap([other, "--net:service=tap0", "--", guest], s, connections)
            if options.baseline_guest:
                baseline_guest = os.path.abspath(options.baseline_guest)
                runs["hvt-baseline-guest"] = lambda s: on_tap([tender, "--net:service=tap0", "--", baseline_guest], s, connections)
        for run in runs.values():
            run(1)  # warm-up
        NGINX["sendfile"], sendfile_rates = faster_sendfile(scratch, 2, connections)
        results = {name: [] for name in runs}
        names = list(runs)
        for index in range(options.rounds):
            for name in rotated(names, index):
                results[name].append(runs[name](seconds))

        def figures(name, family, side=None):
            return [result[family] if side is None else result[family][side] for result in results[name]]

        print(f"wrk -t1 -c{connections} -d{seconds}s, GET / (279 bytes), keep-alive; {options.rounds} rounds after a warm-up, "
              "taking turns; requests/s as median (range)\n")
        print("nginx: " + nginx_settings(NGINX["sendfile"]) + " (sendfile "
              + ", ".join(f"{'on' if setting else 'off'}: {' / '.join(f'{rate:.0f}' for rate in rates)} requests/s"
                          for setting, rates in sendfile_rates.items()) + " in the warm-up; the faster kept)\n")
        print("| path | ours, requests/s | nginx, requests/s | ours/nginx | median latency µs, ours / nginx | p99 µs, ours / nginx "
              "| server CPU µs per request, ours / nginx | errors, ours / nginx |")
        print("|---|---|---|---|---|---|---|---|")
        for family, loopback in (("IPv4", "127.0.0.1"), ("IPv6", "::1")):
            print(row(f"{family}: host sockets, {loopback} (unix --net=socket)", figures("sockets", family, 0), figures("sockets", family, 1)))
            if baseline:
                print(row(f"{family}: host sockets, the baseline image ({os.path.basename(baseline)})",
                          figures("sockets", family, 2), figures("sockets", family, 1)))
            print(row(f"{family}: our stack on tap (unix --net=direct) / nginx on Linux over veth", figures("tap", family), figures("nginx", family)))
            if "tap-baseline" in results:
                print(row(f"{family}: the baseline image on tap ({os.path.basename(options.baseline_direct)})",
                          figures("tap-baseline", family), figures("nginx", family)))
            if guest:
                print(row(f"{family}: our stack in a KVM guest on tap (hvt) / nginx on Linux over veth", figures("hvt", family), figures("nginx", family)))
                print(row(f"{family}: the same, the guest never spinning (hvt --poll-spin=0)", figures("hvt-nospin", family), figures("nginx", family)))
                print(row(f"{family}: the same, the tender's I/O thread sleeping at once (hvt --io-spin=0)", figures("hvt-noiospin", family), figures("nginx", family)))
                if "hvt-baseline-guest" in results:
                    print(row(f"{family}: the baseline guest under the same tender ({os.path.basename(options.baseline_guest)})",
                              figures("hvt-baseline-guest", family), figures("nginx", family)))
                if "hvt-baseline" in results:
                    print(row(f"{family}: the same guest under the baseline tender ({options.baseline_tender})",
                              figures("hvt-baseline", family), figures("nginx", family)))
        print("\nOur stack, IPv6 requests/s against IPv4 (medians)\n")
        print("| path | IPv6/IPv4 |\n|---|---|")
        for name, label in (("tap", "unix --net=direct"), ("hvt", "hvt")):
            if name in results:
                ratio = spread([r["rate"] for r in figures(name, "IPv6")])[0] / spread([r["rate"] for r in figures(name, "IPv4")])[0]
                print(f"| {label} | {ratio:.2f}x |")
        if guest:
            memory = smallest_memory(tender, guest, connections)
            print(f"\nsmallest --mem for the hvt website to serve wrk -c{connections} for 2 s without errors: "
                  + (f"{memory} MiB" if memory else "more than 64 MiB"))
        print("\n| image | bytes |\n|---|---|")
        images = [("static-website, unix --net=socket", socket_image), ("static-website, unix --net=direct", direct_image)]
        if guest:
            images.append(("static-website.hvt (stripped, crunch)", guest))
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        images.append(("nginx binary (peer; plus its shared libraries)", nginx))
        for label, path in images:
            print(f"| {label} | {os.path.getsize(path)} |")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
