#!/usr/bin/env python3
"""Fleet benchmark: website pods through containerd's CRI, our unikernel (the hvt website, started
by mirage-runc under containerd's runc shim, and by our own shim, containerd-shim-mirage-v2)
against nginx in runc containers, in the same run (DESIGN.md, "Benchmarks"; docs/kubernetes.md for
the set-up it mirrors).

  sudo python3 Benchmarks/fleet/run.py [--pods 1,10,100] [--rounds 3] [--mem 8]

Starts containerd (Debian's) with its CRI plugin in a network namespace of its own (the node: CNI's
bridge goes there), runtime handlers `runc`, `mirage` and `mirage-shim`, a static pause program in C as
Kubernetes' own as the sandbox image. Our image: `swift-mirage package` of Examples/static-website for hvt. The peer: nginx from
Debian in a runc container with the libraries ldd finds for it, one worker, the same index.html,
configured as Benchmarks/http does (access log off, sendfile, keep-alive). For each N, after a
warm-up pod of each, the three kinds take turns over the rounds: N pods started one after another as
the kubelet would (RunPodSandbox, CreateContainer, StartContainer), each timed from RunPodSandbox to
its first HTTP 200 on the pod's address; then host memory per pod: the PSS of the processes the
pods hold (shims, pause, the tender or nginx), divided by N; then the pods are removed. Tables: median and range of the
time to ready, memory per pod, ratios to nginx. Not a test: no thresholds."""
import argparse
import ctypes
import io
import os
import shutil
import socket
import subprocess
import sys
import tarfile
import time

sys.dont_write_bytecode = True
try:
    import grpc  # noqa: F401  Debian's python3-grpcio, for the CRI client
except ImportError:
    if sys.executable != "/usr/bin/python3" and os.path.exists("/usr/bin/python3"):
        os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)
    sys.exit("grpcio is missing: apt-get install python3-grpcio")
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(HERE, "..", "common"))
sys.path.insert(0, os.path.join(ROOT, "Tests", "EndToEndTests", "Fixtures", "cri"))
import harness  # noqa: E402
from harness import ensure_tools, sh, spread  # noqa: E402
import cri_client as cri  # noqa: E402

NODE = f"mirage-fleet-{os.getpid()}"
NETWORK = f"mirage-fleet-{os.getpid()}"


def nginx_image(out, index_html):
    """An OCI image of Debian's nginx: the binary, the libraries ldd finds, Benchmarks/http's
    one-worker configuration, and the website's index.html at /www."""
    files = {}
    for line in sh("ldd", "/usr/sbin/nginx").stdout.splitlines():
        path = next((word for word in line.split() if word.startswith("/")), None)
        if path:
            files[path.lstrip("/")] = (open(path, "rb").read(), 0o755)
    files["usr/sbin/nginx"] = (open("/usr/sbin/nginx", "rb").read(), 0o755)
    files["etc/nginx/mime.types"] = (open("/etc/nginx/mime.types", "rb").read(), 0o644)
    # Benchmarks/http's configuration, its scratch paths under the container's /tmp.
    scratch = os.path.dirname(out)
    harness.nginx_config(scratch, "/www", 80)
    with open(os.path.join(scratch, "nginx-80.conf")) as file:
        configuration = file.read().replace(scratch + "/", "/tmp/")
    files["etc/nginx/nginx.conf"] = (configuration.encode(), 0o644)
    files["etc/passwd"] = (b"root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n", 0o644)
    files["etc/group"] = (b"root:x:0:\nnogroup:x:65534:\n", 0o644)
    files["www/index.html"] = (open(index_html, "rb").read(), 0o644)
    layer = io.BytesIO()
    with tarfile.open(fileobj=layer, mode="w", format=tarfile.USTAR_FORMAT) as archive:
        directories = sorted({"/".join(path.split("/")[:depth]) for path in files for depth in range(1, path.count("/") + 1)} | {"tmp"})
        for directory in directories:
            info = tarfile.TarInfo(directory)
            info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o1777 if directory == "tmp" else 0o755, 0
            archive.addfile(info)
        for path in sorted(files):
            data, mode = files[path]
            info = tarfile.TarInfo(path)
            info.size, info.mode, info.mtime = len(data), mode, 0
            archive.addfile(info, io.BytesIO(data))
    cri.oci_archive(out, layer.getvalue(), ["/usr/sbin/nginx", "-c", "/etc/nginx/nginx.conf"], "localhost/nginx-fleet:latest")


