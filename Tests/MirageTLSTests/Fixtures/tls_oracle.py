#!/usr/bin/env python3
"""The TLS cross-check's other side: tlslite-ng (PyPI, pinned by scripts/test into
.build/python-peers), a TLS implementation no one here wrote.

Reads a JSON request on standard input and writes a JSON answer:
- "tls13": for each case, tlslite-ng's record layer as the client, keyed from the two traffic
  secrets (it derives its own keys and IVs), seals the given contents, and opens the records
  we sealed as the server.
- "tls12": the same over TLS 1.2's key block, which tlslite-ng computes from the master secret
  and randoms; plus its extended master secret and Finished values (calc_key).
- "schedule": TLS 1.3 secrets from tlslite-ng's Derive-Secret and HKDF-Expand-Label.
"""
import json
import sys
import os

sys.path.insert(0, os.environ.get("MIRAGE_PYTHON_PEERS", ""))

from tlslite.recordlayer import RecordLayer  # noqa: E402
from tlslite.messages import ApplicationData, Message  # noqa: E402
from tlslite.mathtls import calc_key  # noqa: E402
from tlslite.utils.cryptomath import HKDF_expand_label, derive_secret, secureHMAC, secureHash  # noqa: E402


class Pipe:
    """A socket that keeps what is sent and gives back what it was loaded with."""

    def __init__(self, incoming=b""):
        self.sent = bytearray()
        self.incoming = bytearray(incoming)

    def send(self, data):
        self.sent += data
        return len(data)

    def recv(self, count):
        chunk, self.incoming = self.incoming[:count], self.incoming[count:]
        return bytes(chunk)


def drain(generator):
    """The first result of one of tlslite-ng's socket generators (which go on to the next record)."""
    for result in generator:
        if result in (0, 1):
            raise RuntimeError("the pipe would block")
        return result
    return None


def client_layer(version, pipe):
    layer = RecordLayer(pipe)
    layer.version = version
    layer.tls13record = version > (3, 3)
    layer.client = True
    return layer


def seal_and_open(layer, pipe, contents, ours):
    sealed = []
    for item in contents:
        before = len(pipe.sent)
        message = Message(item["type"], bytearray.fromhex(item["content"]))
        drain(layer.sendRecord(message))
        sealed.append(pipe.sent[before:].hex())
    opened = []
    pipe.incoming = bytearray(b"".join(bytes.fromhex(record) for record in ours))
    for _ in ours:
        header, parser = drain(layer.recvRecord())
        opened.append({"type": header.type, "content": parser.bytes.hex()})
    return sealed, opened


def tls13(case):
    pipe = Pipe()
    layer = client_layer((3, 4), pipe)
    layer.calcTLS1_3PendingState(case["suite"], bytearray.fromhex(case["client_secret"]),
                                 bytearray.fromhex(case["server_secret"]), ["python"])
    layer.changeWriteState()
    layer.changeReadState()
    sealed, opened = seal_and_open(layer, pipe, case["contents"], case["ours"])
    return {"sealed": sealed, "opened": opened}


class Hashes:
    """tlslite-ng's handshake-hashes interface over fixed digests."""

    def __init__(self, digests):
        self.digests = digests

    def digest(self, name=None):
        return bytearray.fromhex(self.digests[name])


def tls12(case):
    pipe = Pipe()
    layer = client_layer((3, 3), pipe)
    master = bytearray.fromhex(case["master"])
    client_random, server_random = bytearray.fromhex(case["client_random"]), bytearray.fromhex(case["server_random"])
    layer.calcPendingStates(case["suite"], master, client_random, server_random, ["python"])
    layer.changeWriteState()
    layer.changeReadState()
    sealed, opened = seal_and_open(layer, pipe, case["contents"], case["ours"])
    hashes = Hashes({case["hash"]: case["transcript_hash"]})
    extended = calc_key((3, 3), bytearray.fromhex(case["pre_master"]), case["suite"], b"extended master secret",
                        handshake_hashes=hashes, output_length=48)
    finished = {side: calc_key((3, 3), master, case["suite"], side.encode() + b" finished",
                               handshake_hashes=hashes, output_length=12).hex() for side in ("client", "server")}
    return {"sealed": sealed, "opened": opened, "extended_master_secret": extended.hex(), "finished": finished}


def schedule(case):
    name = case["hash"]
    size = len(secureHash(bytearray(), name))
    zeros = bytearray(size)
    psk = bytearray.fromhex(case["psk"]) if case["psk"] else zeros
    early = secureHMAC(zeros, psk, name)
    handshake = secureHMAC(derive_secret(early, bytearray(b"derived"), None, name), bytearray.fromhex(case["shared"]), name)
    master = secureHMAC(derive_secret(handshake, bytearray(b"derived"), None, name), zeros, name)
    hello_hash = Hashes({name: case["hello_hash"]})
    finished_hash = Hashes({name: case["finished_hash"]})
    client_handshake = derive_secret(handshake, bytearray(b"c hs traffic"), hello_hash, name)
    server_handshake = derive_secret(handshake, bytearray(b"s hs traffic"), hello_hash, name)
    client_application = derive_secret(master, bytearray(b"c ap traffic"), finished_hash, name)
    finished_key = HKDF_expand_label(server_handshake, bytearray(b"finished"), bytearray(), size, name)
    return {
        "binder_key": derive_secret(early, bytearray(b"res binder"), None, name).hex(),
        "client_handshake": client_handshake.hex(),
        "server_handshake": server_handshake.hex(),
        "client_application": client_application.hex(),
        "server_application": derive_secret(master, bytearray(b"s ap traffic"), finished_hash, name).hex(),
        "resumption_master": derive_secret(master, bytearray(b"res master"), finished_hash, name).hex(),
        "server_finished": secureHMAC(finished_key, bytearray.fromhex(case["hello_hash"]), name).hex(),
        "next_client_application": HKDF_expand_label(client_application, bytearray(b"traffic upd"), bytearray(), size, name).hex(),
        "resumption_psk": HKDF_expand_label(bytearray.fromhex(case["resumption_master"]), bytearray(b"resumption"),
                                            bytearray.fromhex(case["ticket_nonce"]), size, name).hex(),
    }


def main():
    request = json.load(sys.stdin)
    json.dump({
        "tls13": [tls13(case) for case in request.get("tls13", [])],
        "tls12": [tls12(case) for case in request.get("tls12", [])],
        "schedule": [schedule(case) for case in request.get("schedule", [])],
    }, sys.stdout)


if __name__ == "__main__":
    main()
