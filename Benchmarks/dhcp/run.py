#!/usr/bin/env python3
"""Boot to a bound DHCP lease (not a test: it prints a table). Run as root.

Against Debian's dnsmasq (`--no-ping`, so the server adds no wait of its own), each measured from
spawning the process to the moment it has an address:
  - ours: the echo unikernel with no `--ipv4` (DHCP is the default) in an hvt guest under the
    release `mirage-hvt`, and as a unix process (`--net=direct`), each over a tap; timed to the
    "DHCP lease" log line, which comes after DISCOVER, OFFER, REQUEST, ACK and, by default, two
    ARP probes 200 ms apart (`--dhcp-probes=0`, measured too, skips them as dhcpcd's `noarp`
    does);
  - the peer: Linux's dhcpcd 9 on a veth pair, one-shot (`-1`, it exits once the address is
    configured, its route and all), with no stored lease (so, like ours, it starts at INIT).
    Twice: as installed, with its RFC 5227 probing (three ARP probes and an announcement wait,
    seconds) and its random initial delay, and as a cloud image that wants a fast boot
    configures it (`noarp` and `nodelay` in its configuration file). The ratio is against the
    latter, the faster.
Rounds take the six in turn after a warm-up round, each round in a new order; the table gives
the median and the range.

Usage: Benchmarks/dhcp/run.py [--rounds N]
"""
import argparse
import os
import select
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
from harness import build_example, ensure_tools, rotated, sh, stop  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TOOL = os.path.join(ROOT, ".build/debug/swift-mirage")
TENDER = os.path.join(ROOT, ".build/release/mirage-hvt")
DNSMASQ = ["/usr/sbin/dnsmasq", "--port=0", "--bind-interfaces", "--no-ping", "--dhcp-range=10.0.0.10,10.0.0.250,255.255.255.0,10m"]


def start_dnsmasq(ns, interface, scratch):
    pid = os.path.join(scratch, f"dnsmasq-{ns}.pid")
    sh("ip", "netns", "exec", ns, *DNSMASQ, f"--interface={interface}", f"--pid-file={pid}",
       f"--dhcp-leasefile={os.path.join(scratch, ns + '.leases')}", f"--log-facility={os.path.join(scratch, ns + '.log')}")
    return pid


def stop_dnsmasq(pid):
    with open(pid) as file:
        os.kill(int(file.read().strip()), 15)


def ours(ns, command):
    """Seconds from spawning `command` to its "DHCP lease" log line."""
    start = time.monotonic()
    process = subprocess.Popen(["ip", "netns", "exec", ns, *command], stderr=subprocess.PIPE, stdout=subprocess.DEVNULL)
    try:
        pending = b""
        while time.monotonic() - start < 30:
            ready, _, _ = select.select([process.stderr], [], [], 1)
            if not ready:
                continue
            chunk = os.read(process.stderr.fileno(), 4096)
            if not chunk:
                break
            pending += chunk
            if b"DHCP lease " in pending:
                return time.monotonic() - start
        raise SystemExit(f"no DHCP lease from {command}: {pending.decode(errors='replace')}")
    finally:
        stop(process)