# The sandbox's pause program as Kubernetes builds its own (build/pause/linux/pause.c: C, static,
# -Os): it waits for signals, exits on SIGINT or SIGTERM and reaps children. The tests' sandbox
# image is mirage-pause, a static Swift program several times larger, which would weigh on the
# runc pods' side of the memory table.
PAUSE_C = r"""
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static void stop(int signal) { _exit(0); }
static void reap(int signal) { while (waitpid(-1, NULL, WNOHANG) > 0) {} }

int main(void) {
    struct sigaction action = {0};
    action.sa_handler = stop;
    sigaction(SIGINT, &action, NULL);
    sigaction(SIGTERM, &action, NULL);
    action.sa_handler = reap;
    action.sa_flags = SA_NOCLDSTOP;
    sigaction(SIGCHLD, &action, NULL);
    for (;;) pause();
}
"""


def enter_node():
    """Moves this process into the node's network namespace: pod addresses are reached from there."""
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    with open(f"/var/run/netns/{NODE}") as namespace:
        if libc.setns(namespace.fileno(), 0x40000000) != 0:  # CLONE_NEWNET
            raise OSError(ctypes.get_errno(), "setns")


def ready_at(address, deadline):
    """The monotonic time of the first HTTP 200 for / from `address`, polling every 2 ms."""
    request = b"GET / HTTP/1.1\r\nHost: pod\r\nConnection: close\r\n\r\n"
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((address, 80), timeout=0.2) as connection:
                connection.sendall(request)
                if connection.recv(64).startswith(b"HTTP/1.1 200"):
                    return time.monotonic()
        except OSError:
            pass
        time.sleep(0.002)
    raise TimeoutError(f"{address} never answered")


def pods_memory(sock):
    """The proportional set size (PSS: shared pages split between their users) of every process
    the pods hold, by kind: the runc shims of this containerd, the pause processes, the tenders
    or nginx processes."""
    totals = {"shim": 0, "pause": 0, "workload": 0}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as file:
                arguments = file.read().split(b"\0")
            if arguments[0] == b"/pause":
                kind = "pause"
            elif arguments[0].endswith(b"/mirage-hvt") or arguments[0] == b"/usr/sbin/nginx" or arguments[0].startswith(b"nginx:"):
                kind = "workload"
            elif b"containerd-shim" in arguments[0] and sock.encode() in b" ".join(arguments):
                kind = "shim"
            else:
                continue
            with open(f"/proc/{pid}/smaps_rollup") as file:
                totals[kind] += next(int(line.split()[1]) * 1024 for line in file if line.startswith("Pss:"))
        except (OSError, StopIteration):
            pass
    return totals


def start_pods(sock, kind, count, logs, shared_shim=False):
    """Starts `count` pods of `kind` one after another; returns their IDs, times to ready, and
    the phases of each start (RunPodSandbox, CreateContainer, StartContainer, then to the first 200)."""
    handler, image = {"ours": ("mirage", "localhost/static-website:latest"), "ours-shim": ("mirage-shim", "localhost/static-website:latest"),
                      "nginx": ("runc", "localhost/nginx-fleet:latest")}[kind]
    pods, times, phases = [], [], []
    # With shared_shim, every pod of a kind is served by one runc shim (the shim's own grouping
    # annotation, passed from the pod by containerd's pod_annotations), for ours and nginx alike.
    annotations = [f"io.containerd.runc.v2.group=fleet-{kind}"] if shared_shim and kind != "ours-shim" else []
    for index in range(count):
        name = f"{kind}-{index}-{time.monotonic_ns()}"
        start = time.monotonic()
        pod = cri.decode_text(cri.call(sock, "RunPodSandbox", cri.length_delimited(1, cri.sandbox_config(name, logs, annotations))
                                       + cri.length_delimited(2, handler)))
        sandboxed = time.monotonic()
        container = cri.length_delimited(1, cri.length_delimited(1, "web")) + cri.length_delimited(2, cri.length_delimited(1, image)) \
            + cri.length_delimited(11, name + ".log")
        created = cri.decode_text(cri.call(sock, "CreateContainer", cri.length_delimited(1, pod) + cri.length_delimited(2, container)
                                           + cri.length_delimited(3, cri.sandbox_config(name, logs, annotations))))
        made = time.monotonic()
        cri.call(sock, "StartContainer", cri.length_delimited(1, created))
        started = time.monotonic()
        status = cri.decode(cri.call(sock, "PodSandboxStatus", cri.length_delimited(1, pod))[1][0])
        address = cri.decode(status[5][0])[1][0].decode()
        ready = ready_at(address, start + 60)
        times.append(ready - start)
        phases.append((sandboxed - start, made - sandboxed, started - made, ready - started))
        pods.append(pod)
    return pods, times, phases

