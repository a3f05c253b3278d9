#!/usr/bin/env python3
"""Writes the seed corpus of every fuzz target into Fuzz/Corpus/TARGET/ (run from anywhere).

Each seed is a small valid input in the form the target reads (FuzzInput programs for the
structured targets), so that the fuzzer starts from inputs that reach deep into each parser.
`make-seeds.py TARGET...` writes only those targets' seeds.
"""
import io, json, os, struct, sys, tarfile

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "Corpus")

ONLY = set(sys.argv[1:])

def write(target, name, data):
    if ONLY and target not in ONLY:
        return
    folder = os.path.join(ROOT, target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)

def u16(v): return struct.pack(">H", v & 0xFFFF)
def u32(v): return struct.pack(">I", v & 0xFFFFFFFF)
def piece(data): return u16(len(data)) + data

# stack: a program (StackFuzzRun.step). Step 6: ARP from 10.0.0.1; steps 1: TCP segments.
def arp_from_first_peer(): return bytes([6, 1, 1, 0, 1, 0])  # sender 10.0.0.1 (not %4==0), target ours, MAC, request
def tcp(flags, mode, seq=0, payload=b"", options=0, extra=b""):
    # peer 0, peer port 0 (40000), our port byte 1 (-> 80), mode, delta bytes, seq/ack as mode says
    out = bytes([1, 0, 0, 1, mode, 0, 0])
    if mode & 1 == 0: out += u32(seq)
    if mode & 2 == 0: out += u32(0)
    out += bytes([flags]) + u16(65535) + bytes([options]) + extra
    return out + u16(len(payload)) + payload
