#!/usr/bin/env python3
"""Where a sleeping hvt guest's ping round trip goes: the echo example in a KVM guest over tap,
pinged every 5 ms (so it sleeps between echoes), against the Linux kernel answering over a veth
pair, in the same run (DESIGN.md, "Benchmarks").

  sudo python3 Benchmarks/tcp/wakeup.py [--pings 200] [--traced 60] [--rounds 5] [--tender MIRAGE-HVT]

Untraced, the guest and the kernel take turns over the rounds (after a warm-up), `ping -c N -i
0.005` each: the table gives the median of each round's mean round trip and the range, and the
ratio. Then one traced run (`perf record -a` with the scheduler's, the system calls' and KVM's
trace points) splits each echo into its steps, between the events that bound them:

  1. ping's `sendto` -> the tender's I/O thread has read the frame from the tap (`readv`);
  2. -> the vCPU thread enters the guest again (`KVM_RUN`, once the I/O thread woke it);
  3. -> the guest's first exit (a store to a hypercall address: its kick of the I/O thread, or
     the poll hypercall that puts it to sleep), which includes the guest's own work;
  4. -> the I/O thread writes the echo to the tap (`writev`);
  5. -> ping receives it.

Each traced event costs about a microsecond, so the steps add up to more than the untraced round
trip; they say where the time goes, not what it is. Installs ping (iputils-ping) and perf
(linux-perf) with apt-get when missing. `--tender PATH` runs the guest under another mirage-hvt
(say another checkout's). Not a test: no thresholds."""
import argparse
import contextlib
import os
import re
import shutil
import subprocess
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
from harness import ensure_tools, sh, spread, stop, tap_namespace, veth_namespaces  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EVENTS = ["raw_syscalls:sys_enter", "raw_syscalls:sys_exit", "sched:sched_switch", "sched:sched_wakeup",
          "kvm:kvm_mmio", "kvm:kvm_userspace_exit"]
# x86-64 system call numbers.
READV, WRITEV, IOCTL, SENDTO, RECVMSG = 19, 20, 16, 44, 47
STEPS = ("ping's sendto -> the I/O thread has read the frame",
         "-> the vCPU thread enters the guest (KVM_RUN)",
         "-> the guest's first exit (its work, then a kick or the poll hypercall)",
         "-> the I/O thread writes the echo to the tap",
         "-> ping receives it",
         "ping's round trip, traced")


def mean_round_trip(ns, host, count):
    """ping's mean round trip in seconds, `count` echoes 5 ms apart."""
    output = sh("ip", "netns", "exec", ns, "ping", "-c", str(count), "-i", "0.005", "-q", host).stdout
    return float(output.strip().split("\n")[-1].split("=")[1].split("/")[1]) / 1000


