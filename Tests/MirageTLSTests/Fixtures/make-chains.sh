#!/usr/bin/env bash
# Certificate chains for the X.509 tests, made by OpenSSL into the folder given: a root (ECDSA
# P-256, path length 1), an intermediate (RSA-2048, signed by the root with ECDSA-SHA256, path
# length 0), and end entities it signs: `leaf` (P-256, RSA-PSS signature, names www.example.org,
# *.wild.example and 10.0.0.2, serverAuth), `client-only` (PKCS #1 SHA-384, clientAuth only),
# `not-ca-leaf` (issued by `not-ca`, an end entity posing as an issuer), `too-deep` (under a
# second intermediate below the first, which the first's path length forbids), and `other-root`,
# an unrelated root.
set -euo pipefail
cd "$1"
ext() { printf '%s\n' "$@" > "$name.ext"; }
request() { # name, key options...
    name=$1; shift
    openssl req -new "$@" -nodes -subj "/CN=$name" -keyout "$name.key" -out "$name.csr" 2>/dev/null
}
sign() { # name, issuer, extra x509 options...
    name=$1; issuer=$2; shift 2
    openssl x509 -req -in "$name.csr" -CA "$issuer.pem" -CAkey "$issuer.key" -CAcreateserial -days 30 -extfile "$name.ext" \
        "$@" -out "$name.pem" 2>/dev/null
}
ec=(-newkey ec -pkeyopt ec_paramgen_curve:P-256)

for root in root other-root; do
    openssl req -x509 "${ec[@]}" -nodes -days 30 -subj "/CN=$root" -keyout "$root.key" -out "$root.pem" \
        -addext "basicConstraints=critical,CA:TRUE,pathlen:1" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
done
request intermediate -newkey rsa:2048
name=intermediate ext "basicConstraints=critical,CA:TRUE,pathlen:0" "keyUsage=critical,keyCertSign,cRLSign"
sign intermediate root -sha256
request leaf "${ec[@]}"
name=leaf ext "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature" "extendedKeyUsage=serverAuth" \
    "subjectAltName=DNS:www.example.org,DNS:*.wild.example,IP:10.0.0.2,IP:2001:db8::2"
sign leaf intermediate -sha256 -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:digest
request client-only "${ec[@]}"
name=client-only ext "extendedKeyUsage=clientAuth" "subjectAltName=DNS:www.example.org"
sign client-only intermediate -sha384
request not-ca "${ec[@]}"
name=not-ca ext "basicConstraints=critical,CA:FALSE" "subjectAltName=DNS:not-ca.example"
sign not-ca intermediate -sha256
request not-ca-leaf "${ec[@]}"
name=not-ca-leaf ext "subjectAltName=DNS:www.example.org"
sign not-ca-leaf not-ca -sha256
request second "${ec[@]}"
name=second ext "basicConstraints=critical,CA:TRUE" "keyUsage=critical,keyCertSign"
sign second intermediate -sha256
request too-deep "${ec[@]}"
name=too-deep ext "subjectAltName=DNS:www.example.org" "extendedKeyUsage=serverAuth"
sign too-deep second -sha256
rm -f ./*.csr ./*.ext ./*.srl
