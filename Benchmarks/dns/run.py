#!/usr/bin/env python3
"""Name server benchmark: Examples/dns-server against Knot and NSD serving the same zone, measured
with dnsperf in the same run, on the same paths (DESIGN.md, "Benchmarks").

  sudo python3 Benchmarks/dns/run.py [--seconds 3] [--outstanding 100] [--transports udp,tcp]
                                    [--mixes repeating,distinct] [--rounds 5] [--paths sockets,tap,hvt]
                                    [--baseline IMAGE] [--baseline-direct IMAGE] [--baseline-guest IMAGE]
                                    [--baseline-tender MIRAGE-HVT]

Installs dnsperf, knot and nsd with apt-get when missing. Builds the example for unix with the
host's sockets (--net=socket) and with our stack (--net=direct), and for hvt where /dev/kvm is
usable (the guest under a release mirage-hvt), then, in fresh network namespaces:
  * host sockets: ours, knotd and nsd on 127.0.0.1 (ports 5353, 5354, 5355) in one namespace;
  * our stack: the example on a tap device (10.0.0.2), as a process and as a KVM guest, against
    knotd and nsd in a second namespace behind a veth pair (10.0.1.2), dnsperf in the first.
Each server has one worker (ours is single-threaded): Knot with one UDP, one TCP and one
background worker, NSD with `server-count: 1` and response rate limiting off (Debian builds it in,
200 answers/s per client network by default, which one dnsperf client hits at once). dnsperf runs
one client with N queries outstanding for S seconds per run, cycling through a mix of queries of
the example zone (answers, CNAME chains, a wildcard, a referral, NODATA, NXDOMAIN), or through
50,000 distinct names under its wildcard, so that our response cache does not help. After a
one-second warm-up of each, the paths take turns over several rounds (--rounds), each round in a
new order; the table gives the median and range of queries/s, the ratios of the medians
ours/Knot and ours/NSD, and each server's CPU time per answered query (from /proc).
`--baseline IMAGE` runs another checkout's --net=socket dns-server beside ours on host sockets in
the same rounds: a change's before and after; `--baseline-direct IMAGE` (its --net=direct
dns-server) and `--baseline-guest IMAGE` (its hvt guest, under this checkout's tender) do the same
on tap and in a KVM guest, each a path of its own in the rounds' turns; `--baseline-tender PATH`
(another checkout's release mirage-hvt) runs this checkout's guest under it, also a path of its
own. Not a test: no thresholds."""
import argparse
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # nothing written beside the shared module
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
from harness import build_example, cpu_seconds, ensure_tools, namespace, rotated, sh, spread, stop, tap_namespace, veth_namespaces  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXAMPLE = os.path.join(ROOT, "Examples/dns-server")
ZONE = os.path.join(EXAMPLE, "zones/example.com.zone")

# What dnsperf asks, in turn: mostly answers, as a busy authoritative server sees.
QUERIES = """example.com SOA
example.com NS
example.com MX
www.example.com A
www.example.com AAAA
ftp.example.com A
mail.example.com A
mail.example.com AAAA
anything.users.example.com A
a.b.users.example.com TXT
_sip._tcp.example.com SRV
example.com CAA
www.sub.example.com A
mail.example.com TXT
nonexistent.example.com A
host.rack1.dc.example.com A
"""


# The peers' performance settings as their configurations below set them, printed with the
# table: one worker as ours has one thread (Knot:
# one UDP, one TCP and one background worker; NSD: one server process), logging only warnings,
# and no response rate limiting in NSD (Debian builds it in, 200 answers/s per client network by
# default, which one dnsperf client hits at once).
KNOT_SETTINGS = "udp-workers: 1; tcp-workers: 1; background-workers: 1; log: warning"
NSD_SETTINGS = "server-count: 1; rrl-ratelimit: 0; verbosity: 0"


def query_files(scratch):
    """Writes the two mixes' dnsperf query files into `scratch`; returns their paths by mix:
    "repeating", the zone's queries above, and "distinct", 50,000 names under its wildcard (the
    same names each time)."""
    queries = {"repeating": os.path.join(scratch, "queries.txt"), "distinct": os.path.join(scratch, "distinct.txt")}
    with open(queries["repeating"], "w") as file:
        file.write(QUERIES)
    generator = random.Random(1)
    with open(queries["distinct"], "w") as file:
        file.writelines(f"h{generator.getrandbits(48):012x}.users.example.com A\n" for _ in range(50_000))
    return queries


