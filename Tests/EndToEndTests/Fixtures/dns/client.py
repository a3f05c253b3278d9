#!/usr/bin/env python3
"""Client-side checks of the DNS server example, with dnspython (an implementation no one here
wrote), run inside the test's network namespace.

    client.py differential OURS PEER ZONEFILE ORIGIN   # ours against a reference server
    client.py malformed OURS ORIGIN                     # hostile messages, UDP and TCP
    client.py pipelined OURS ORIGIN                     # many queries on one TCP connection
    client.py axfr OURS ZONEFILE ORIGIN                 # a zone transfer against the file

OURS and PEER are HOST:PORT. Each prints what it checked and exits non-zero on a failure.

The differential check sends every name of the zone with every type, and names that are not in
it (below a delegation, under a wildcard, mixed case, outside every zone), over UDP without EDNS,
UDP with EDNS and TCP, to both servers, and compares the answers as sets. Where a reference
server legitimately differs, the difference is normalised explicitly, below, with the reason:

- ANY: RFC 8482 section 4.1 lets a server answer with any one RRset at the name, and we and
  Knot both do, but each picks its own (we the SOA at an apex, Knot the first it stores). Where
  the answers differ, ours must be a single RRset equal to the peer's answer to a query of that
  type, and the peer's answer to ANY a single RRset too (or every RRset, containing ours).
- A truncated answer (TC): RFC 2181 section 9 lets a server send some of the records or none.
  Only the header (rcode, flags) and the question are compared.
- The OPT record's payload size: each server advertises its own; only whether OPT is there is
  compared.
"""

import socket
import struct
import sys
import time

import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.zone

TIMEOUT = 2.0
TYPES = ["A", "AAAA", "NS", "SOA", "MX", "TXT", "SRV", "CAA", "CNAME", "PTR", "ANY", "TYPE65000"]


def endpoint(text):
    host, port = text.rsplit(":", 1)
    return host, int(port)


def load_zone(path, origin):
    return dns.zone.from_file(path, origin=origin, relativize=False, check_origin=True)


def query_names(zone, origin):
    """Every owner and empty non-terminal of the zone, and names the zone decides about
    otherwise."""
    origin = dns.name.from_text(origin)
    names = set()
    for name in zone.nodes:
        while name != origin and name.is_subdomain(origin):
            names.add(name)
            name = name.parent()
    names.add(origin)
    extra = [
        "nonexistent", "a.b.nonexistent",                 # NXDOMAIN
        "anything.users", "a.b.users", "x.pages",         # wildcard hits (and a CNAME one)
        "users", "pages", "dc", "rack1.dc",               # empty non-terminals, wildcard parents
        "nothing.rack1.dc",                               # NXDOMAIN below an empty non-terminal
        "sub", "ns1.sub", "www.sub", "a.b.sub",           # at and below the delegation
        "WwW", "AnYtHiNg.UsErS", "SuB", "mAiL",           # mixed case
        "_sip._tcp", "_xmpp._tcp",
    ]
    for text in extra:
        names.add(dns.name.from_text(text, origin))
    outside = [dns.name.from_text(t) for t in ["example.net.", "www.example.net.", "com.", "."]]
    mixed = [dns.name.from_text(origin.to_text().upper())]
    return sorted(names) + mixed + outside


def exchange(message, server, transport):
    host, port = server
    if transport == "tcp":
        return dns.query.tcp(message, host, port=port, timeout=TIMEOUT)
    return dns.query.udp(message, host, port=port, timeout=TIMEOUT, ignore_trailing=False)


def rrset_texts(section):
    """A section as a set of records, names and data lowercased (RFC 4343: names compare
    without case)."""
    records = set()
    for rrset in section:
        for rdata in rrset:
            records.add((rrset.name.to_text().lower(), rrset.ttl, dns.rdataclass.to_text(rrset.rdclass),
                         dns.rdatatype.to_text(rrset.rdtype), rdata.to_text().lower()))
    return records


def summary(response):
    """What is compared of a response."""
    flags = response.flags & (dns.flags.QR | dns.flags.AA | dns.flags.TC | dns.flags.RD | dns.flags.RA)
    header = (dns.rcode.to_text(response.rcode()), dns.flags.to_text(flags),
              [q.to_text() for q in response.question], response.edns >= 0)
    if response.flags & dns.flags.TC:
        return header, None
    return header, (rrset_texts(response.answer), rrset_texts(response.authority), rrset_texts(response.additional))


def same_any_answer(mine, theirs, query, peer, transport):
    """Whether two answers to ANY differ only in the RRset each server picked (RFC 8482)."""
    a, b = summary(mine), summary(theirs)
    if a[0] != b[0] or a[1] is None or b[1] is None or a[1][1:] != b[1][1:]:
        return False
    ours, their = a[1][0], b[1][0]
    types = {(record[0], record[3]) for record in ours}
    if len(types) != 1 or len({(record[0], record[3]) for record in their}) != 1 and not ours <= their:
        return False
    typed = dns.message.make_query(query.question[0].name, types.pop()[1], use_edns=query.edns, payload=1232)
    typed.flags = query.flags
    reference = exchange(typed, peer, transport)
    return rrset_texts(reference.answer) == ours


