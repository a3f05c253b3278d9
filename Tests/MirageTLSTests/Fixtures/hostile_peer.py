#!/usr/bin/env python3
"""A TLS client built on tlslite-ng (PyPI, pinned by scripts/test into .build/python-peers), no
code of ours: as a well-behaved peer it completes a TLS 1.3 or 1.2 handshake with tlslite-ng's
own TLSConnection; as a hostile one it crafts hellos and records with tlslite-ng's message
classes, then breaks them.

    hostile_peer.py SOCKET CASE
    hostile_peer.py SOCKET serve-tls13|serve-tls12 CERT KEY

SOCKET is the path of a Unix-domain socket our server listens on. Prints one line: for a good
case what the server answered (`answered world`), for a hostile one the alert the server sent
(`alert decode_error`), or `closed` when it closed without one, or `silent` when it said nothing.
With `serve-*` tlslite-ng is the server instead: it listens on SOCKET with the PEM certificate
and key, completes one handshake of that version, and echoes the first line it reads.
"""
import os
import socket
import struct
import sys

sys.path.insert(0, os.environ.get("MIRAGE_PYTHON_PEERS", ""))

from tlslite.api import HandshakeSettings, TLSConnection, X509CertChain, parsePEMKey  # noqa: E402
from tlslite.constants import (AlertDescription, CipherSuite, ContentType, ExtensionType,  # noqa: E402
                               GroupName, HandshakeType, SignatureScheme)
from tlslite.extensions import (ClientKeyShareExtension, KeyShareEntry, SignatureAlgorithmsExtension,  # noqa: E402
                                SupportedGroupsExtension, SupportedVersionsExtension, TLSExtension)
from tlslite.messages import ClientHello  # noqa: E402

SCHEMES = [SignatureScheme.ecdsa_secp256r1_sha256, SignatureScheme.rsa_pss_rsae_sha256]
# A valid X25519 public key (the base point, u = 9).
X25519_SHARE = bytearray([9] + [0] * 31)


def extensions_13(share=X25519_SHARE, share_group=GroupName.x25519, groups=(GroupName.x25519,)):
    return [SupportedVersionsExtension().create([(3, 4)]),
            SupportedGroupsExtension().create(list(groups)),
            SignatureAlgorithmsExtension().create(SCHEMES),
            ClientKeyShareExtension().create([KeyShareEntry().create(share_group, share)])]


def extensions_12(ems=True):
    result = [SupportedGroupsExtension().create([GroupName.x25519, GroupName.secp256r1]),
              SignatureAlgorithmsExtension().create(SCHEMES),
              TLSExtension(extType=ExtensionType.renegotiation_info).create(bytearray(1))]
    if ems:
        result.append(TLSExtension(extType=ExtensionType.extended_master_secret).create(bytearray()))
    return result


def hello(extensions, suites=(CipherSuite.TLS_AES_128_GCM_SHA256,), version=(3, 3)):
    """A ClientHello handshake message, header included."""
    message = ClientHello()
    message.create(version, bytearray(os.urandom(32)), bytearray(os.urandom(32)), list(suites), extensions=extensions)
    return bytes(message.write())


def record(content_type, fragment, version=(3, 1)):
    return struct.pack(">BBBH", content_type, version[0], version[1], len(fragment)) + fragment


def handshake(message_type, body):
    return bytes([message_type]) + struct.pack(">I", len(body))[1:] + body