def cases(options, queries):
    """The (label, transport, query file) of each row kind: every transport with every mix."""
    return [(f"{transport}, {mix}", transport, queries[mix]) for transport in options.transports for mix in options.mixes]


def dnsperf(ns, host, port, transport, queries, seconds, outstanding, server=None):
    """Queries/s, lost queries, average latency (seconds) and the CPU time the `server` process
    spent per answered query (user and system, from /proc) of one dnsperf run."""
    before = cpu_seconds(server.pid) if server else None
    output = sh("ip", "netns", "exec", ns, "dnsperf", "-s", host, "-p", str(port), "-m", transport, "-d", queries,
                "-l", str(seconds), "-c", "1", "-q", str(outstanding), "-t", "2").stdout
    rate = float(re.search(r"Queries per second:\s+([\d.]+)", output).group(1))
    lost = int(re.search(r"Queries lost:\s+(\d+)", output).group(1))
    completed = int(re.search(r"Queries completed:\s+(\d+)", output).group(1))
    latency = float(re.search(r"Average Latency \(s\):\s+([\d.]+)", output).group(1))
    cpu = (cpu_seconds(server.pid) - before) / max(completed, 1) if server else float("nan")
    return {"rate": rate, "lost": lost, "latency": latency, "cpu": cpu}


def answers(ns, host, port):
    """Whether HOST:PORT answers a query for the zone's SOA over UDP, asked from namespace `ns`."""
    probe = ("import socket,sys\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM);s.settimeout(0.3)\n"
             "q=bytes.fromhex('abcd00000001000000000000076578616d706c6503636f6d0000060001')\n"
             f"s.sendto(q,('{host}',{port}))\ntry:\n  sys.exit(0 if s.recv(512)[:2]==q[:2] else 1)\n"
             "except OSError:\n  sys.exit(1)\n")
    return subprocess.run(["ip", "netns", "exec", ns, sys.executable, "-c", probe], capture_output=True).returncode == 0


def start(ns, command, host, port, log, seconds=20):
    process = subprocess.Popen(["ip", "netns", "exec", ns, *command], stdout=log, stderr=log)
    for _ in range(seconds * 10):
        if process.poll() is not None:
            raise RuntimeError(f"the server for {host}:{port} exited with {process.returncode}: {' '.join(command)}")
        if answers(ns, host, port):
            return process
        time.sleep(0.1)
    raise RuntimeError(f"nothing answered on {host}:{port}")


def knot(directory, address, port):
    """knotd in the foreground with one worker of each kind, serving the zone on ADDRESS@PORT."""
    folder = os.path.join(directory, f"knot-{address}-{port}")
    os.makedirs(folder, exist_ok=True)
    shutil.copy(ZONE, folder)
    path = os.path.join(folder, "knot.conf")
    with open(path, "w") as file:
        file.write(f"""server:
    listen: {address}@{port}
    rundir: {folder}
    udp-workers: 1
    tcp-workers: 1
    background-workers: 1
database:
    storage: {folder}
log:
  - target: stderr
    any: warning
zone:
  - domain: example.com.
    file: {folder}/example.com.zone
    storage: {folder}
""")
    return ["knotd", "-c", path]


def nsd(directory, address, port):
    """nsd in the foreground with one server process, serving the zone on ADDRESS@PORT."""
    folder = os.path.join(directory, f"nsd-{address}-{port}")
    os.makedirs(folder, exist_ok=True)
    shutil.copy(ZONE, folder)
    path = os.path.join(folder, "nsd.conf")
    with open(path, "w") as file:
        file.write(f"""server:
    ip-address: {address}@{port}
    server-count: 1
    username: ""
    chroot: ""
    zonesdir: "{folder}"
    database: ""
    pidfile: "{folder}/nsd.pid"
    xfrdfile: "{folder}/xfrd.state"
    zonelistfile: "{folder}/zone.list"
    xfrdir: "{folder}"
    verbosity: 0
    rrl-ratelimit: 0
remote-control:
    control-enable: no
zone:
    name: example.com
    zonefile: "{folder}/example.com.zone"
""")
    return ["nsd", "-d", "-c", path]


