#!/usr/bin/env python3
"""HTTPS benchmark: Examples/static-website configured --tls=true against nginx with OpenSSL (one
worker, the same certificate, the same files), measured with wrk in the same run.

  sudo python3 Benchmarks/https/run.py [--seconds 5] [--rounds 5] [--connections 10]

For each path (host sockets; our stack over tap as a Linux process and as a KVM guest, the guest
with the tender's default --poll-spin and with --poll-spin=0, against nginx on the Linux kernel's
stack over veth) four rows, each a warm-up and then ROUNDS rounds in
which ours and nginx alternate:
  * full handshakes/s: every request on a new connection (`Connection: close`), TLS 1.3 with an
    ECDSA P-256 certificate and X25519, both servers giving no session tickets (ours
    --tls-tickets=false, nginx ssl_session_tickets off, no session cache): wrk resumes sessions
    when it can, so this is the only way both do a full handshake each time;
  * requests/s over keep-alive, GET / (279 bytes);
  * the throughput of a 1 MiB file, one connection;
  * resumed handshakes/s: as the first row, both servers giving tickets (wrk resumes with them).
Medians with their spread (min-max) and the ratio of the medians. Then the smallest --mem with
which the guest serves HTTPS, and the image sizes. Installs wrk, nginx-light and curl when missing. The
files come from tar archives (--kv=tar) so that the 1 MiB file need not be compiled in. Not a
test: no thresholds."""
import argparse
import contextlib
import os
import re
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
from harness import build_example, ensure_tools, namespace, rotated, sh, smallest_passing, stop, tap_namespace, veth_namespaces  # noqa: E402
from harness import nginx_config as harness_nginx_config, nginx_settings  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SITE = os.path.join(ROOT, "Examples/static-website")
QUIET = ["-l", "http:warning"]


