#!/usr/bin/env python3
"""A DHCP client crafted with scapy, for what Linux's clients do not do on demand: run inside
the test's network namespace against the DHCP server unikernel on tap0. Each subcommand checks
one behaviour of the server and exits non-zero with a message when it fails.

  nak       a REQUEST in INIT-REBOOT for an address off the network is refused (DHCPNAK)
  decline   an address declined is not offered again; the client gets another
  flood N   N DISCOVERs from random MACs, then a real exchange still gets an answer
  unicast   an OFFER to a client without the broadcast flag goes to its MAC and the offered
            address; with the flag, to the broadcast addresses (RFC 2131 section 4.1)
"""
import os
import random
import sys

from scapy.all import BOOTP, DHCP, IP, UDP, Ether, conf, srp1, sendp  # noqa: E402

conf.verb = 0
# Replies come from the server's address to 255.255.255.255, not from the 255.255.255.255 asked:
# matched by BOOTP's transaction ID alone.
conf.checkIPaddr = False
IFACE = "tap0"


def fail(message):
    print("FAIL: " + message, flush=True)
    sys.exit(1)


def options(reply):
    return {o[0]: o[1:] if len(o) > 2 else o[1] for o in reply[DHCP].options if isinstance(o, tuple)}


def packet(mac, xid, kind, extra=(), ciaddr="0.0.0.0", flags=0x8000):
    raw = bytes.fromhex(mac.replace(":", ""))
    return (Ether(src=mac, dst="ff:ff:ff:ff:ff:ff") / IP(src="0.0.0.0", dst="255.255.255.255")
            / UDP(sport=68, dport=67) / BOOTP(chaddr=raw, xid=xid, flags=flags, ciaddr=ciaddr)
            / DHCP(options=[("message-type", kind), *extra, "end"]))


def exchange(mac, xid, kind, extra=(), timeout=3, flags=0x8000):
    """Sends one message and returns the server's reply to it (same transaction), or None."""
    for _ in range(3):
        reply = srp1(packet(mac, xid, kind, extra, flags=flags), iface=IFACE, timeout=timeout)
        if reply is not None and BOOTP in reply and reply[BOOTP].op == 2:
            return reply
    return None


def lease(mac, xid):
    offer = exchange(mac, xid, "discover")
    if offer is None or options(offer).get("message-type") != 2:
        fail(f"no DHCPOFFER for {mac}")
    address = offer[BOOTP].yiaddr
    server = options(offer)["server_id"]
    ack = exchange(mac, xid, "request", [("requested_addr", address), ("server_id", server)])
    if ack is None or options(ack).get("message-type") != 5:
        fail(f"no DHCPACK for {address}")
    return address, server


def nak():
    reply = exchange("02:00:00:00:0a:01", 0x1234, "request", [("requested_addr", "192.168.9.9")])
    if reply is None:
        fail("no answer to a REQUEST for 192.168.9.9")
    found = options(reply)
    if found.get("message-type") != 6:
        fail(f"expected DHCPNAK, got {found}")
    print(f"DHCPNAK: {found.get('error_message', b'').decode()}")


def decline():
    mac = "02:00:00:00:0b:01"
    address, server = lease(mac, 0x2001)
    sendp(packet(mac, 0x2002, "decline", [("requested_addr", address), ("server_id", server)]), iface=IFACE)
    again, _ = lease(mac, 0x2003)
    if again == address:
        fail(f"{address} offered again after it was declined")
    print(f"declined {address}, then leased {again}")


def flood(count):
    seed = int(os.environ.get("SEED", random.randrange(1 << 32)))
    print(f"seed {seed}")
    rng = random.Random(seed)
    frames = []
    for _ in range(count):
        mac = "02:" + ":".join(f"{rng.randrange(256):02x}" for _ in range(5))
        frames.append(packet(mac, rng.randrange(1 << 32), "discover"))
    sendp(frames, iface=IFACE)
    # The pool is full of offers for 30 s: a new client gets none, but a REQUEST for an address
    # it held is still answered, and the server is alive.
    reply = exchange("02:00:00:00:0c:01", 0x3002, "request", [("requested_addr", "192.168.9.9")])
    if reply is None:
        fail("the server stopped answering after the flood")
    print(f"answered after {count} DISCOVERs")


def unicast():
    for mac, xid, flags in (("02:00:00:00:0d:01", 0x4001, 0), ("02:00:00:00:0d:02", 0x4002, 0x8000)):
        offer = exchange(mac, xid, "discover", flags=flags)
        if offer is None or options(offer).get("message-type") != 2:
            fail(f"no DHCPOFFER for {mac}")
        address = offer[BOOTP].yiaddr
        want = (mac, address) if flags == 0 else ("ff:ff:ff:ff:ff:ff", "255.255.255.255")
        got = (offer[Ether].dst, offer[IP].dst)
        if got != want:
            fail(f"the OFFER of {address} to {mac} (broadcast flag {flags >> 15}) went to {got}, not {want}")
        print(f"OFFER of {address} with broadcast flag {flags >> 15} went to {got[0]} {got[1]}")


if __name__ == "__main__":
    command = sys.argv[1]
    if command == "nak":
        nak()
    elif command == "decline":
        decline()
    elif command == "unicast":
        unicast()
    elif command == "flood":
        flood(int(sys.argv[2]))
    else:
        fail("unknown command " + command)