def dhcpcd(ns, configuration):
    """Seconds from spawning a one-shot dhcpcd on veth-a to its exit with the address configured."""
    sh("ip", "netns", "exec", ns, "ip", "addr", "flush", "dev", "veth-a")
    for stale in ("/var/lib/dhcpcd/veth-a.lease", "/var/lib/dhcpcd/veth-a.lease6"):
        if os.path.exists(stale):
            os.remove(stale)
    start = time.monotonic()
    result = subprocess.run(["ip", "netns", "exec", ns, "dhcpcd", "-f", configuration, "-c", "/bin/true", "-1", "-4", "-B", "-t", "30", "veth-a"],
                            capture_output=True, text=True)
    elapsed = time.monotonic() - start
    if "leased 10.0.0." not in result.stderr + result.stdout:
        raise SystemExit(f"dhcpcd -f {configuration} got no lease: {result.stderr}{result.stdout}")
    return elapsed


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=10)
    rounds = parser.parse_args().rounds
    ensure_tools([("dnsmasq", "dnsmasq-base"), ("dhcpcd", "dhcpcd-base")])
    print("building the echo unikernel (unix --net=direct and hvt) and the release tender", file=sys.stderr)
    sh("swift", "build", "--product", "swift-mirage", cwd=ROOT)
    sh("swift", "build", "-c", "release", "--product", "mirage-hvt", cwd=ROOT)
    scratch = tempfile.mkdtemp(prefix="mirage-dhcp-bench-")
    echo = os.path.join(ROOT, "Examples/echo")
    unix = build_example(TOOL, echo, "unix", "direct", scratch)
    hvt = build_example(TOOL, echo, "hvt", "direct", scratch)

    tap, server, client = f"mirage-dhcp-{os.getpid()}", f"mirage-dhcp-s-{os.getpid()}", f"mirage-dhcp-c-{os.getpid()}"
    pids = []
    try:
        for ns in (tap, server, client):
            sh("ip", "netns", "add", ns)
        for step in (["ip", "tuntap", "add", "dev", "tap0", "mode", "tap"], ["ip", "addr", "add", "10.0.0.1/24", "dev", "tap0"],
                     ["ip", "link", "set", "tap0", "up"]):
            sh("ip", "netns", "exec", tap, *step)
        sh("ip", "link", "add", "veth-a", "netns", client, "type", "veth", "peer", "name", "veth-b", "netns", server)
        sh("ip", "netns", "exec", server, "ip", "addr", "add", "10.0.0.1/24", "dev", "veth-b")
        sh("ip", "netns", "exec", server, "ip", "link", "set", "veth-b", "up")
        sh("ip", "netns", "exec", client, "ip", "link", "set", "veth-a", "up")
        pids = [start_dnsmasq(tap, "tap0", scratch), start_dnsmasq(server, "veth-b", scratch)]
        fast = os.path.join(scratch, "dhcpcd-fast.conf")
        with open(fast, "w") as file:
            file.write("noarp\nnodelay\n")
        time.sleep(0.5)

        contenders = [
            ("ours: echo.hvt, mirage-hvt (release), 2 probes", lambda: ours(tap, [TENDER, "--net:service=tap0", "--", hvt])),
            ("ours: echo, unix process over tap, 2 probes", lambda: ours(tap, [unix, "--net:service=tap0"])),
            ("ours: echo.hvt, --dhcp-probes=0", lambda: ours(tap, [TENDER, "--net:service=tap0", "--", hvt, "--dhcp-probes=0"])),
            ("ours: echo, unix process, --dhcp-probes=0", lambda: ours(tap, [unix, "--net:service=tap0", "--dhcp-probes=0"])),
            ("dhcpcd 9 -1 (as installed: probing, initial delay)", lambda: dhcpcd(client, "/dev/null")),
            ("dhcpcd 9 -1, noarp nodelay (the peer)", lambda: dhcpcd(client, fast)),
        ]
        samples = {name: [] for name, _ in contenders}
        for index in range(rounds + 1):
            for name, run in rotated(contenders, index):
                elapsed = run()
                if index > 0:  # round 0 warms the page cache and the servers
                    samples[name].append(elapsed * 1000)
            print(f"round {index}/{rounds} done", file=sys.stderr)
    finally:
        for pid in pids:
            stop_dnsmasq(pid)
        for ns in (tap, server, client):
            sh("ip", "netns", "delete", ns, check=False)

    peer = statistics.median(samples[contenders[-1][0]])
    print(f"Boot to a bound DHCP lease from dnsmasq, {rounds} rounds alternating after a warm-up "
          f"(milliseconds: median [min .. max], ratio of medians to dhcpcd with noarp and nodelay; lower is better)")
    print(f"| {'what':<52} | {'median':>8} | {'min .. max':>19} | {'ratio':>7} |")
    print(f"|{'-' * 54}|{'-' * 10}|{'-' * 21}|{'-' * 9}|")
    for name, _ in contenders:
        values = samples[name]
        median = statistics.median(values)
        print(f"| {name:<52} | {median:8.1f} | {min(values):8.1f} .. {max(values):8.1f} | {median / peer:6.2f}x |")


if __name__ == "__main__":
    main()