@contextlib.contextmanager
def guest(tender, image):
    """The echo guest on tap0 at 10.0.0.2, answering pings, its caches and ARP entry warm; yields
    the namespace and the tender's process id."""
    with tap_namespace("mirage-wakeup") as ns:
        server = subprocess.Popen(["ip", "netns", "exec", ns, tender, "--net:service=tap0", "--", image, "--ipv4=10.0.0.2/24"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            for _ in range(100):
                if subprocess.run(["ip", "netns", "exec", ns, "ping", "-c", "1", "-W", "1", "10.0.0.2"], capture_output=True).returncode == 0:
                    break
                time.sleep(0.1)
            mean_round_trip(ns, "10.0.0.2", 20)
            yield ns, int(sh("pgrep", "-n", "-f", image + " --ipv4").stdout.split()[0])
        finally:
            stop(server)


def guest_run(tender, image, count):
    with guest(tender, image) as (ns, _):
        return mean_round_trip(ns, "10.0.0.2", count)


def guest_steps(tender, image, count, trace):
    """The traced run: the guest pinged under perf record, the trace read while the tender runs
    (its threads are told apart by their process ids)."""
    with guest(tender, image) as (ns, pid):
        sh("ip", "netns", "exec", ns, "perf", "record", "-q", "-a", "-e", ",".join(EVENTS), "-o", trace, "--",
           "ping", "-c", str(count), "-i", "0.005", "-q", "10.0.0.2")
        return steps(trace, pid)


def kernel_run(count):
    with veth_namespaces("mirage-wakeup") as (a, _):
        mean_round_trip(a, "10.0.1.2", 20)
        return mean_round_trip(a, "10.0.1.2", count)


LINE = re.compile(r"^\s*(\S+)\s+(\d+)\s+([\d.]+):\s+(\S+):\s*(.*)$")


def steps(trace, tender_pid):
    """The echoes found whole in the trace, each six figures in seconds (its five steps, then the
    whole echo), and the count of echoes sent; an echo missing one of its events is left out."""
    script = sh("perf", "script", "-i", trace, "-F", "comm,tid,time,event,trace").stdout
    tender_threads = {int(entry) for entry in os.listdir(f"/proc/{tender_pid}/task")} if os.path.isdir(f"/proc/{tender_pid}/task") else set()
    events = []
    for line in script.splitlines():
        match = LINE.match(line)
        if match:
            comm, tid, stamp, event, rest = match.groups()
            events.append((float(stamp), comm, int(tid), event, rest))
    # The vCPU thread enters the guest (ioctl); the I/O thread reads the tap (readv).
    vcpu = {tid for _, comm, tid, event, rest in events if event == "kvm:kvm_mmio"}
    io = {tid for _, comm, tid, event, rest in events
          if comm.startswith("mirage-hvt") and event == "raw_syscalls:sys_exit" and rest.startswith(f"NR {READV} ")} - vcpu
    if tender_threads:
        vcpu &= tender_threads
        io &= tender_threads

    def call(rest, number, entering):
        return rest.startswith(f"NR {number} ") if entering else re.match(rf"NR {number} = (\d+)$", rest) is not None

    starts = [index for index, (_, comm, _, event, rest) in enumerate(events)
              if comm == "ping" and event == "raw_syscalls:sys_enter" and call(rest, SENDTO, True)]
    echoes = []
    for number, start in enumerate(starts):
        end = starts[number + 1] if number + 1 < len(starts) else len(events)
        window = events[start:end]
        t0 = window[0][0]

        def first(predicate, after):
            return next((stamp for stamp, comm, tid, event, rest in window if stamp >= after and predicate(comm, tid, event, rest)), None)
        t5 = first(lambda c, t, e, r: c == "ping" and e == "raw_syscalls:sys_exit" and call(r, RECVMSG, False), t0)
        t1 = first(lambda c, t, e, r: t in io and e == "raw_syscalls:sys_exit" and call(r, READV, False), t0)
        t2 = t1 and first(lambda c, t, e, r: t in vcpu and e == "raw_syscalls:sys_enter" and call(r, IOCTL, True), t1)
        t3 = t2 and first(lambda c, t, e, r: t in vcpu and e == "kvm:kvm_mmio", t2)
        t4 = t3 and first(lambda c, t, e, r: t in io and e == "raw_syscalls:sys_enter" and call(r, WRITEV, True), t3)
        if None in (t1, t2, t3, t4, t5) or not t0 <= t1 <= t2 <= t3 <= t4 <= t5:
            continue  # the guest was awake (no KVM_RUN), or an event fell outside the window
        echoes.append((t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4, t5 - t0))
    return echoes, len(starts)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--pings", type=int, default=200, help="echoes a round, 5 ms apart")
    parser.add_argument("--traced", type=int, default=60, help="echoes in the traced run")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--tender", help="the mirage-hvt to run the guest under (default: this checkout's, release)")
    options = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("run as root: the benchmark makes network namespaces and tap devices")
    if not os.access("/dev/kvm", os.W_OK):
        print("SKIP: /dev/kvm is absent or not writable: no guest to ping")
        return
    ensure_tools((("ping", "iputils-ping"), ("perf", "linux-perf")))
    tool = os.path.join(ROOT, ".build/debug/swift-mirage")
    subprocess.run(["swift", "build", "--product", "swift-mirage"], cwd=ROOT, check=True, capture_output=True)
    tender = os.path.abspath(options.tender) if options.tender else os.path.join(ROOT, ".build/release/mirage-hvt")
    if not options.tender:
        subprocess.run(["swift", "build", "-c", "release", "--product", "mirage-hvt"], cwd=ROOT, check=True, capture_output=True)
    echo = os.path.join(ROOT, "Examples/echo")
    scratch = f"/tmp/mirage-bench-wakeup-{os.getpid()}"
    os.makedirs(scratch, exist_ok=True)
    subprocess.run([tool, "configure", "-t", "hvt", echo], check=True, capture_output=True)
    subprocess.run([tool, "build", echo], check=True, capture_output=True)
    image = os.path.join(scratch, "echo.hvt")
    shutil.copy(os.path.join(echo, "dist/echo.hvt"), image)
    try:
        runs = {"hvt": lambda count: guest_run(tender, image, count), "Linux": kernel_run}
        for run in runs.values():
            run(20)
        results = {name: [] for name in runs}
        for index in range(options.rounds):
            for name in (list(runs) if index % 2 == 0 else list(runs)[::-1]):
                results[name].append(runs[name](options.pings))
        echoes, sent = guest_steps(tender, image, options.traced, os.path.join(scratch, "trace.data")) if shutil.which("perf") else ([], 0)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    ours, theirs = spread(results["hvt"]), spread(results["Linux"])
    print(f"{options.rounds} rounds after a warm-up, the guest and Linux taking turns; ping every 5 ms, "
          f"{options.pings} echoes a round; median of the rounds' means (range)\n")
    print("| what | hvt guest over tap | Linux over veth | hvt/Linux |")
    print("|---|---|---|---|")
    print(f"| ping round trip every 5 ms, µs | {ours[0] * 1e6:.0f} ({ours[1] * 1e6:.0f}-{ours[2] * 1e6:.0f}) | "
          f"{theirs[0] * 1e6:.0f} ({theirs[1] * 1e6:.0f}-{theirs[2] * 1e6:.0f}) | {ours[0] / theirs[0]:.1f}x |")
    if not echoes:
        print("\nsteps: not measured (needs perf and its kvm, sched and raw_syscalls trace points)")
        return
    print(f"\nWhere a traced echo goes ({len(echoes)} of {sent} echoes that found the guest asleep; "
          "µs, median (range); each traced event adds about 1 µs)\n")
    print("| step | µs |")
    print("|---|---|")
    for index, label in enumerate(STEPS):
        median, low, high = spread([echo[index] for echo in echoes])
        print(f"| {index + 1 if index < 5 else 'all'}. {label} | {median * 1e6:.0f} ({low * 1e6:.0f}-{high * 1e6:.0f}) |")


if __name__ == "__main__":
    main()