def differential(ours, peer, zonefile, origin):
    zone = load_zone(zonefile, origin)
    names = query_names(zone, origin)
    compared = 0
    outcomes = {}
    failures = []
    for name in names:
        for qtype in TYPES:
            for transport, edns in (("udp", -1), ("udp", 0), ("tcp", 0)):
                query = dns.message.make_query(name, qtype, use_edns=edns, payload=1232)
                query.flags &= ~dns.flags.RD
                try:
                    mine = exchange(query, ours, transport)
                except Exception as error:  # a timeout or a malformed answer is a failure
                    failures.append(f"{name} {qtype} {transport} edns={edns}: ours: {error!r}")
                    continue
                theirs = exchange(query, peer, transport)
                compared += 1
                outcome = "TC" if mine.flags & dns.flags.TC else dns.rcode.to_text(mine.rcode())
                outcomes[outcome] = outcomes.get(outcome, 0) + 1
                a, b = summary(mine), summary(theirs)
                if a != b and qtype == "ANY" and same_any_answer(mine, theirs, query, peer, transport):
                    continue
                if a != b:
                    failures.append(f"{name} {qtype} {transport} edns={edns}:\n  ours:   {a}\n  theirs: {b}")
    tally = ", ".join(f"{key} {value}" for key, value in sorted(outcomes.items()))
    print(f"differential: {compared} queries compared ({tally}), {len(failures)} differences")
    for failure in failures[:40]:
        print(failure)
    return not failures


# MARK: Malformed messages

def header(id=0x1234, flags=0, qd=1, an=0, ns=0, ar=0):
    return struct.pack("!HHHHHH", id, flags, qd, an, ns, ar)


def question(name=b"\x03www\x07example\x03com\x00", qtype=1):
    return name + struct.pack("!HH", qtype, 1)


def corpus():
    """Messages that must get FORMERR or nothing; the name says what is wrong."""
    good = header() + question()
    return {
        "empty": b"",
        "shorter than a header": good[:11],
        "header only, one question announced": header(),
        "truncated question name": header() + b"\x03www\x07exa",
        "truncated question type": good[:-3],
        "compression loop": header() + b"\xc0\x0c" + struct.pack("!HH", 1, 1),
        "pointer to itself further on": header() + b"\x03www\xc0\x10" + struct.pack("!HH", 1, 1),
        "pointer out of bounds": header() + b"\x03www\xc0\xff" + struct.pack("!HH", 1, 1),
        "label over 63": header() + b"\x40" + b"a" * 64 + b"\x00" + struct.pack("!HH", 1, 1),
        "name over 255": header() + b"\x3f" + (b"a" * 63 + b"\x3f") * 4 + b"\x00" + struct.pack("!HH", 1, 1),
        "reserved label type": header() + b"\x80abc\x00" + struct.pack("!HH", 1, 1),
        "huge counts": header(qd=0xffff, an=0xffff, ns=0xffff, ar=0xffff) + question(),
        "an answer announced, missing": header(an=1) + question(),
        "record data past the end": header(ar=1) + question() + b"\x00" + struct.pack("!HHIH", 1, 1, 0, 100) + b"\x01",
        "two OPT records": header(ar=2) + question() + (b"\x00" + struct.pack("!HHIH", 41, 1232, 0, 0)) * 2,
        "trailing garbage": good + b"\xde\xad",
        "QR set (a response)": header(flags=0x8000) + question(),
        "QR set with an answer": header(flags=0x8400, an=1) + question() + b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 60, 4) + b"\x01\x02\x03\x04",
        "random bytes": bytes(range(200, 256)) * 3,
    }


def udp_ask(server, payload):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(0.5)
        sock.sendto(payload, server)
        try:
            return sock.recv(65535)
        except socket.timeout:
            return None


def tcp_ask(server, payload):
    with socket.create_connection(server, timeout=2) as sock:
        sock.sendall(struct.pack("!H", len(payload)) + payload)
        sock.settimeout(0.5)
        data = b""
        try:
            while True:
                chunk = sock.recv(65535)
                if not chunk:
                    break
                data += chunk
                if len(data) >= 2 and len(data) >= 2 + struct.unpack("!H", data[:2])[0]:
                    break
        except socket.timeout:
            pass
        if len(data) < 2:
            return None
        return data[2:2 + struct.unpack("!H", data[:2])[0]]


def acceptable(answer, payload):
    """No answer, or FORMERR (or NOTIMP) with the query's id and QR set."""
    if answer is None:
        return True
    if len(answer) < 12:
        return False
    id, flags = struct.unpack("!HH", answer[:4])
    rcode = flags & 0xf
    same_id = len(payload) < 2 or id == struct.unpack("!H", payload[:2])[0]
    return flags & 0x8000 and same_id and rcode in (dns.rcode.FORMERR, dns.rcode.NOTIMP)