syn = tcp(0x02, 2, seq=1000, options=0x05, extra=u16(1460))
ack = tcp(0x10, 3)
request = tcp(0x18, 3, payload=b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
write("stack", "handshake", arp_from_first_peer() + syn + ack + request + bytes([8, 0]) + bytes([8, 1, 0x10, 0]))
write("stack", "handshake-close", arp_from_first_peer() + syn + ack + request + bytes([8, 0, 8, 2, 0, 10]) + b"0123456789"
      + bytes([8, 3, 0]) + bytes([7, 0, 200]) + tcp(0x11, 3))
write("stack", "udp-icmp-fragments", bytes([3, 0]) + u16(12) + b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00" + bytes([1, 0, 0])
      + bytes([4, 0, 0]) + u16(8) + b"pingping" + bytes([5, 0]) + u16(0x2000) + bytes([0, 1]) + u16(16) + b"A" * 16 + bytes([0]))
write("stack", "raw", bytes([0]) + piece(bytes.fromhex("02000000000202000000000108004500001c000100004001f66e0a0000010a000002080000000000000000")))

# reassembly: protocol, source, id, offset, more, length, inline-or-slice, bytes, time, tick
def fragment(offset, more, data, id=1):
    return bytes([0, 0, id]) + u16(offset // 8) + bytes([1 if more else 0]) + u16(len(data)) + bytes([0]) + data + bytes([1, 1])
write("reassembly", "two-fragments", fragment(0, True, b"a" * 256) + fragment(256, False, b"b" * 40))
write("reassembly", "reversed", fragment(512, False, b"c" * 10) + fragment(256, True, b"b" * 256) + fragment(0, True, b"a" * 256))

# tcp-header: a SYN with MSS, window scale, SACK permitted, timestamps; an ACK with SACK blocks.
def tcp_header(flags, options):
    options += b"\x00" * (-len(options) % 4)
    return u16(40000) + u16(80) + u32(1) + u32(2) + bytes([(5 + len(options) // 4) << 4, flags]) + u16(65535) + u16(0) + u16(0) + options
write("tcp-header", "syn", tcp_header(0x02, b"\x02\x04\x05\xb4\x01\x03\x03\x07\x04\x02\x08\x0a" + u32(1) + u32(0)))
write("tcp-header", "sack", tcp_header(0x10, b"\x01\x01\x05\x12" + u32(100) + u32(200) + u32(300) + u32(400)))

# dhcp-message: dnsmasq's OFFER (server, lease, T1, T2, mask, broadcast, router, DNS, domain),
# and an ACK whose options continue in `file` and `sname` (option overload).
def bootreply(options, sname=b"", file=b""):
    fixed = bytes([2, 1, 6, 0]) + u32(0x3903F326) + u16(0) + u16(0x8000) + bytes(4) + bytes([10, 0, 0, 50, 10, 0, 0, 1]) + bytes(4)
    fixed += bytes([0x52, 0x54, 0, 0x12, 0x34, 0x56]) + bytes(10)
    return fixed + sname.ljust(64, b"\0") + file.ljust(128, b"\0") + bytes([99, 130, 83, 99]) + options
write("dhcp-message", "offer", bootreply(bytes([53, 1, 2, 54, 4, 10, 0, 0, 1, 51, 4]) + u32(3600) + bytes([58, 4]) + u32(1800)
      + bytes([59, 4]) + u32(3150) + bytes([1, 4, 255, 255, 255, 0, 28, 4, 10, 0, 0, 255, 3, 4, 10, 0, 0, 1, 6, 8, 10, 0, 0, 1, 9, 9, 9, 9, 15, 11])
      + b"example.org" + bytes([255])))
write("dhcp-message", "ack-overloaded", bootreply(bytes([53, 1, 5, 52, 1, 3, 255]), sname=bytes([51, 4]) + u32(120) + bytes([12, 3]) + b"abc" + bytes([255]),
      file=bytes([54, 4, 10, 0, 0, 1, 1, 4, 255, 255, 0, 0, 255])))

# ipv6-packet: scapy-built packets: an echo request, a neighbour solicitation and a router
# advertisement (with link-layer address, MTU and prefix options), and a UDP datagram behind
# hop-by-hop and destination options.
write("ipv6-packet", "echo", bytes.fromhex("6000000000103a40fe800000000000000000000000000001fe800000000000000000000000000002"
                                           "8000dee5123400016162636465666768"))
write("ipv6-packet", "neighbor-solicitation", bytes.fromhex("6000000000203aff fe800000000000000000000000000001 ff0200000000000000000001ff000002"
                                                            "87007a9700000000fe8000000000000000000000000000020101020000000001".replace(" ", "")))
write("ipv6-packet", "router-advertisement", bytes.fromhex("6000000000403aff fe800000000000000000000000000001 ff020000000000000000000000000001".replace(" ", "")
                                                           + "8600b2774048070800007530000003e8010102000000000105010000000005dc030440c0000151800000384000000000"
                                                           "20010db8000100000000000000000000"))
write("ipv6-packet", "router-advertisement-rdnss", bytes.fromhex(
    "6000000000383afffe800000000000000000000000000001ff020000000000000000000000000001"
    "86002d0c000807080000000000000000190500000000025820010db8000000000000000000000053fe800000000000000000000000000001"))
write("ipv6-packet", "extension-headers", bytes.fromhex("60000000001a0040 20010db8000000000000000000000001 20010db8000000000000000000000002".replace(" ", "")
                                                        + "3c00050200000100" + "1100010400000000" + "0035003500080000" + "0000"))

# HTTP: pieces of at most 64 bytes, each length-prefixed.
def pieces(text, size=20):
    return b"".join(piece(text[i:i + size]) for i in range(0, len(text), size))
write("http-request", "get", pieces(b"GET /index.html HTTP/1.1\r\nHost: example.org\r\nConnection: keep-alive\r\n\r\n"))
write("http-request", "post-chunked", pieces(b"POST /a HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"))
write("http-request", "content-length", pieces(b"PUT /b HTTP/1.1\r\nHost: b\r\nContent-Length: 3\r\n\r\nabcGET / HTTP/1.0\r\n\r\n"))
def response_pieces(text):
    return b"".join(bytes([0]) + piece(text[i:i + 20]) for i in range(0, len(text), 20))
write("http-response", "ok", bytes([0, 0]) + response_pieces(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"))
write("http-response", "chunked-then-close", bytes([1, 0, 1]) + response_pieces(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\nHTTP/1.0 200 OK\r\n\r\nbody") + bytes([0xFF]))

# DNS: a query with EDNS, and an answer with compression.
query = bytes.fromhex("123401200001000000000001076578616d706c65036f72670000010001" + "0000291000000000000000")
answer = bytes.fromhex("1234818000010001000000000377777707" + "6578616d706c65036f72670000010001c00c000100010000012c00045db8d822")
write("dns-message", "query", query)
write("dns-message", "answer", answer)
# dns-query: a byte of transport and size limit, then a query (the fuzz zone is example.org).
def question(name, qtype, edns=True, flags=0x0100):
    labels = b"".join(bytes([len(l)]) + l for l in name.encode().split(b".")) + b"\0"
    opt = bytes.fromhex("0000290400000080000000") if edns else b""
    return u16(0x1234) + u16(flags) + u16(1) + u16(0) + u16(0) + u16(1 if edns else 0) + labels + u16(qtype) + u16(1) + opt
write("dns-query", "wildcard", bytes([0]) + question("x.wild.example.org", 1))
write("dns-query", "referral-truncated", bytes([2 | 8 << 2]) + question("a.sub.example.org", 1, edns=False))
write("dns-query", "chain-tcp", bytes([1]) + question("chain.example.org", 1))
write("dns-query", "big", bytes([0]) + question("big.example.org", 16, edns=False))

# The stub resolver's reading of responses (dnspython, when installed, builds them): addresses, a
# CNAME chain leaving the zone, NXDOMAIN and NODATA with an SOA, a chain left open, a truncated
# answer and an alias loop.
try:
    import dns.flags, dns.message, dns.rcode, dns.rrset

    def resolver_response(qname, qtype, answers=(), authority=(), rcode=0, truncated=False):
        query = dns.message.make_query(qname, qtype, use_edns=True, payload=1232)
        query.id = 4242
        response = dns.message.make_response(query)
        response.flags |= dns.flags.RA | (dns.flags.TC if truncated else 0)
        response.set_rcode(rcode)
        for fields in answers: response.answer.append(dns.rrset.from_text(*fields))
        for fields in authority: response.authority.append(dns.rrset.from_text(*fields))
        return response.to_wire()

    soa = ("example.org.", 3600, "IN", "SOA", "ns1.example.org. hostmaster.example.org. 1 2 3 4 60")
    write("dns-answer", "a", resolver_response("www.example.org.", "A", [("www.example.org.", 300, "IN", "A", "192.0.2.80", "192.0.2.81")]))
    write("dns-answer", "chain", resolver_response("www.example.org.", "AAAA", [
        ("www.example.org.", 600, "IN", "CNAME", "web.example.org."), ("web.example.org.", 60, "IN", "CNAME", "cdn.example.net."),
        ("cdn.example.net.", 30, "IN", "AAAA", "2001:db8::1")]))
    write("dns-answer", "nxdomain", resolver_response("nothing.example.org.", "A", authority=[soa], rcode=dns.rcode.NXDOMAIN))
    write("dns-answer", "nodata", resolver_response("www.example.org.", "MX", authority=[soa]))
    write("dns-answer", "open-chain", resolver_response("docs.example.org.", "A", [("docs.example.org.", 300, "IN", "CNAME", "docs.example.net.")]))
    write("dns-answer", "truncated", resolver_response("big.example.org.", "TXT", truncated=True))
    write("dns-answer", "loop", resolver_response("l1.example.org.", "A", [
        ("l1.example.org.", 300, "IN", "CNAME", "l2.example.org."), ("l2.example.org.", 300, "IN", "CNAME", "l1.example.org.")]))
except ImportError:
    print("python3-dnspython missing: no seeds for dns-answer")
write("dns-zone", "zone", b"""$ORIGIN example.org.
$TTL 3600
@ IN SOA ns1 hostmaster ( 2024010101 7200 3600 1209600 300 )
  IN NS ns1
  IN MX 10 mail
ns1 IN A 192.0.2.1
www IN AAAA 2001:db8::1
txt IN TXT "a \\"quoted\\" string" other
*.wild IN CNAME www
srv IN SRV 0 5 5060 sip
""")

# tar: ustar and pax archives.
def tar_bytes(pax):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT if pax else tarfile.USTAR_FORMAT) as archive:
        for name, data in [("index.html", b"<html>hello</html>"), ("css/site.css", b"body{}"), ("a/" + "long" * 30 if pax else "a/b", b"x")]:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = 1700000000
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()
write("tar", "ustar", tar_bytes(False))
write("tar", "pax", tar_bytes(True))

# elf: an ELF64 executable with one PT_LOAD segment at 1 MiB and a .mirage.abi section.
def elf():
    code = b"\xf4" * 16
    abi = u32(2)[::-1]  # little-endian version 2
    shstrtab = b"\x00.mirage.abi\x00.shstrtab\x00"
    header_size, ph_size, sh_size = 64, 56, 64
    code_offset = header_size + ph_size
    abi_offset = code_offset + len(code)
    shstr_offset = abi_offset + len(abi)
    sh_offset = (shstr_offset + len(shstrtab) + 7) // 8 * 8
    base = 0x100000
    ident = b"\x7fELF" + bytes([2, 1, 1, 0]) + b"\x00" * 8
    header = ident + struct.pack("<HHIQQQIHHHHHH", 2, 62, 1, base, header_size, sh_offset, 0, header_size, ph_size, 1, sh_size, 3, 2)
    program = struct.pack("<IIQQQQQQ", 1, 5, code_offset, base, base, len(code) + len(abi), len(code) + len(abi), 0x1000)
    body = header + program + code + abi + shstrtab
    body += b"\x00" * (sh_offset - len(body))
    sections = b"\x00" * sh_size
    sections += struct.pack("<IIQQQQIIQQ", 1, 1, 2, base + len(code), abi_offset, len(abi), 0, 0, 4, 0)
    sections += struct.pack("<IIQQQQIIQQ", 12, 3, 0, 0, shstr_offset, len(shstrtab), 0, 0, 1, 0)
    return body + sections
write("elf", "minimal", elf())

write("boot-arguments", "network", b"--ipv4=10.0.0.2/24\x00--ipv4-gateway=10.0.0.1\x00--name=fuzz\x00--port\x008080\x00--verbose")
write("boot-arguments", "help", b"--help")
write("ready-request", "via", b"\x01\x00" + bytes(8) + b"--mem=64\x00--block:storage=disk.img\x00--\x00dist/block.hvt\x00--hello=hi\x00")
write("ready-request", "traced", b"\x01\x01" + (123456789).to_bytes(8, "little") + b"probe.hvt\x00")
write("boot-arguments", "logs", b"-l\x00*:debug\x00--name=a\x00--count=-12\x00--peer=192.168.1.1")

location = {"file": "config.swift", "line": 1}
description = {
    "version": 1, "name": "website",
    "main": {"typeName": "Website", "signatures": ["TCPStack", "KeyValueStore"], "devices": ["stack", "htdocs"],
             "keys": ["port"], "location": location},
    "devices": [
        {"id": "net", "kind": "network", "signature": "NetworkDevice", "name": "service", "parameters": {}, "dependencies": [], "location": location},
        {"id": "stack", "kind": "stack", "signature": "TCPStack", "name": "stack", "parameters": {}, "dependencies": ["net"], "location": location},
        {"id": "htdocs", "kind": "keyValueStore", "signature": "KeyValueStore", "name": "htdocs", "parameters": {"path": "htdocs"}, "dependencies": [], "location": location},
    ],
    "keys": [{"name": "port", "stage": "boot", "type": "UInt16", "defaultValue": "80", "documentation": "The port.", "location": location}],
    "location": location,
}
write("manifest", "website.json", json.dumps(description, indent=1).encode())

# hypercalls: guest memory (a piece), then calls: number, address form, address.
memory = bytearray(4096)
struct.pack_into("<QQ", memory, 0x100, 0x1000, 16)        # console: address, length
memory[0x1000:0x1010] = b"hello, tender!\n\x00"
struct.pack_into("<QQQQ", memory, 0x200, 0, 0, 0x1000, 512)  # block io: device, sector, address, length (a guess)
calls = bytes([3, 0]) + u16(0x100) + bytes([2, 0]) + u16(0x300) + bytes([5, 0]) + u16(0x200) + bytes([11, 0]) + u16(0x400) + bytes([13, 0xFF]) + u32(0xFFFFFFFF) + u32(0)
write("hypercalls", "calls", piece(bytes(memory)) + calls)
# net-rings: a headers flag, then moves: 0 describe a frame (address form, offset; length form,
# length; 10 header bytes), 4 the host sends (form, length), 5 transmit, 6 receive, 7 take all.
def ring_frame(offset, length, header=bytes(10)): return bytes([0, 0]) + u16(offset) + bytes([0]) + u16(length) + header
def host_frame(length): return bytes([4, 0]) + u16(length)
write("net-rings", "exchange", bytes([0]) + ring_frame(0, 60) + ring_frame(0x800, 1514) + bytes([5]) + host_frame(60) + host_frame(1514)
      + bytes([6, 7]) + host_frame(100) + bytes([6]))
write("net-rings", "headers", bytes([1]) + ring_frame(0, 3000, bytes([1, 1, 66, 0, 0xA8, 0x05, 34, 0, 16, 0])) + bytes([5])
      + host_frame(1524) + bytes([6, 7, 6]))

# block-ring: moves: 0 a request (operation; sector form, sector; address form, address / 4;
# length form, length), 1 the count, 2 scribble, 3 serve. Operations 5 read, 6 write, 7 flush.
def block_request(operation, sector, address, length):
    return bytes([0, operation, 0, sector, 0]) + u16(address >> 2) + bytes([0]) + u16(length)
write("block-ring", "read-write-flush", block_request(6, 3, 0x1000, 1024) + block_request(5, 3, 0x2000, 1024)
      + block_request(7, 0, 0, 0) + bytes([3]))
write("block-ring", "refused", block_request(5, 200, 0x1000, 512) + block_request(5, 0, 0x1000, 100)
      + block_request(8, 0, 0x1000, 512) + bytes([3]) + bytes([1]) + u32(1000) + bytes([3]))

# ttrpc: frames of containerd's Task API requests (first byte: where the input is cut).
def pb_varint(v):
    out = b""
    while v >= 0x80:
        out += bytes([v & 0x7F | 0x80]); v >>= 7
    return out + bytes([v])
def pb_bytes(field, data): return pb_varint(field << 3 | 2) + pb_varint(len(data)) + (data.encode() if isinstance(data, str) else data)
def pb_int(field, v): return pb_varint(field << 3) + pb_varint(v)
def ttrpc_frame(stream, method, payload):
    body = pb_bytes(1, "containerd.task.v2.Task") + pb_bytes(2, method) + pb_bytes(3, payload) + pb_int(4, 5_000_000_000)
    return u32(len(body)) + u32(stream) + bytes([1, 0]) + body
mount = pb_bytes(1, "overlay") + pb_bytes(2, "overlay") + pb_bytes(4, "workdir=/w") + pb_bytes(4, "upperdir=/u") + pb_bytes(4, "lowerdir=/l")
create = pb_bytes(1, "web") + pb_bytes(2, "/run/containerd/io.containerd.runtime.v2.task/k8s.io/web") + pb_bytes(3, mount) \
    + pb_bytes(6, "/run/containerd/fifo/1/web-stdout") + pb_bytes(7, "/run/containerd/fifo/1/web-stderr")
write("ttrpc", "lifecycle", bytes([7]) + ttrpc_frame(1, "Create", create) + ttrpc_frame(3, "Start", pb_bytes(1, "web"))
      + ttrpc_frame(5, "Wait", pb_bytes(1, "web")) + ttrpc_frame(7, "Kill", pb_bytes(1, "web") + pb_int(3, 15) + pb_int(4, 1))
      + ttrpc_frame(9, "Delete", pb_bytes(1, "web")) + ttrpc_frame(11, "Shutdown", pb_bytes(1, "web")))
write("ttrpc", "response", bytes([0]) + u32(7) + u32(1) + bytes([2, 0]) + pb_bytes(1, pb_int(1, 5) + pb_bytes(2, "x")))
# keys: a mode byte (0 PKCS #8, 1 SPKI, 2 SEC 1, 3 PKCS #1, 4 PEM, 5 ECDSA DER), then the input.
# Made with Python's cryptography (Debian's python3-cryptography, /usr/bin/python3) when present.
try:
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa, x25519
    DER, PEM, NONE = serialization.Encoding.DER, serialization.Encoding.PEM, serialization.NoEncryption()
    PKCS8, LEGACY = serialization.PrivateFormat.PKCS8, serialization.PrivateFormat.TraditionalOpenSSL
    SPKI = serialization.PublicFormat.SubjectPublicKeyInfo
    p256, p384 = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP384R1())
    small_rsa = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    curve25519 = x25519.X25519PrivateKey.generate()
    for name, key in [("p256", p256), ("p384", p384), ("rsa", small_rsa), ("x25519", curve25519)]:
        write("keys", name + ".pkcs8", bytes([0]) + key.private_bytes(DER, PKCS8, NONE))
        write("keys", name + ".spki", bytes([1]) + key.public_key().public_bytes(DER, SPKI))
        write("keys", name + ".pem", bytes([4]) + key.private_bytes(PEM, PKCS8, NONE) + key.public_key().public_bytes(PEM, SPKI))
    write("keys", "p256.sec1", bytes([2]) + p256.private_bytes(DER, LEGACY, NONE))
    write("keys", "rsa.pkcs1", bytes([3]) + small_rsa.private_bytes(DER, LEGACY, NONE))
    write("keys", "p256.signature", bytes([5]) + p256.sign(b"seed", ec.ECDSA(hashes.SHA256())))
except ImportError:
    print("python3-cryptography missing: no seeds for the keys target")
# tls-records and tls-handshake: real handshakes by OpenSSL (Python's ssl over memory BIOs, no
# sockets), a TLS 1.3 one and a TLS 1.2 one, with a throwaway P-256 certificate.
def tls_flights(maximum):
    import datetime, ssl, tempfile
    from cryptography import x509
    from cryptography.x509.oid import NameOID
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "example.org")])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(1).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
                   .sign(key, hashes.SHA256()))
    with tempfile.TemporaryDirectory() as folder:
        cert_path, key_path = os.path.join(folder, "cert.pem"), os.path.join(folder, "key.pem")
        open(cert_path, "wb").write(certificate.public_bytes(serialization.Encoding.PEM))
        open(key_path, "wb").write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                     serialization.NoEncryption()))
        server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        server_context.load_cert_chain(cert_path, key_path)
        server_context.maximum_version = maximum
        client_context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        client_context.check_hostname, client_context.verify_mode = False, ssl.CERT_NONE
        client_context.set_alpn_protocols(["h2", "http/1.1"])
        pipes = [ssl.MemoryBIO() for _ in range(4)]
        client = client_context.wrap_bio(pipes[0], pipes[1], server_hostname="example.org")
        server = server_context.wrap_bio(pipes[2], pipes[3], server_side=True)
        flights = []
        for _ in range(6):
            for side, outgoing, peer_incoming in ((client, pipes[1], pipes[2]), (server, pipes[3], pipes[0])):
                try:
                    side.do_handshake()
                except ssl.SSLWantReadError:
                    pass
                data = outgoing.read()
                if data:
                    flights.append(data)
                    peer_incoming.write(data)
        return flights

def records(stream):
    out, offset = [], 0
    while offset + 5 <= len(stream):
        length = struct.unpack(">H", stream[offset + 3:offset + 5])[0]
        out.append((stream[offset], stream[offset + 5:offset + 5 + length]))
        offset += 5 + length
    return out

try:
    import ssl
    for label, maximum in (("tls13", ssl.TLSVersion.TLSv1_3), ("tls12", ssl.TLSVersion.TLSv1_2)):
        flights = tls_flights(maximum)
        stream = b"".join(flights)
        write("tls-records", label + ".stream", bytes([0x10]) + stream)
        handshake = b"".join(fragment for content_type, fragment in records(flights[0]) + records(flights[1]) if content_type == 22)
        write("tls-handshake", label + ".hellos", handshake)
    write("tls-records", "seal", bytes([0x80, 0x05]) + b"application data")
    # x509: certificates with the extensions path validation reads, one per key kind.
    import datetime, ipaddress
    from cryptography import x509 as x509_module
    from cryptography.x509.oid import NameOID, ExtendedKeyUsageOID
    from cryptography.hazmat.primitives import hashes as hash_module, serialization as serialization_module
    from cryptography.hazmat.primitives.asymmetric import ec as ec_module, rsa as rsa_module
    now = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
    for label, key in (("ec", ec_module.generate_private_key(ec_module.SECP256R1())),
                       ("rsa", rsa_module.generate_private_key(public_exponent=65537, key_size=2048))):
        name = x509_module.Name([x509_module.NameAttribute(NameOID.COMMON_NAME, "www.example.org")])
        builder = (x509_module.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(12345).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=3650))
                   .add_extension(x509_module.BasicConstraints(ca=True, path_length=1), critical=True)
                   .add_extension(x509_module.KeyUsage(True, False, False, False, False, True, False, False, False), critical=True)
                   .add_extension(x509_module.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
                   .add_extension(x509_module.SubjectAlternativeName([x509_module.DNSName("www.example.org"), x509_module.DNSName("*.wild.example"),
                                                                      x509_module.IPAddress(ipaddress.ip_address("10.0.0.2"))]), critical=False))
        certificate = builder.sign(key, hash_module.SHA256())
        write("x509", label + ".der", certificate.public_bytes(serialization_module.Encoding.DER))
except ImportError:
    print("python3-cryptography missing: no seeds for the TLS targets")
print("seeds written to", ROOT)
