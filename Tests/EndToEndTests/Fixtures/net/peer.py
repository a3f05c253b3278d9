#!/usr/bin/env python3
"""The Linux kernel's side of the network end-to-end tests: run inside the test's network
namespace, against a unikernel at 10.0.0.2 on tap0 (the kernel is 10.0.0.1). Each subcommand
checks one behaviour and exits non-zero with a message when it fails."""
import hashlib
import os
import socket
import struct
import subprocess
import sys
import threading
import time

TARGET = os.environ.get("TARGET", "10.0.0.2")


def fail(message):
    print("FAIL: " + message, flush=True)
    sys.exit(1)


def echo_round_trip(size, chunk=1 << 16, read_delay=0.0, receive_buffer=None):
    """Sends `size` random bytes to the echo port while reading the echo; compares digests."""
    data = os.urandom(size)
    s = socket.socket()
    if receive_buffer:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
    s.settimeout(30)
    s.connect((TARGET, 7))

    def writer():
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)

    thread = threading.Thread(target=writer)
    thread.start()
    digest = hashlib.sha256()
    received = 0
    while True:
        block = s.recv(chunk)
        if not block:
            break
        digest.update(block)
        received += len(block)
        if read_delay:
            time.sleep(read_delay)
    thread.join()
    s.close()
    if received != size or digest.digest() != hashlib.sha256(data).digest():
        fail(f"echo of {size} bytes came back as {received} bytes with another digest")
    print(f"echoed {size} bytes, sha256 {digest.hexdigest()[:16]}")


def ping():
    for size in (56, 1472, 4000):
        result = subprocess.run(["ping", "-c", "3", "-i", "0.2", "-W", "2", "-s", str(size), TARGET],
                                capture_output=True, text=True)
        if result.returncode != 0 or " 0% packet loss" not in result.stdout:
            fail(f"ping -s {size}: {result.stdout} {result.stderr}")
        print(f"ping -s {size}: 3/3 replies")


def udp():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(3)
    for size in (1, 100, 1472, 3000, 8000):
        payload = os.urandom(size)
        s.sendto(payload, (TARGET, 7))
        reply, source = s.recvfrom(65536)
        if reply != payload or source != (TARGET, 7):
            fail(f"UDP echo of {size} bytes came back as {len(reply)} bytes from {source}")
    print("UDP echo kept 5 datagrams whole, up to 8000 bytes (fragmented)")


def concurrent(count=200):
    sockets = []
    for index in range(count):
        s = socket.create_connection((TARGET, 7), timeout=10)
        sockets.append(s)
    for index, s in enumerate(sockets):
        s.sendall(bytes([index % 256]) * 1024)
        s.shutdown(socket.SHUT_WR)
    for index, s in enumerate(sockets):
        received = b""
        while True:
            block = s.recv(4096)
            if not block:
                break
            received += block
        if received != bytes([index % 256]) * 1024:
            fail(f"connection {index} echoed {len(received)} bytes")
        s.close()
    print(f"{count} concurrent connections each echoed 1 KiB")


def reset():
    s = socket.create_connection((TARGET, 7), timeout=10)
    s.sendall(b"x" * 100000)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()  # the kernel sends a reset
    time.sleep(0.2)
    echo_round_trip(100000)
    print("after the kernel reset a connection, the server still echoes")


def malformed():
    from scapy.all import Ether, IP, TCP, UDP, ICMP, Raw, fragment, sendp, conf, getmacbyip
    conf.verb = 0
    iface = "tap0"
    mac = getmacbyip(TARGET)
    if mac is None:
        fail("no ARP answer from the unikernel")
    ether = Ether(dst=mac)
    frames = []
    frames.append(Ether(bytes(ether / IP(dst=TARGET) / ICMP())[:20]))  # truncated IP header
    bad_length = ether / IP(dst=TARGET, len=2000) / ICMP()
    frames.append(bad_length)
    frames.append(ether / IP(dst=TARGET, chksum=0x1234) / ICMP())  # bad IP checksum
    frames.append(ether / IP(dst=TARGET) / ICMP(chksum=0x1234))  # bad ICMP checksum
    frames.append(ether / IP(dst=TARGET) / UDP(dport=7, chksum=0x1234) / Raw(b"hello"))  # bad UDP checksum
    frames.append(ether / IP(dst=TARGET) / TCP(dport=7, flags="S", dataofs=15) / Raw(b"\x02\x01"))  # bad offset
    frames.append(ether / IP(dst=TARGET) / TCP(dport=7, flags="S", options=[(2, b"\x05")]))  # bad MSS option length
    frames.append(ether / IP(dst=TARGET, ihl=3) / ICMP())  # header length below 20
    first, second = fragment(ether / IP(dst=TARGET, id=4242) / ICMP() / Raw(b"A" * 64), fragsize=32)[:2]
    overlap = second.copy()
    overlap[IP].frag = first[IP].frag  # a second fragment at the first one's offset with other data
    frames += [first, overlap, second]
    for frame in frames:
        sendp(frame, iface=iface)
    time.sleep(0.3)
    result = subprocess.run(["ping", "-c", "2", "-W", "2", TARGET], capture_output=True, text=True)
    if result.returncode != 0:
        fail("the unikernel stopped answering pings after malformed frames")
    print(f"sent {len(frames)} malformed frames; pings still answered")


def syn_flood(count=3000):
    """SYNs from a host that never answers (the stack learns a MAC for it that nobody owns), so
    the half-open queue fills and the stack answers with SYN cookies; the kernel's own connection,
    made in the middle of the flood, must still be served."""
    from scapy.all import Ether, ARP, IP, TCP, sendp, conf, getmacbyip, RandShort
    conf.verb = 0
    mac = getmacbyip(TARGET)
    if mac is None:
        fail("no ARP answer from the unikernel")
    ghost, ghost_mac = "10.0.0.77", "02:00:00:00:00:77"
    sendp(Ether(src=ghost_mac, dst="ff:ff:ff:ff:ff:ff") / ARP(op=1, hwsrc=ghost_mac, psrc=ghost, pdst=TARGET), iface="tap0")
    flood = [Ether(src=ghost_mac, dst=mac) / IP(src=ghost, dst=TARGET) /
             TCP(sport=10000 + i, dport=7, flags="S", seq=i * 7919, options=[("MSS", 1460)]) for i in range(count)]
    sendp(flood, iface="tap0")
    echo_round_trip(1 << 20)
    print(f"sent {count} SYNs from {ghost}; a real connection was still served")


if __name__ == "__main__":
    command = sys.argv[1]
    if command == "ping":
        ping()
    elif command == "echo":
        echo_round_trip(int(sys.argv[2]))
    elif command == "slow-reader":
        echo_round_trip(4 << 20, chunk=4096, read_delay=0.0005, receive_buffer=4096)
    elif command == "udp":
        udp()
    elif command == "concurrent":
        concurrent()
    elif command == "reset":
        reset()
    elif command == "malformed":
        malformed()
    elif command == "syn-flood":
        syn_flood()
    else:
        fail("unknown command " + command)
