#!/usr/bin/env python3
"""Density benchmark: N website guests started at once on one host, against N nginx processes in
the same run (issue 18, "Density").

  sudo python3 Benchmarks/density/run.py [--guests 100,500,1000] [--rounds 3] [--mem MiB]

Ours: N tenders `mirage-hvt --share-image --mem=M --net:service=tapI -- static-website.hvt
--ipv4=10.1.X.Y/16 --ipv6=none`, each guest on a tap of its own in one network namespace (the
namespace's kernel reaches guest I through a host route over tapI, from 10.1.0.1 on its loopback:
no bridge, so no broadcast reaches every guest), with the smallest `--mem` (MiB) that serves a
2-second wrk -c10 run without errors unless --mem is given. The peer: N nginx processes, each one
worker (master_process off) serving the same index.html on its own port of 127.0.0.1 in a namespace,
configured as Benchmarks/http configures it (harness.nginx_settings, printed) but with
`worker_connections 32`, as one would for density: room for the ten connections the guest's --mem
is sized for (nginx allocates its connection structures at start).

For each N, after a warm-up of ten of each, ours and nginx take turns over ROUNDS rounds, each
round in the other order. A round spawns the N instances one after another as fast as this
script can, then polls every one with
`GET /` (every 20 ms until it answers 200) and reports:
  * the time from the first spawn until the last instance answered, and until the median one did;
  * host memory per instance: what the round's memory cgroup (each instance joins it before it
    runs) is charged, less the page cache (the image and binaries, shared by all), over N: the
    tenders' and guests' pages or nginx's, and the kernel's for them (the VMs, taps, sockets), of
    which the kernel's share is shown; and the proportional set size (PSS) of the instances'
    processes, over N.
Then it stops them all (SIGTERM) before the next round. Medians with their range; ratios
ours/nginx. The kernel's neighbour table holds one entry per guest: its thresholds are raised for the
run (and put back) when N passes them. Not a test: no thresholds."""
import argparse
import asyncio
import contextlib
import ctypes
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
from harness import build_example, ensure_tools, namespace, nginx_config, nginx_settings, rotated, sh, smallest_passing, spread  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SITE = os.path.join(ROOT, "Examples/static-website")
NEIGHBOUR_THRESHOLDS = [f"/proc/sys/net/ipv4/neigh/default/gc_thresh{i}" for i in (1, 2, 3)]
QUIET = ["-l", "warning"]
# nginx for density: room for the ten connections the guest's --mem is sized for, and its two
# listening sockets, rather than the 1,024 connections it would otherwise allocate at start.
NGINX_CONNECTIONS = 32


@contextlib.contextmanager
def inside(ns):
    """Moves this process into network namespace `ns` (the instances it spawns inherit it), and
    back to its own at the end."""
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    home = os.open("/proc/self/ns/net", os.O_RDONLY)
    try:
        with open(f"/var/run/netns/{ns}") as handle:
            if libc.setns(handle.fileno(), 0x40000000) != 0:  # CLONE_NEWNET
                raise OSError(ctypes.get_errno(), "setns")
        yield
    finally:
        libc.setns(home, 0x40000000)
        os.close(home)


def guest_address(index):
    """10.1.X.Y for guest `index` (0-based), from 10.1.0.2 on: 10.1.0.1 is the namespace's."""
    number = index + 2
    return f"10.1.{number >> 8}.{number & 0xFF}"


def make_taps(ns, count):
    """tap0..tapN-1 in `ns`, up, each with a host route to its guest; 10.1.0.1 on the loopback.
    The kernel asks again for a guest's MAC after 5 ms rather than a second: a guest polled before
    it booted would otherwise wait out the kernel's retry."""
    commands = ["link set lo up", "addr add 10.1.0.1/32 dev lo"]
    for index in range(count):
        commands += [f"tuntap add dev tap{index} mode tap", f"link set tap{index} up",
                     f"route add {guest_address(index)}/32 dev tap{index} src 10.1.0.1"]
    subprocess.run(["ip", "netns", "exec", ns, "ip", "-batch", "-"], input="\n".join(commands) + "\n", text=True, check=True)
    settings = [f"net.ipv4.neigh.tap{index}.retrans_time_ms=5" for index in range(count)]
    subprocess.run(["ip", "netns", "exec", ns, "sysctl", "-q", "-p-"], input="\n".join(settings) + "\n", text=True, check=True)


