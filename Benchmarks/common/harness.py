"""What the benchmarks share: installing their peers, building an example for a target, stopping
a server, and network-namespace plumbing (fresh namespaces, a tap device for our stack, a veth
pair for the Linux kernel's, each deleted after use). Run as root."""
import contextlib
import os
import shutil
import subprocess
import sys


def sh(*command, check=True, **options):
    return subprocess.run(command, check=check, capture_output=True, text=True, **options)


def ensure_tools(wanted):
    """Installs with apt-get the packages of the `(program, package)` pairs whose program is missing."""
    missing = [package for program, package in wanted
               if not shutil.which(program) and not os.path.exists("/usr/sbin/" + program)]
    if missing:
        print(f"installing {' '.join(missing)} with apt-get", file=sys.stderr)
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        if subprocess.run(["apt-get", "install", "-y", *missing], env=env, capture_output=True).returncode != 0:
            subprocess.run(["apt-get", "update"], env=env, capture_output=True)
            subprocess.run(["apt-get", "install", "-y", *missing], env=env, check=True, capture_output=True)


def rotated(items, round_index):
    """`items` in round `round_index`'s order: each round starts one further along, so that none
    always runs first, or always right after the same other (a run can find the machine as the
    one before it left it)."""
    items = list(items)
    start = round_index % len(items)
    return items[start:] + items[:start]


def build_example(tool, example, target, network, scratch, configure=()):
    """Configures and builds the example folder `example` for `target` (unix with `--net=network`),
    and copies its image into `scratch`; returns the copy's path."""
    # The folder comes before the configure-time keys, as `swift-mirage configure` reads them.
    arguments = [tool, "configure", "-t", target] + ([f"--net={network}"] if target == "unix" else []) + [example] + list(configure)
    sh(*arguments)
    sh(tool, "build", example)
    name = os.path.basename(example) + (".hvt" if target == "hvt" else "")
    copy = os.path.join(scratch, "-".join([target, network, *configure, name]).replace("=", "-"))
    shutil.copy(os.path.join(example, "dist", name), copy)
    return copy


def compile_c(directory, name, source, *flags):
    """Writes the C program `source` to `directory`/`name`.c and compiles it with gcc -O2 and
    `flags` into `directory`/`name`; returns the binary's path (benchmarks' small peers and probes)."""
    path = os.path.join(directory, name + ".c")
    binary = os.path.join(directory, name)
    with open(path, "w") as file:
        file.write(source)
    sh("gcc", "-O2", *flags, "-o", binary, path)
    return binary


def stop(process):
    """Ends a server: SIGTERM, then SIGKILL after ten seconds."""
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def namespace(name):
    sh("ip", "netns", "add", name)
    sh("ip", "netns", "exec", name, "ip", "link", "set", "lo", "up")


@contextlib.contextmanager
def tap_namespace(prefix):
    """A namespace with tap0 at 10.0.0.1/24 and 2001:db8::1/64 (our stack takes 10.0.0.2 and
    2001:db8::2); yields its name."""
    ns = f"{prefix}-{os.getpid()}"
    namespace(ns)
    try:
        for step in (["ip", "tuntap", "add", "dev", "tap0", "mode", "tap"], ["ip", "addr", "add", "10.0.0.1/24", "dev", "tap0"],
                     ["ip", "-6", "addr", "add", "2001:db8::1/64", "dev", "tap0", "nodad"], ["ip", "link", "set", "tap0", "up"]):
            sh("ip", "netns", "exec", ns, *step)
        yield ns
    finally:
        sh("ip", "netns", "delete", ns, check=False)


@contextlib.contextmanager
def veth_namespaces(prefix):
    """Two namespaces joined by a veth pair, 10.0.1.1 and 2001:db8:1::1 (client side), 10.0.1.2
    and 2001:db8:1::2 (server side); yields (client, server)."""
    a, b = f"{prefix}-a-{os.getpid()}", f"{prefix}-b-{os.getpid()}"
    namespace(a)
    namespace(b)
    try:
        sh("ip", "link", "add", "veth-a", "netns", a, "type", "veth", "peer", "name", "veth-b", "netns", b)
        sh("ip", "netns", "exec", a, "ip", "addr", "add", "10.0.1.1/24", "dev", "veth-a")
        sh("ip", "netns", "exec", b, "ip", "addr", "add", "10.0.1.2/24", "dev", "veth-b")
        sh("ip", "netns", "exec", a, "ip", "-6", "addr", "add", "2001:db8:1::1/64", "dev", "veth-a", "nodad")
        sh("ip", "netns", "exec", b, "ip", "-6", "addr", "add", "2001:db8:1::2/64", "dev", "veth-b", "nodad")
        sh("ip", "netns", "exec", a, "ip", "link", "set", "veth-a", "up")
        sh("ip", "netns", "exec", b, "ip", "link", "set", "veth-b", "up")
        yield a, b
    finally:
        sh("ip", "netns", "delete", a, check=False)
        sh("ip", "netns", "delete", b, check=False)