def wrk(ns, url, seconds, connections, close=False):
    """Requests/s, bytes/s and errors of one wrk run."""
    command = ["ip", "netns", "exec", ns, "wrk", "-t1", f"-c{connections}", f"-d{seconds}s"]
    if close:
        command += ["-H", "Connection: close"]
    output = sh(*command, url).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    transfer = re.search(r"Transfer/sec:\s+([\d.]+)(B|KB|MB|GB)", output)
    bytes_per_second = float(transfer.group(1)) * {"B": 1, "KB": 1 << 10, "MB": 1 << 20, "GB": 1 << 30}[transfer.group(2)]
    errors = sum(int(x) for m in re.finditer(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
                 for x in m.groups())
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {"rate": rate, "bytes": bytes_per_second, "errors": errors + (int(non2xx.group(1)) if non2xx else 0)}


def wait_for(ns, url, process, seconds=30):
    for _ in range(seconds * 20):
        if process.poll() is not None:
            raise RuntimeError(f"the server for {url} exited with {process.returncode}")
        if subprocess.run(["ip", "netns", "exec", ns, "curl", "-k", "-s", "-o", "/dev/null", "-m", "1", url]).returncode == 0:
            return
        time.sleep(0.05)
    raise RuntimeError(f"nothing answered at {url}")


@contextlib.contextmanager
def serving(ns, command, url):
    process = subprocess.Popen(["ip", "netns", "exec", ns, *command], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(ns, url, process)
        yield process
    finally:
        stop(process)


def nginx_config(directory, root, port, certificate, key, tickets=False):
    """nginx with OpenSSL on the same certificate, session tickets on or off (harness.nginx_config)."""
    return harness_nginx_config(directory, root, port, tls=(certificate, key, tickets))


FULL = [("full handshakes/s", "/", None, True, "rate"), ("keep-alive requests/s", "/", None, False, "rate"),
        ("1 MiB file, MB/s", "/big.bin", 1, False, "bytes")]
RESUMED = [("resumed handshakes/s", "/", None, True, "rate")]


def measure(rows, plans, ours, theirs, seconds, connections, rounds):
    """Fills rows[name] = {"ours": [...], "nginx": [...]} for `plans`, ours and nginx alternating."""
    for name, path, clients, close, field in plans:
        clients = clients or connections
        entry = rows.setdefault(name, {"ours": [], "nginx": [], "errors": [0, 0]})
        for side in (ours, theirs):  # warm-up
            wrk(side[0], side[1] + path, 1, clients, close)
        for round_index in range(rounds):
            for label, side in rotated((("ours", ours), ("nginx", theirs)), round_index):
                index = 0 if label == "ours" else 1
                result = wrk(side[0], side[1] + path, seconds, clients, close)
                value = result[field] / (1 << 20) if field == "bytes" else result[field]
                entry[label].append(value)
                entry["errors"][index] += result["errors"]


def table(title, rows):
    print(f"\n{title}\n")
    print("| measure | ours, median (min-max) | nginx, median (min-max) | ours / nginx | errors, ours / nginx |")
    print("|---|---|---|---|---|")
    cell = lambda values: f"{statistics.median(values):.0f} ({min(values):.0f}-{max(values):.0f})"
    for name, entry in rows.items():
        ratio = statistics.median(entry["ours"]) / statistics.median(entry["nginx"])
        print(f"| {name} | {cell(entry['ours'])} | {cell(entry['nginx'])} | {ratio:.2f} | {entry['errors'][0]} / {entry['errors'][1]} |")


def smallest_memory(tender, guest, blocks):
    def serves(mebibytes):
        try:
            with tap_namespace("mirage-https-mem") as ns:
                command = [tender, f"--mem={mebibytes}", "--net:service=tap0", *blocks, "--", guest, "--ipv4=10.0.0.2/24", *QUIET]
                with serving(ns, command, "https://10.0.0.2/"):
                    result = wrk(ns, "https://10.0.0.2/", 2, 10)
                    return result["errors"] == 0 and result["rate"] > 0
        except (RuntimeError, AttributeError, subprocess.CalledProcessError):
            return False
    return smallest_passing(serves, 1, 64)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=10)
    options = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("run as root: the benchmark makes network namespaces and tap devices")
    ensure_tools((("wrk", "wrk"), ("nginx", "nginx-light"), ("curl", "curl")))
    tool = os.path.join(ROOT, ".build/debug/swift-mirage")
    sh("swift", "build", "--product", "swift-mirage", cwd=ROOT)
    scratch = tempfile.mkdtemp(prefix="mirage-https-")
    try:
        # The certificate both servers use: ECDSA P-256 from a throwaway development CA.
        certificates = os.path.join(SITE, "certificates")
        sh(os.path.join(ROOT, "scripts/dev-certificate"), certificates, "localhost", "127.0.0.1", "10.0.0.2", "10.0.1.2",
           env=dict(os.environ, MIRAGE_DEV_CA=os.path.join(scratch, "ca")))
        certificate, key = os.path.join(scratch, "server.pem"), os.path.join(scratch, "server.key")
        shutil.copy(os.path.join(certificates, "server.pem"), certificate)
        shutil.copy(os.path.join(certificates, "server.key"), key)
        # The files: the website's and a 1 MiB file, for nginx's root and for our tar archives.
        root = os.path.join(scratch, "htdocs")
        shutil.copytree(os.path.join(SITE, "htdocs"), root)
        with open(os.path.join(root, "big.bin"), "wb") as file:
            file.write(os.urandom(1 << 20))
        htdocs_tar = os.path.join(scratch, "htdocs.tar")
        with tarfile.open(htdocs_tar, "w", format=tarfile.USTAR_FORMAT) as archive:
            for name in sorted(os.listdir(root)):
                archive.add(os.path.join(root, name), arcname=name)
        configure = ("--tls=true", "--kv=tar")
        socket_image = build_example(tool, SITE, "unix", "socket", scratch, configure)
        certificates_tar = os.path.join(scratch, "certificates.tar")
        shutil.copy(os.path.join(SITE, "dist", "certificates.tar"), certificates_tar)
        direct_image = build_example(tool, SITE, "unix", "direct", scratch, configure)
        guest = tender = None
        if os.access("/dev/kvm", os.W_OK):
            sh("swift", "build", "-c", "release", "--product", "mirage-hvt", cwd=ROOT)
            tender = os.path.join(ROOT, ".build/release/mirage-hvt")
            guest = build_example(tool, SITE, "hvt", "direct", scratch, configure)
        else:
            print("SKIP: the hvt rows: /dev/kvm is absent or not writable")
        files = [f"--block:htdocs={htdocs_tar}", f"--block:certificates={certificates_tar}"]
        seconds, rounds, connections = options.seconds, options.rounds, options.connections
        print(f"wrk -t1, {seconds} s a round, {rounds} rounds alternating after a warm-up; TLS 1.3, X25519, ECDSA P-256; "
              f"{connections} connections (1 for the 1 MiB file)")
        print("nginx: " + nginx_settings() + " ssl_protocols TLSv1.3; ssl_ecdh_curve X25519; ssl_session_cache off; "
              "ssl_session_tickets on (resumed row) or off (the others); OpenSSL without kernel TLS, so sendfile is not used")

        ns = f"mirage-https-{os.getpid()}"
        namespace(ns)
        rows = {}
        try:
            for tickets, plans in ((False, FULL), (True, RESUMED)):
                ours = [socket_image, "--port=8080", "--tls-port=8443", f"--tls-tickets={'true' if tickets else 'false'}", *files, *QUIET]
                with serving(ns, ours, "https://127.0.0.1:8443/"), \
                     serving(ns, nginx_config(scratch, root, 8444, certificate, key, tickets), "https://127.0.0.1:8444/"):
                    measure(rows, plans, (ns, "https://127.0.0.1:8443"), (ns, "https://127.0.0.1:8444"), seconds, connections, rounds)
        finally:
            sh("ip", "netns", "delete", ns, check=False)
        table("host sockets, 127.0.0.1 (unix --net=socket) / nginx on the same loopback", rows)

        paths = [("our stack on tap (unix --net=direct) / nginx on Linux over veth", [direct_image, *files], [])]
        if guest:
            paths.append(("our stack in a KVM guest on tap (hvt) / nginx on Linux over veth",
                          [tender, "--net:service=tap0", *files, "--", guest], []))
            paths.append(("the same, the guest never spinning (hvt --poll-spin=0) / nginx on Linux over veth",
                          [tender, "--poll-spin=0", "--net:service=tap0", *files, "--", guest], []))
        for title, command, _ in paths:
            rows = {}
            for tickets, plans in ((False, FULL), (True, RESUMED)):
                with tap_namespace("mirage-https-tap") as tap, veth_namespaces("mirage-https") as (client, server):
                    ours = command + ["--ipv4=10.0.0.2/24", f"--tls-tickets={'true' if tickets else 'false'}", *QUIET]
                    with serving(tap, ours, "https://10.0.0.2/"), \
                         serving(server, nginx_config(scratch, root, 443, certificate, key, tickets), "https://127.0.0.1/"):
                        measure(rows, plans, (tap, "https://10.0.0.2"), (client, "https://10.0.1.2"), seconds, connections, rounds)
            table(title, rows)

        if guest:
            memory = smallest_memory(tender, guest, files)
            print(f"\nsmallest --mem for the hvt website to serve HTTPS (wrk -c10, 2 s, no errors): "
                  + (f"{memory} MiB" if memory else "more than 64 MiB"))
        print("\n| image | bytes |\n|---|---|")
        images = [("static-website --tls=true, unix --net=socket", socket_image), ("static-website --tls=true, unix --net=direct", direct_image)]
        if guest:
            images.append(("static-website.hvt --tls=true (stripped)", guest))
        images.append(("nginx binary (peer; plus its shared libraries, OpenSSL's among them)", shutil.which("nginx") or "/usr/sbin/nginx"))
        for label, path in images:
            print(f"| {label} | {os.path.getsize(path)} |")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