class MemoryGroup:
    """A memory cgroup of its own under this process's, for one round's instances (each joins it
    before it runs, so everything it costs is charged there: its pages, and the kernel's for it
    (page tables, the VM's structures, sockets and taps), which the kernel charges to the group of
    the process it allocates for). cgroup v1 or v2, whichever the memory controller is mounted as."""

    def __init__(self, name):
        self.path = None
        with open("/proc/self/cgroup") as file:
            for line in file:
                _, controllers, path = line.rstrip("\n").split(":", 2)
                if "memory" in controllers.split(","):
                    self.path, self.v2 = f"/sys/fs/cgroup/memory{path.rstrip('/')}/{name}", False
                elif controllers == "" and self.path is None and os.path.exists(f"/sys/fs/cgroup{path}/memory.current"):
                    self.path, self.v2 = f"/sys/fs/cgroup{path.rstrip('/')}/{name}", True
        if self.path is None:
            raise RuntimeError("no memory cgroup to measure in: mount the memory controller (cgroup v1 or v2)")
        os.mkdir(self.path)

    def join(self):
        """Moves the calling process into the group (a spawned instance, before it runs)."""
        with open(f"{self.path}/cgroup.procs", "w") as file:
            file.write(str(os.getpid()))

    def usage(self):
        """(bytes charged, less the page cache; of which the kernel's)."""
        with open(f"{self.path}/memory.stat") as file:
            stat = dict((line.split()[0], int(line.split()[1])) for line in file)
        with open(f"{self.path}/{'memory.current' if self.v2 else 'memory.usage_in_bytes'}") as file:
            total = int(file.read())
        if self.v2:
            return total - stat.get("file", 0), stat.get("kernel", total - stat.get("file", 0) - stat.get("anon", 0))
        with open(f"{self.path}/memory.kmem.usage_in_bytes") as file:
            kernel = int(file.read())
        return total - stat.get("cache", 0), kernel

    def remove(self):
        for _ in range(100):
            try:
                os.rmdir(self.path)
                return
            except OSError:
                time.sleep(0.1)  # the last processes are still leaving