def cases():
    tls12_suites = (CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,)
    good = hello(extensions_13())
    truncated = bytearray(good[:-5])
    truncated[1:4] = struct.pack(">I", len(truncated) - 4)[1:]
    duplicate = extensions_13()
    duplicate.append(SupportedGroupsExtension().create([GroupName.x25519]))
    psk_first = [TLSExtension(extType=ExtensionType.pre_shared_key).create(bytearray(b"\x00\x07\x00\x01\x41\x00\x00\x00\x00\x00\x21\x20" + b"\x00" * 32))]
    return {
        # Bad lengths: a ClientHello whose vectors overrun it.
        "truncated-hello": record(ContentType.handshake, bytes(truncated)),
        # RFC 8446 section 4.2: one extension of a type per block.
        "duplicate-extension": record(ContentType.handshake, hello(duplicate)),
        # A share for a group supported_groups does not list (section 4.2.8).
        "share-not-in-groups": record(ContentType.handshake, hello(extensions_13(share=bytearray(65), share_group=GroupName.secp256r1))),
        # An X25519 share of the wrong length.
        "short-share": record(ContentType.handshake, hello(extensions_13(share=bytearray(31)))),
        # pre_shared_key must be the last extension (section 4.2.11).
        "psk-not-last": record(ContentType.handshake, hello(psk_first + extensions_13())),
        # Wrong-state and unknown messages: Finished first, a type no version defines.
        "finished-first": record(ContentType.handshake, handshake(HandshakeType.finished, b"\x00" * 32)),
        "unknown-message": record(ContentType.handshake, handshake(99, b"")),
        "application-data-first": record(ContentType.application_data, b"hello"),
        "malformed-alert": record(ContentType.alert, b"\x02\x28\x00"),
        # Downgrades: SSL 3.0 only, a TLS 1.2 fallback (RFC 7507), TLS 1.2 without the extended master secret.
        "ssl3-hello": record(ContentType.handshake, hello([], suites=tls12_suites, version=(3, 0)), version=(3, 0)),
        "fallback-scsv": record(ContentType.handshake, hello(extensions_12(), suites=tls12_suites + (CipherSuite.TLS_FALLBACK_SCSV,))),
        "no-extended-master-secret": record(ContentType.handshake, hello(extensions_12(ems=False), suites=tls12_suites)),
        # A record longer than TLS allows (RFC 8446 section 5.1).
        "oversize-record": record(ContentType.handshake, b"\x01" + b"\x00" * (2 ** 14 + 300)),
    }


def read_answer(connection):
    """The first alert in what the server sends, as its name."""
    data = b""
    connection.settimeout(5)
    try:
        while True:
            while len(data) >= 5:
                content_type, length = data[0], struct.unpack(">H", data[3:5])[0]
                if len(data) < 5 + length:
                    break
                if content_type == ContentType.alert and length == 2:
                    return "alert " + AlertDescription.toStr(data[6])
                data = data[5 + length:]
            chunk = connection.recv(65536)
            if not chunk:
                return "closed"
            data += chunk
    except socket.timeout:
        return "silent"


def good_handshake(path, version):
    connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    connection.connect(path)
    tls = TLSConnection(connection)
    settings = HandshakeSettings()
    settings.minVersion = settings.maxVersion = version
    tls.handshakeClientCert(settings=settings, serverName="example.org")
    tls.write(b"hello\n")
    answer = tls.read()
    print("answered %s %s" % (answer.decode().strip(), tls.getVersionName()))
    tls.close()


def serve(path, version, certificate, key):
    chain = X509CertChain()
    chain.parsePemList(open(certificate).read())
    private_key = parsePEMKey(open(key).read(), private=True)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    if os.path.exists(path):
        os.unlink(path)
    listener.bind(path)
    listener.listen(1)
    connection, _ = listener.accept()
    tls = TLSConnection(connection)
    settings = HandshakeSettings()
    settings.minVersion = settings.maxVersion = version
    tls.handshakeServer(certChain=chain, privateKey=private_key, settings=settings)
    line = b""
    while not line.endswith(b"\n"):
        chunk = tls.read()
        if not chunk:
            break
        line += chunk
    tls.write(line)
    print("served %s %s" % (line.decode().strip(), tls.getVersionName()))
    tls.close()


def main():
    path, case = sys.argv[1], sys.argv[2]
    if case in ("serve-tls13", "serve-tls12"):
        serve(path, (3, 4) if case == "serve-tls13" else (3, 3), sys.argv[3], sys.argv[4])
        return
    if case in ("good-tls13", "good-tls12"):
        good_handshake(path, (3, 4) if case == "good-tls13" else (3, 3))
        return
    connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    connection.connect(path)
    connection.sendall(cases()[case])
    print(read_answer(connection))
    connection.close()


if __name__ == "__main__":
    main()