def still_answers(server, transport, name):
    query = dns.message.make_query(name, "SOA")
    response = exchange(query, server, transport)
    return response.rcode() == dns.rcode.NOERROR and len(response.answer) == 1


def malformed(ours, origin):
    ok = True
    for transport, ask in (("udp", udp_ask), ("tcp", tcp_ask)):
        answered = 0
        for name, payload in corpus().items():
            if transport == "tcp" and not payload:
                continue  # a zero-length frame is not a message at all
            answer = ask(ours, payload)
            if answer is not None:
                answered += 1
            if not acceptable(answer, payload):
                print(f"malformed {transport}: {name}: unexpected answer {answer.hex() if answer else answer}")
                ok = False
            if not still_answers(ours, transport, origin):
                print(f"malformed {transport}: {name}: the server stopped answering")
                ok = False
        print(f"malformed {transport}: {len(corpus())} messages, {answered} answered with FORMERR, the rest dropped")
    # A question that QR says is a response is dropped, never answered: two servers would loop.
    if udp_ask(ours, corpus()["QR set (a response)"]) is not None:
        print("malformed: a response was answered")
        ok = False
    return ok


def read_frames(sock, count):
    """`count` length-framed messages from a TCP socket."""
    data = b""
    messages = []
    while len(messages) < count:
        while len(data) >= 2 and len(data) >= 2 + struct.unpack("!H", data[:2])[0]:
            length = struct.unpack("!H", data[:2])[0]
            messages.append(dns.message.from_wire(data[2:2 + length]))
            data = data[2 + length:]
        if len(messages) >= count:
            break
        chunk = sock.recv(65535)
        if not chunk:
            break
        data += chunk
    return messages


def pipelined(ours, origin):
    """Queries written at once on one connection are answered in order, each as it would be
    alone; the connection then takes more queries a while later (RFC 7766 sections 6.2.1.1, 7)."""
    names = ["www", "mail", "nonexistent", "anything.users", "sub", "big", "ftp", "_sip._tcp"] * 4
    queries = []
    for index, text in enumerate(names):
        query = dns.message.make_query(dns.name.from_text(text, dns.name.from_text(origin)), "ANY" if text == "big" else "A")
        query.id = index + 1
        queries.append(query)
    with socket.create_connection(ours, timeout=5) as sock:
        sock.sendall(b"".join(struct.pack("!H", len(w)) + w for w in (q.to_wire() for q in queries)))
        answers = read_frames(sock, len(queries))
        time.sleep(1)
        sock.sendall(struct.pack("!H", len(queries[0].to_wire())) + queries[0].to_wire())
        answers += read_frames(sock, 1)
    ok = [a.id for a in answers] == [q.id for q in queries] + [1]
    for query, answer in zip(queries, answers):
        alone = dns.query.tcp(query, ours[0], port=ours[1], timeout=TIMEOUT)
        ok = ok and summary(answer) == summary(alone)
    print(f"pipelined: {len(queries)} queries in one write, {len(answers) - 1} answers "
          f"{'in order, as alone' if ok else 'WRONG'}, and one more a second later")
    return ok


def axfr(ours, zonefile, origin):
    zone = load_zone(zonefile, origin)
    expected = set()
    for name, node in zone.nodes.items():
        for rdataset in node:
            for rdata in rdataset:
                expected.add((name.to_text().lower(), rdataset.ttl, dns.rdatatype.to_text(rdataset.rdtype),
                              rdata.to_text().lower()))
    host, port = ours
    messages = list(dns.query.xfr(host, origin, port=port, timeout=5, relativize=False))
    records = []
    for message in messages:
        for rrset in message.answer:
            for rdata in rrset:
                records.append((rrset.name.to_text().lower(), rrset.ttl, dns.rdatatype.to_text(rrset.rdtype),
                                rdata.to_text().lower()))
    ok = records[0][2] == "SOA" and records[-1][2] == "SOA" and records[0] == records[-1]
    ok = ok and set(records) == expected and len(records) == len(expected) + 1
    print(f"axfr: {len(messages)} messages, {len(records)} records, {'the zone' if ok else 'NOT the zone'}")
    if not ok:
        print("missing:", sorted(expected - set(records)))
        print("extra:", sorted(set(records) - expected))
    return ok


def main():
    command = sys.argv[1]
    if command == "differential":
        ok = differential(endpoint(sys.argv[2]), endpoint(sys.argv[3]), sys.argv[4], sys.argv[5])
    elif command == "malformed":
        ok = malformed(endpoint(sys.argv[2]), sys.argv[3])
    elif command == "pipelined":
        ok = pipelined(endpoint(sys.argv[2]), sys.argv[3])
    elif command == "axfr":
        ok = axfr(endpoint(sys.argv[2]), sys.argv[3], sys.argv[4])
    else:
        raise SystemExit(f"unknown command {command}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