def pss(pid):
    """The proportional set size of process `pid` in bytes (0 once it is gone)."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as file:
            for line in file:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


async def first_answer(host, port, deadline):
    """The monotonic time of the first HTTP 200 for / from host:port, polling every 5 ms. A connection
    not made in 20 ms is tried again (the wait doubling up to a second): a SYN that reached a guest
    before its stack did is lost, and the kernel would send it again only after a second."""
    request = f"GET / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode()
    patience = 0.02
    while time.monotonic() < deadline:
        try:
            reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), patience)
            try:
                writer.write(request)
                head = await asyncio.wait_for(reader.read(16), 1)
                if head.startswith(b"HTTP/1.1 200"):
                    return time.monotonic()
            finally:
                writer.close()
        except asyncio.TimeoutError:
            patience = min(patience * 2, 1)
        except OSError:
            pass
        await asyncio.sleep(0.005)
    return None


async def spawn_and_poll(commands, endpoints, timeout, group):
    """Spawns each command in turn and polls its endpoint from then on, while the next ones are
    spawned. Returns the processes, the first spawn's time, and (spawned, answered) times per
    instance (answered None when it never did)."""
    deadline = time.monotonic() + timeout
    processes, spawned, polls = [], [], []
    start = time.monotonic()
    for command, (host, port) in zip(commands, endpoints):
        spawned.append(time.monotonic())
        processes.append(subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                          preexec_fn=group.join))
        polls.append(asyncio.ensure_future(first_answer(host, port, deadline)))
        await asyncio.sleep(0)  # let the polls of the instances already spawned run
    answered = await asyncio.gather(*polls)
    return processes, start, list(zip(spawned, answered))


def run_round(name, commands, endpoints, timeout):
    """Spawns `commands` (in this process's namespace) into a memory cgroup of their own, waits
    until each of `endpoints` answers, measures, stops them. Returns the figures, or None with the
    reason when some never answered."""
    group = MemoryGroup(name)
    processes = []
    try:
        processes, start, times = asyncio.run(spawn_and_poll(commands, endpoints, timeout, group))
        missing = sum(1 for _, answered in times if answered is None)
        if missing:
            exited = sum(1 for process in processes if process.poll() is not None)
            return None, f"{missing} of {len(endpoints)} never answered in {timeout} s ({exited} exited)"
        memory, kernel = group.usage()
        total_pss = sum(pss(process.pid) for process in processes)
        ready = sorted(answered - spawned for spawned, answered in times)
        return {"last": max(answered for _, answered in times) - start, "spawns": times[-1][0] - start,
                "ready": ready[len(ready) // 2], "ready_max": ready[-1],
                "memory": memory / len(commands), "kernel": kernel / len(commands), "pss": total_pss / len(commands)}, None
    finally:
        for process in processes:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        group.remove()


def smallest_memory(tender, guest, ns):
    """The smallest --mem (MiB) with which one guest on tap0 serves a 2-second wrk -c10 run without
    errors."""
    host = guest_address(0)

    def serves(mebibytes):
        process = subprocess.Popen(["ip", "netns", "exec", ns, tender, f"--mem={mebibytes}", "--net:service=tap0", "--", guest,
                                    f"--ipv4={host}/16", "--ipv6=none", *QUIET],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            for _ in range(100):
                if process.poll() is not None:
                    return False
                if subprocess.run(["ip", "netns", "exec", ns, "curl", "-s", "-o", "/dev/null", "-m", "1", f"http://{host}/"]).returncode == 0:
                    break
                time.sleep(0.05)
            else:
                return False
            output = subprocess.run(["ip", "netns", "exec", ns, "wrk", "-t1", "-c10", "-d2s", f"http://{host}/"],
                                    capture_output=True, text=True).stdout
            return "Requests/sec" in output and "Socket errors" not in output and "Non-2xx" not in output and process.poll() is None
        finally:
            process.terminate()
            process.wait()
    return smallest_passing(serves, 2, 64)


@contextlib.contextmanager
def neighbour_room(count):
    """Raises the kernel's neighbour table thresholds (shared by every namespace) so that `count`
    guests' entries fit, and puts them back."""
    saved = []
    for path in NEIGHBOUR_THRESHOLDS:
        with open(path) as file:
            saved.append(file.read().strip())
    wanted = [saved[0]] + [str(max(int(value), count * factor + int(saved[1]))) for value, factor in zip(saved[1:], (1, 2))]
    try:
        for path, value in zip(NEIGHBOUR_THRESHOLDS, wanted):
            with open(path, "w") as file:
                file.write(value)
        yield
    finally:
        for path, value in zip(NEIGHBOUR_THRESHOLDS, saved):
            with open(path, "w") as file:
                file.write(value)


def table(rows):
    print("\n| instances | until all answer, s: ours | nginx | ratio | spawning them all, s: ours / nginx "
          "| spawn to first answer, median and worst, ms: ours | nginx "
          "| host memory per instance, MiB: ours | nginx | ratio | of it the kernel's, MiB: ours / nginx "
          "| PSS per instance, MiB: ours / nginx |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for count, ours, theirs in rows:
        def figure(results, key, scale=1.0, digits=2):
            median, low, high = spread([result[key] * scale for result in results])
            return median, f"{median:.{digits}f} ({low:.{digits}f}-{high:.{digits}f})"
        ours_last, ours_last_text = figure(ours, "last")
        their_last, their_last_text = figure(theirs, "last")
        ours_memory, ours_memory_text = figure(ours, "memory", 1 / (1 << 20))
        their_memory, their_memory_text = figure(theirs, "memory", 1 / (1 << 20))

        def latency(results):
            return f"{figure(results, 'ready', 1000, 1)[0]:.1f} / {figure(results, 'ready_max', 1000, 1)[0]:.1f}"
        print(f"| {count} | {ours_last_text} | {their_last_text} | {ours_last / their_last:.2f}x "
              f"| {figure(ours, 'spawns')[0]:.2f} / {figure(theirs, 'spawns')[0]:.2f} | {latency(ours)} | {latency(theirs)} "
              f"| {ours_memory_text} | {their_memory_text} | {ours_memory / their_memory:.2f}x "
              f"| {figure(ours, 'kernel', 1 / (1 << 20))[0]:.2f} / {figure(theirs, 'kernel', 1 / (1 << 20))[0]:.2f} "
              f"| {figure(ours, 'pss', 1 / (1 << 20))[0]:.2f} / {figure(theirs, 'pss', 1 / (1 << 20))[0]:.2f} |")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--guests", default="100,500,1000", help="the numbers of instances, comma-separated")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--mem", type=int, help="guest memory in MiB (default: the smallest that serves)")
    parser.add_argument("--timeout", type=int, default=300, help="seconds a round may take until all answer")
    options = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("run as root: the benchmark makes network namespaces, tap devices and KVM guests")
    if not os.access("/dev/kvm", os.W_OK):
        print("SKIP: the density benchmark: /dev/kvm is absent or not writable")
        return
    counts = [int(count) for count in options.guests.split(",")]
    ensure_tools((("wrk", "wrk"), ("nginx", "nginx-light"), ("curl", "curl")))
    tool = os.path.join(ROOT, ".build/debug/swift-mirage")
    sh("swift", "build", "--product", "swift-mirage", cwd=ROOT)
    sh("swift", "build", "-c", "release", "--product", "mirage-hvt", cwd=ROOT)
    tender = os.path.join(ROOT, ".build/release/mirage-hvt")
    scratch = tempfile.mkdtemp(prefix="mirage-density-")
    ns = f"mirage-density-{os.getpid()}"
    try:
        guest = build_example(tool, SITE, "hvt", "direct", scratch)
        root = os.path.join(scratch, "htdocs")
        shutil.copytree(os.path.join(SITE, "htdocs"), root)
        namespace(ns)
        subprocess.run(["ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.default.disable_ipv6=1"], check=True)
        make_taps(ns, max(counts + [10]))
        memory = options.mem or smallest_memory(tender, guest, ns)
        if memory is None:
            sys.exit("the guest serves with no --mem up to 64 MiB")
        print(f"guest: static-website.hvt ({os.path.getsize(guest)} bytes), --mem={memory} (smallest that serves wrk -c10 "
              f"for 2 s without errors{', as given' if options.mem else ''}), --share-image, --poll-spin and --io-spin default; "
              f"one tap per guest, host routes, no bridge")
        print(f"nginx: one process per instance, on its own port of 127.0.0.1: worker_connections {NGINX_CONNECTIONS}; " + nginx_settings())
        print(f"{os.cpu_count()} cores, {os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / (1 << 30):.1f} GiB; warm-up of 10 each, then "
              f"{options.rounds} rounds alternating for each N")

        def ours(count):
            commands = [[tender, "--share-image", f"--mem={memory}", f"--net:service=tap{index}", "--", guest,
                         f"--ipv4={guest_address(index)}/16", "--ipv6=none", *QUIET] for index in range(count)]
            return commands, [(guest_address(index), 80) for index in range(count)]

        def nginx(count):
            commands = [nginx_config(scratch, root, 20000 + index, connections=NGINX_CONNECTIONS) for index in range(count)]
            return commands, [("127.0.0.1", 20000 + index) for index in range(count)]

        rows = []
        with neighbour_room(max(counts)), inside(ns):
            for count in [10] + counts:
                figures = {"ours": [], "nginx": []}
                for round_number in range(1 if count == 10 and 10 not in counts else options.rounds):
                    for name, plan in rotated((("ours", ours), ("nginx", nginx)), round_number):
                        commands, endpoints = plan(count)
                        result, failure = run_round(f"mirage-density-{os.getpid()}-{name}-{count}-{round_number}", commands, endpoints,
                                                    options.timeout)
                        if failure:
                            sys.exit(f"{name}, {count} instances, round {round_number + 1}: {failure}")
                        figures[name].append(result)
                        print(f"  {count} {name}: all answered in {result['last']:.2f} s (spawned in {result['spawns']:.2f} s; "
                              f"spawn to answer median {result['ready'] * 1000:.1f} ms, worst {result['ready_max'] * 1000:.1f}), "
                              f"{result['memory'] / (1 << 20):.2f} MiB per instance, {result['kernel'] / (1 << 20):.2f} of it the kernel's "
                              f"(PSS {result['pss'] / (1 << 20):.2f})", flush=True)
                if count in counts:
                    rows.append((count, figures["ours"], figures["nginx"]))
        table(rows)
    finally:
        sh("ip", "netns", "delete", ns, check=False)
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
