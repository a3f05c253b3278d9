"""Network-namespace plumbing the benchmarks share: fresh namespaces, a tap device for our stack,
a veth pair for the Linux kernel's, each deleted after use. Run as root."""
import contextlib
import os
import subprocess


def sh(*command, check=True, **options):
    return subprocess.run(command, check=check, capture_output=True, text=True, **options)


def namespace(name):
    sh("ip", "netns", "add", name)
    sh("ip", "netns", "exec", name, "ip", "link", "set", "lo", "up")


@contextlib.contextmanager
def tap_namespace(prefix):
    """A namespace with tap0 at 10.0.0.1/24 (our stack takes 10.0.0.2); yields its name."""
    ns = f"{prefix}-{os.getpid()}"
    namespace(ns)
    try:
        for step in (["ip", "tuntap", "add", "dev", "tap0", "mode", "tap"], ["ip", "addr", "add", "10.0.0.1/24", "dev", "tap0"],
                     ["ip", "link", "set", "tap0", "up"]):
            sh("ip", "netns", "exec", ns, *step)
        yield ns
    finally:
        sh("ip", "netns", "delete", ns, check=False)


@contextlib.contextmanager
def veth_namespaces(prefix):
    """Two namespaces joined by a veth pair, 10.0.1.1 (client side) and 10.0.1.2 (server side);
    yields (client, server)."""
    a, b = f"{prefix}-a-{os.getpid()}", f"{prefix}-b-{os.getpid()}"
    namespace(a)
    namespace(b)
    try:
        sh("ip", "link", "add", "veth-a", "netns", a, "type", "veth", "peer", "name", "veth-b", "netns", b)
        sh("ip", "netns", "exec", a, "ip", "addr", "add", "10.0.1.1/24", "dev", "veth-a")
        sh("ip", "netns", "exec", b, "ip", "addr", "add", "10.0.1.2/24", "dev", "veth-b")
        sh("ip", "netns", "exec", a, "ip", "link", "set", "veth-a", "up")
        sh("ip", "netns", "exec", b, "ip", "link", "set", "veth-b", "up")
        yield a, b
    finally:
        sh("ip", "netns", "delete", a, check=False)
        sh("ip", "netns", "delete", b, check=False)