# The performance settings of every nginx peer, printed with the tables (`nginx_settings`).
NGINX_HTTP_SETTINGS = """access_log off;
    sendfile {sendfile};
    tcp_nopush {nopush};
    open_file_cache max=1000 inactive=60s;
    open_file_cache_valid 60s;
    open_file_cache_min_uses 1;
    open_file_cache_errors on;
    keepalive_requests 1000000;
    keepalive_timeout 60s;"""


def nginx_settings(sendfile=True):
    """The nginx peer's performance settings, one line, for a benchmark's output."""
    text = NGINX_HTTP_SETTINGS.format(sendfile="on" if sendfile else "off", nopush="on" if sendfile else "off")
    return "worker_processes 1; " + " ".join(line.strip() for line in text.splitlines())


def nginx_config(directory, root, port, tls=None, sendfile=True, connections=1024):
    """A one-worker nginx serving `root` on `port`, IPv4 and IPv6, as its experts would for these
    benchmarks: access log off, open file descriptors and their metadata cached (`open_file_cache`),
    keep-alive unlimited, and `sendfile` (with `tcp_nopush`) on or off: which is faster depends on
    the page's size, so a benchmark measures both and keeps the faster (`faster_sendfile`). `tls`,
    when given, is (certificate, key, tickets): TLS 1.3 only with X25519, session tickets on or off
    and no session cache. `connections` is the worker's `worker_connections` (nginx allocates its
    connection and event structures for that many at start). Writes the configuration into
    `directory` (``nginx_settings`` shows it); returns the command that starts nginx in the
    foreground."""
    name = f"nginx-{port}" + ("" if tls is None else ("-tickets" if tls[2] else "-full")) + ("" if sendfile else "-copy")
    path = os.path.join(directory, name + ".conf")
    listen = f"listen {port}; listen [::]:{port};"
    if tls is not None:
        certificate, key, tickets = tls
        listen = f"""listen {port} ssl; listen [::]:{port} ssl;
        ssl_certificate {certificate};
        ssl_certificate_key {key};
        ssl_protocols TLSv1.3;
        ssl_ecdh_curve X25519;
        ssl_session_tickets {'on' if tickets else 'off'};
        ssl_session_cache off;"""
    with open(path, "w") as file:
        file.write(f"""daemon off;
master_process off;
worker_processes 1;
pid {directory}/{name}.pid;
error_log stderr error;
events {{ worker_connections {connections}; }}
http {{
    include /etc/nginx/mime.types;
    {NGINX_HTTP_SETTINGS.format(sendfile="on" if sendfile else "off", nopush="on" if sendfile else "off")}
    client_body_temp_path {directory}/body;
    proxy_temp_path {directory}/proxy;
    fastcgi_temp_path {directory}/fastcgi;
    uwsgi_temp_path {directory}/uwsgi;
    scgi_temp_path {directory}/scgi;
    server {{
        {listen}
        root {root};
        index index.html;
    }}
}}
""")
    return ["nginx", "-c", path, "-p", directory]


def cpu_seconds(pid):
    """The CPU time, user and system, that process `pid` and its live descendants (all their
    threads: NSD serves from a child process) have used, in seconds."""
    parents, ticks = {}, {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as file:
                fields = file.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry)] = int(fields[1])
        ticks[int(entry)] = int(fields[11]) + int(fields[12])
    total, wanted = 0, {pid}
    while wanted:
        process = wanted.pop()
        total += ticks.get(process, 0)
        wanted.update(child for child, parent in parents.items() if parent == process)
    return total / os.sysconf("SC_CLK_TCK")


def smallest_passing(passes, low, high):
    """The smallest integer in low...high for which `passes` (true from some point on) holds, found
    by bisection; None when not even `high` passes. The benchmarks' smallest `--mem` that serves."""
    if not passes(high):
        return None
    while low < high:
        middle = (low + high) // 2
        if passes(middle):
            high = middle
        else:
            low = middle + 1
    return high


def spread(values):
    """The median of `values` and their range, as the tables print them: `median (min-max)`."""
    ordered = sorted(values)
    return ordered[len(ordered) // 2], ordered[0], ordered[-1]
