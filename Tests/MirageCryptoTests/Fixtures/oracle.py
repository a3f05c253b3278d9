#!/usr/bin/env python3
"""The cross-check oracle of MirageCryptoTests: Python's `cryptography` (OpenSSL underneath, from
Debian's python3-cryptography) makes keys, signatures and ciphertexts for our code to check, and
checks what our code made. No vectors of ours: each side is checked by the other.

  /usr/bin/python3 oracle.py make SEED          prints JSON: keys, signatures, sealed data, HKDF
  /usr/bin/python3 oracle.py check FILE         reads JSON our tests wrote, prints one line per check

Random inputs come from random.Random(SEED), so a failing run repeats with its seed; keys come
from OpenSSL's generator (printed in the JSON)."""
import json
import math
import random
import sys

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, x25519
from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

PEM = serialization.Encoding.PEM
DER = serialization.Encoding.DER
NONE = serialization.NoEncryption()
CURVES = {"p256": (ec.SECP256R1(), hashes.SHA256()), "p384": (ec.SECP384R1(), hashes.SHA384())}


def pem_private(key, form):
    return key.private_bytes(PEM, form, NONE).decode()


def spki(key):
    return key.public_key().public_bytes(PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def make(seed):
    rng = random.Random(seed)
    data = lambda n: bytes(rng.getrandbits(8) for _ in range(n))
    message = data(rng.randrange(0, 300))
    out = {"seed": seed, "message": message.hex(), "ec": {}, "aead": [], "hkdf": []}
    for name, (curve, digest) in CURVES.items():
        key = ec.generate_private_key(curve)
        out["ec"][name] = {
            "pkcs8": pem_private(key, serialization.PrivateFormat.PKCS8),
            "sec1": pem_private(key, serialization.PrivateFormat.TraditionalOpenSSL),
            "spki": spki(key),
            "signature": key.sign(message, ec.ECDSA(digest)).hex(),
        }
    key = rsa.generate_private_key(public_exponent=65537, key_size=rng.choice([2048, 3072]))
    out["rsa"] = {
        "pkcs8": pem_private(key, serialization.PrivateFormat.PKCS8),
        "pkcs1": pem_private(key, serialization.PrivateFormat.TraditionalOpenSSL),
        "spki": spki(key),
        "pkcs1v15": key.sign(message, padding.PKCS1v15(), hashes.SHA256()).hex(),
        "pss": key.sign(message, padding.PSS(padding.MGF1(hashes.SHA256()), 32), hashes.SHA256()).hex(),
    }
    key = x25519.X25519PrivateKey.generate()
    out["x25519"] = {"pkcs8": pem_private(key, serialization.PrivateFormat.PKCS8), "spki": spki(key)}
    for kind, size in [("aes-gcm", 16), ("aes-gcm", 32), ("chacha20-poly1305", 32)]:
        k, nonce, aad, plain = data(size), data(12), data(rng.randrange(0, 64)), data(rng.randrange(0, 2000))
        cipher = AESGCM(k) if kind == "aes-gcm" else ChaCha20Poly1305(k)
        out["aead"].append({"kind": kind, "key": k.hex(), "nonce": nonce.hex(), "aad": aad.hex(),
                            "plaintext": plain.hex(), "sealed": cipher.encrypt(nonce, plain, aad).hex()})
    for digest in ["sha256", "sha384"]:
        ikm, salt, info, length = data(rng.randrange(1, 80)), data(rng.randrange(0, 80)), data(rng.randrange(0, 80)), rng.randrange(1, 200)
        algorithm = hashes.SHA256() if digest == "sha256" else hashes.SHA384()
        okm = HKDF(algorithm, length, salt or None, info).derive(ikm)
        out["hkdf"].append({"hash": digest, "ikm": ikm.hex(), "salt": salt.hex(), "info": info.hex(), "length": length, "okm": okm.hex()})
    print(json.dumps(out))


def same_rsa_key(ours):
    """Whether our PKCS #8 holds the oracle's key: the same primes, CRT values and public key, and
    a private exponent that inverts e modulo lcm(p-1, q-1) (ours is computed modulo the least
    common multiple, as RFC 8017 3.2 allows; OpenSSL's may be modulo (p-1)(q-1))."""
    mine = serialization.load_pem_private_key(ours["pkcs8"].encode(), None).private_numbers()
    theirs = serialization.load_pem_private_key(ours["oracle_pkcs8"].encode(), None).private_numbers()
    p, q, e = theirs.p, theirs.q, theirs.public_numbers.e
    lcm = (p - 1) * (q - 1) // math.gcd(p - 1, q - 1)
    return ((mine.p, mine.q, mine.dmp1, mine.dmq1, mine.iqmp, mine.public_numbers) ==
            (p, q, theirs.dmp1, theirs.dmq1, theirs.iqmp, theirs.public_numbers) and mine.d * e % lcm == 1)


def check(path):
    """Each check prints 'ok NAME' or 'FAIL NAME'."""
    made = json.load(open(path))
    message = bytes.fromhex(made["message"])
    results = []

    def verdict(name, run):
        try:
            ok = run()
        except Exception as error:  # noqa: BLE001 - any failure of the oracle is a failed check
            ok = False
            name += f" ({type(error).__name__}: {error})"
        results.append(("ok " if ok else "FAIL ") + name)

    def verifies(public, signature, *arguments):
        public.verify(bytes.fromhex(signature), message, *arguments)
        return True

    for name, (curve, digest) in CURVES.items():
        ours = made["ec"][name]
        theirs = serialization.load_pem_private_key(ours["oracle_pkcs8"].encode(), None)
        public = serialization.load_pem_public_key(ours["spki"].encode())
        verdict(f"{name}: our ECDSA signature verifies", lambda: verifies(public, ours["signature"], ec.ECDSA(digest)))
        verdict(f"{name}: our private key (PKCS #8) is the one our public key belongs to",
                lambda: serialization.load_pem_private_key(ours["pkcs8"].encode(), None).public_key().public_numbers() == public.public_numbers())
        verdict(f"{name}: our SEC 1 file holds the same key",
                lambda: serialization.load_pem_private_key(ours["sec1"].encode(), None).private_numbers() ==
                serialization.load_pem_private_key(ours["pkcs8"].encode(), None).private_numbers())
        verdict(f"{name}: our ECDH secret is OpenSSL's",
                lambda: theirs.exchange(ec.ECDH(), public).hex() == ours["shared"])
    ours = made["rsa"]
    public = serialization.load_pem_public_key(ours["spki"].encode())
    verdict("rsa: our PKCS #1 v1.5 signature verifies", lambda: verifies(public, ours["pkcs1v15"], padding.PKCS1v15(), hashes.SHA256()))
    verdict("rsa: our PSS signature verifies",
            lambda: verifies(public, ours["pss"], padding.PSS(padding.MGF1(hashes.SHA256()), 32), hashes.SHA256()))
    verdict("rsa: our PKCS #8 re-encoding reads back as the same key", lambda: same_rsa_key(ours))
    verdict("rsa: our PKCS #1 file holds the same key", lambda: same_rsa_key(dict(ours, pkcs8=ours["pkcs1"])))
    ours = made["x25519"]
    theirs = serialization.load_pem_private_key(ours["oracle_pkcs8"].encode(), None)
    verdict("x25519: our shared secret is OpenSSL's",
            lambda: theirs.exchange(serialization.load_pem_public_key(ours["spki"].encode())).hex() == ours["shared"])
    for index, sealed in enumerate(made["aead"]):
        key, nonce, aad = (bytes.fromhex(sealed[k]) for k in ("key", "nonce", "aad"))
        cipher = AESGCM(key) if sealed["kind"] == "aes-gcm" else ChaCha20Poly1305(key)
        verdict(f"{sealed['kind']} #{index}: our sealed data opens",
                lambda: cipher.decrypt(nonce, bytes.fromhex(sealed["sealed"]), aad).hex() == sealed["plaintext"])
    for line in results:
        print(line)


if __name__ == "__main__":
    if sys.argv[1] == "make":
        make(int(sys.argv[2]))
    else:
        check(sys.argv[2])