def remove_pods(sock, pods):
    for pod in pods:
        cri.call(sock, "StopPodSandbox", cri.length_delimited(1, pod))
        cri.call(sock, "RemovePodSandbox", cri.length_delimited(1, pod))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--pods", default="1,10,100")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--mem", type=int, default=8, help="the guest's memory in MiB")
    parser.add_argument("--shared-shim", action="store_true",
                        help="one runc shim for all pods of a kind (io.containerd.runc.v2.group), for both kinds")
    options = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("run as root: the benchmark starts containerd and makes network namespaces")
    if not os.access("/dev/kvm", os.W_OK):
        sys.exit("/dev/kvm is absent or not writable: the unikernel pods cannot run here")
    ensure_tools([("containerd", "containerd"), ("runc", "runc"), ("nginx", "nginx-light")])
    if not os.path.exists("/usr/lib/cni/bridge"):
        sh("apt-get", "install", "-y", "-qq", "containernetworking-plugins")
    folder = f"/tmp/mirage-fleet-{os.getpid()}"
    os.makedirs(folder + "/cni", exist_ok=True)
    for product in ("swift-mirage",):
        subprocess.run(["swift", "build", "--product", product], cwd=ROOT, check=True, capture_output=True)
    for product in ("mirage-runc", "mirage-hvt", "containerd-shim-mirage-v2"):
        subprocess.run(["swift", "build", "-c", "release", "--product", product], cwd=ROOT, check=True, capture_output=True)
    tool = os.path.join(ROOT, ".build/debug/swift-mirage")
    website = os.path.join(ROOT, "Examples/static-website")
    subprocess.run([tool, "configure", "-t", "hvt", website], check=True, capture_output=True)
    subprocess.run([tool, "package", website, "--output", folder + "/website.oci", "--mem", str(options.mem),
                    "--tender", os.path.join(ROOT, ".build/release/mirage-hvt"), "--", "-l", "http:warning"], check=True, capture_output=True)
    pause = harness.compile_c(folder, "pause", PAUSE_C, "-Os", "-static")
    cri.pause_image(folder + "/pause.tar", pause, "localhost/mirage-pause:latest")
    nginx_image(folder + "/nginx.tar", os.path.join(website, "htdocs/index.html"))
    cri.containerd_config(folder, os.path.join(ROOT, ".build/release/mirage-runc"), NETWORK, "10.89.0.0/16")
    sh("ip", "netns", "add", NODE)
    sh("ip", "netns", "exec", NODE, "ip", "link", "set", "lo", "up")
    log = open(folder + "/containerd.log", "w")
    # containerd finds our shim on its PATH; the shim starts the mirage-hvt beside it.
    environment = dict(os.environ, PATH=os.path.join(ROOT, ".build/release") + ":" + os.environ.get("PATH", "/usr/sbin:/usr/bin"))
    containerd = subprocess.Popen(["nsenter", f"--net=/var/run/netns/{NODE}", "containerd", "--config", folder + "/config.toml"],
                                  stdout=log, stderr=log, env=environment)
    sock = folder + "/containerd.sock"
    try:
        for _ in range(100):
            if os.path.exists(sock):
                break
            time.sleep(0.1)
        time.sleep(1)
        for archive in ("pause.tar", "website.oci.tar", "nginx.tar"):
            sh("ctr", "--address", sock, "-n", "k8s.io", "image", "import", folder + "/" + archive)
        enter_node()
        counts = [int(n) for n in options.pods.split(",")]
        kinds = ["ours", "ours-shim", "nginx"]
        for kind in kinds:  # warm-up: images unpacked, caches warm
            pods, _, _ = start_pods(sock, kind, 1, folder + "/logs", options.shared_shim)
            remove_pods(sock, pods)
        results = {(kind, n): {"ready": [], "memory": [], "phases": [], "parts": []} for kind in kinds for n in counts}
        for round_index in range(options.rounds):
            for n in counts:
                for kind in kinds[round_index % 3:] + kinds[:round_index % 3]:
                    before = pods_memory(sock)
                    pods, times, phases = start_pods(sock, kind, n, folder + "/logs", options.shared_shim)
                    time.sleep(2)
                    after = pods_memory(sock)
                    parts = {part: (after[part] - before[part]) / n for part in after}
                    results[(kind, n)]["ready"] += times
                    results[(kind, n)]["phases"] += phases
                    results[(kind, n)]["memory"].append(sum(parts.values()))
                    results[(kind, n)]["parts"].append(parts)
                    remove_pods(sock, pods)
                    print(f"round {round_index + 1}: {n} {kind} pods, ready median {spread(times)[0] * 1000:.0f} ms, "
                          f"{sum(parts.values()) / 2**20:.1f} MiB each", flush=True)
        shims = "one runc shim for all pods of a kind (io.containerd.runc.v2.group)" if options.shared_shim else "a runc shim per pod"
        print(f"\n{options.rounds} rounds after a warm-up, the kinds taking turns; pods started one after another;"
              f" ours and nginx: {shims}; ours-shim: one containerd-shim-mirage-v2 for all; median (range)\n")
        print("| pods | kind | RunPodSandbox to first HTTP 200 | /nginx | host memory (PSS) per pod | /nginx |")
        print("|---|---|---|---|---|---|")
        for n in counts:
            theirs = results[("nginx", n)]
            r_theirs = spread([t * 1000 for t in theirs["ready"]])
            m_theirs = spread([m / 2**20 for m in theirs["memory"]])
            for kind in kinds:
                mine = results[(kind, n)]
                r_mine, m_mine = spread([t * 1000 for t in mine["ready"]]), spread([m / 2**20 for m in mine["memory"]])
                print(f"| {n} | {kind} | {r_mine[0]:.0f} ({r_mine[1]:.0f}-{r_mine[2]:.0f}) ms | {r_mine[0] / r_theirs[0]:.2f}x | "
                      f"{m_mine[0]:.2f} ({m_mine[1]:.2f}-{m_mine[2]:.2f}) MiB | {m_mine[0] / m_theirs[0]:.2f}x |")
        print("\nWhere the time to ready goes (median ms per pod, all pod counts):\n")
        print("| | RunPodSandbox | CreateContainer | StartContainer | started to first HTTP 200 |")
        print("|---|---|---|---|---|")
        for kind in kinds:
            phases = [p for n in counts for p in results[(kind, n)]["phases"]]
            columns = [spread([p[i] * 1000 for p in phases])[0] for i in range(4)]
            print(f"| {kind} | " + " | ".join(f"{c:.0f}" for c in columns) + " |")
        print("\nWhere the memory per pod goes (median PSS in MiB over the rounds):\n")
        print("| pods | kind | shim | pause | tender or nginx |")
        print("|---|---|---|---|---|")
        for n in counts:
            for kind in kinds:
                parts = results[(kind, n)]["parts"]
                print(f"| {n} | {kind} | " + " | ".join(f"{spread([p[part] / 2**20 for p in parts])[0]:.2f}"
                                                     for part in ("shim", "pause", "workload")) + " |")
        print(f"\nours: the hvt website with --mem={options.mem}, mirage-runc, containerd-shim-mirage-v2 and mirage-hvt release; nginx {sh('nginx', '-v').stderr.strip()}")
    finally:
        containerd.terminate()
        containerd.wait()
        subprocess.run(["umount", "-R", folder + "/root"], capture_output=True)
        subprocess.run(["ip", "netns", "delete", NODE], capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)
        shutil.rmtree(f"/var/lib/cni/networks/{NETWORK}", ignore_errors=True)


if __name__ == "__main__":
    main()