def host_sockets(image, scratch, queries, seconds, options, log, baseline=None):
    """Ours (and the baseline image, if any), Knot and NSD on 127.0.0.1 of one namespace, dnsperf
    there too; per server, per transport, one run's figures."""
    ns = f"mirage-dns-{os.getpid()}"
    namespace(ns)
    servers = [("ours", [image, "--port=5353"], 5353), ("knot", knot(scratch, "127.0.0.1", 5354), 5354),
               ("nsd", nsd(scratch, "127.0.0.1", 5355), 5355)]
    if baseline:
        servers.append(("baseline", [baseline, "--port=5356"], 5356))
    results = {}
    try:
        for name, command, port in servers:
            server = start(ns, command, "127.0.0.1", port, log)
            try:
                results[name] = {label: dnsperf(ns, "127.0.0.1", port, transport, file, seconds, options.outstanding, server)
                                 for label, transport, file in cases(options, queries)}
            finally:
                stop(server)
    finally:
        sh("ip", "netns", "delete", ns, check=False)
    return results


def on_tap(command, queries, seconds, options, log):
    """`command` (our stack on tap0, as 10.0.0.2) in a fresh namespace; dnsperf figures."""
    with tap_namespace("mirage-dns-tap") as ns:
        server = start(ns, command + ["--ipv4=10.0.0.2/24"], "10.0.0.2", 53, log)
        try:
            return {label: dnsperf(ns, "10.0.0.2", 53, transport, file, seconds, options.outstanding, server)
                    for label, transport, file in cases(options, queries)}
        finally:
            stop(server)


def peers_on_veth(scratch, queries, seconds, options, log):
    """Knot, then NSD, in a second namespace behind a veth pair (10.0.1.2); dnsperf in the first."""
    results = {}
    with veth_namespaces("mirage-dns") as (a, b):
        for name, command in (("knot", knot(scratch, "10.0.1.2", 53)), ("nsd", nsd(scratch, "10.0.1.2", 53))):
            server = subprocess.Popen(["ip", "netns", "exec", b, *command], stdout=log, stderr=log)
            try:
                for _ in range(200):
                    if answers(a, "10.0.1.2", 53):
                        break
                    if server.poll() is not None:
                        raise RuntimeError(f"{name} exited with {server.returncode}")
                    time.sleep(0.1)
                results[name] = {label: dnsperf(a, "10.0.1.2", 53, transport, file, seconds, options.outstanding, server)
                                 for label, transport, file in cases(options, queries)}
            finally:
                stop(server)
    return results


def row(label, transport, mine, knot_results, nsd_results):
    """A table row from the rounds' figures: median (range) queries/s of each, the ratios of the
    medians, median latencies and CPU per query, lost queries summed."""
    def rate(results):
        median, low, high = spread([result["rate"] for result in results])
        return median, f"{median:.0f} ({low:.0f}-{high:.0f})"

    def median(results, key):
        return spread([result[key] for result in results])[0]
    (mine_rate, mine_text), (knot_rate, knot_text), (nsd_rate, nsd_text) = rate(mine), rate(knot_results), rate(nsd_results)
    everyone = (mine, knot_results, nsd_results)
    return (f"| {label} | {transport} | {mine_text} | {knot_text} | {nsd_text} | "
            f"{mine_rate / knot_rate:.2f}x | {mine_rate / nsd_rate:.2f}x | "
            + " / ".join(f"{median(results, 'latency') * 1e6:.0f}" for results in everyone) + " | "
            + " / ".join(f"{median(results, 'cpu') * 1e6:.1f}" for results in everyone) + " | "
            + " / ".join(str(sum(result["lost"] for result in results)) for results in everyone) + " |")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=3)
    parser.add_argument("--outstanding", type=int, default=100)
    parser.add_argument("--transports", default="udp,tcp")
    parser.add_argument("--mixes", default="repeating,distinct",
                        help="repeating: the 16 queries of the zone in turn; distinct: 50,000 names under its wildcard, each asked once per pass")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--paths", default="sockets,tap,hvt", help="which of sockets, tap and hvt to measure")
    parser.add_argument("--baseline", help="a unix --net=socket dns-server image to measure beside ours on host sockets")
    parser.add_argument("--baseline-direct", help="a unix --net=direct dns-server image to measure beside ours on tap")
    parser.add_argument("--baseline-guest", help="an hvt dns-server guest to measure beside ours under the same tender")
    parser.add_argument("--baseline-tender", help="another mirage-hvt (another checkout's) to run the hvt guest under beside ours")
    options = parser.parse_args()
    options.transports = options.transports.split(",")
    options.mixes = options.mixes.split(",")
    paths = options.paths.split(",")
    if os.geteuid() != 0:
        sys.exit("run as root: the benchmark makes network namespaces and tap devices")
    ensure_tools((("dnsperf", "dnsperf"), ("knotd", "knot"), ("nsd", "nsd")))
    tool = os.path.join(ROOT, ".build/debug/swift-mirage")
    sh("swift", "build", "--product", "swift-mirage", cwd=ROOT)
    scratch = tempfile.mkdtemp(prefix="mirage-dns-")
    queries = query_files(scratch)
    log = open(os.path.join(scratch, "servers.log"), "w")
    baseline = os.path.abspath(options.baseline) if options.baseline else None
    try:
        runs = {}
        if "sockets" in paths:
            socket_image = build_example(tool, EXAMPLE, "unix", "socket", scratch)
            runs["sockets"] = lambda seconds: host_sockets(socket_image, scratch, queries, seconds, options, log, baseline)
        if "tap" in paths or "hvt" in paths:
            runs["peers"] = lambda seconds: peers_on_veth(scratch, queries, seconds, options, log)
        if "tap" in paths:
            direct_image = build_example(tool, EXAMPLE, "unix", "direct", scratch)
            runs["tap"] = lambda seconds: on_tap([direct_image], queries, seconds, options, log)
            if options.baseline_direct:
                baseline_direct = os.path.abspath(options.baseline_direct)
                runs["tap-baseline"] = lambda seconds: on_tap([baseline_direct], queries, seconds, options, log)
        if "hvt" in paths and os.access("/dev/kvm", os.W_OK):
            sh("swift", "build", "-c", "release", "--product", "mirage-hvt", cwd=ROOT)
            tender = os.path.join(ROOT, ".build/release/mirage-hvt")
            guest = build_example(tool, EXAMPLE, "hvt", "direct", scratch)
            runs["hvt"] = lambda seconds: on_tap([tender, "--net:service=tap0", "--", guest], queries, seconds, options, log)
            if options.baseline_guest:
                baseline_guest = os.path.abspath(options.baseline_guest)
                runs["hvt-baseline"] = lambda seconds: on_tap([tender, "--net:service=tap0", "--", baseline_guest], queries,
                                                              seconds, options, log)
            if options.baseline_tender:
                other = os.path.abspath(options.baseline_tender)
                runs["hvt-baseline-tender"] = lambda seconds: on_tap([other, "--net:service=tap0", "--", guest], queries,
                                                                     seconds, options, log)
        elif "hvt" in paths:
            print("SKIP: the hvt rows: /dev/kvm is absent or not writable")
        for run in runs.values():
            run(1)  # warm-up
        results = {name: [] for name in runs}
        names = list(runs)
        for index in range(options.rounds):
            for name in rotated(names, index):
                results[name].append(runs[name](options.seconds))

        def figures(name, server, transport):
            return [result[server][transport] if server else result[transport] for result in results[name]]

        print(f"dnsperf -c1 -q{options.outstanding} -l{options.seconds}; queries \"repeating\": the {len(QUERIES.splitlines())} "
              "queries of the example zone in turn (after the first pass ours answers each from its response cache); "
              "\"distinct\": 50,000 different names under the zone's wildcard (ours works out each: its cache holds about "
              "a thousand); one worker each; "
              f"{options.rounds} rounds after a warm-up, taking turns; queries/s as median (range)\n")
        print("Knot: " + KNOT_SETTINGS + "\nNSD: " + NSD_SETTINGS + "\n")
        print("| path | transport, queries | ours, queries/s | Knot | NSD | ours/Knot | ours/NSD "
              "| mean latency µs, ours / Knot / NSD | server CPU µs per query, ours / Knot / NSD | lost, ours / Knot / NSD |")
        print("|---|---|---|---|---|---|---|---|---|---|")
        for transport, _, _ in cases(options, queries):
            if "sockets" in results:
                print(row("host sockets, 127.0.0.1 (unix --net=socket)", transport, figures("sockets", "ours", transport),
                          figures("sockets", "knot", transport), figures("sockets", "nsd", transport)))
                if baseline:
                    print(row("baseline image on host sockets", transport, figures("sockets", "baseline", transport),
                              figures("sockets", "knot", transport), figures("sockets", "nsd", transport)))
            for name, label in (("tap", "our stack on tap (unix --net=direct) / peers on Linux over veth"),
                                ("tap-baseline", "baseline image on tap"),
                                ("hvt", "our stack in a KVM guest on tap (hvt) / peers on Linux over veth"),
                                ("hvt-baseline", "baseline guest under the same tender"),
                                ("hvt-baseline-tender", "the same guest under the baseline tender")):
                if name in results:
                    print(row(label, transport, figures(name, None, transport), figures("peers", "knot", transport),
                              figures("peers", "nsd", transport)))
    finally:
        log.close()
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
