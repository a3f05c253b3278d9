// The MirageCrypto side of Benchmarks/crypto: runs one operation for about SECONDS and prints its
// rate on one line, `RATE UNIT` (bytes/s or ops/s), for run.py to set against `openssl speed`.
//
//   crypto-benchmark OPERATION [SECONDS]
//
// Operations: aes-128-gcm-16k, aes-128-gcm-1k, aes-256-gcm-16k, chacha20-poly1305-16k,
// chacha20-poly1305-1k, sha256-16k, x25519, p256-ecdh, p256-sign, p256-verify, rsa2048-sign,
// rsa2048-verify. AEADs seal a fresh record each time (nonce, 13 bytes of associated data as TLS
// 1.2 has, the data, the tag), as `openssl speed -aead` does.
import Glibc
import MirageCore
import MirageCrypto

func now() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
}

/// Calls `body` in batches until `seconds` have passed; returns calls per second.
func rate(seconds: Double, _ body: () throws -> Void) rethrows -> Double {
    var calls = 0
    let start = now()
    var elapsed = 0.0
    repeat {
        for _ in 0..<16 { try body() }
        calls += 16
        elapsed = now() - start
    } while elapsed < seconds
    return Double(calls) / elapsed
}

/// Random bytes for inputs (not keys of any value).
final class Entropy: EntropySource {
    func fill(_ buffer: UnsafeMutableRawBufferPointer) {
        for index in buffer.indices { buffer[index] = UInt8.random(in: 0...255) }
    }
}

let arguments = CommandLine.arguments
guard arguments.count >= 2 else {
    fputs("usage: crypto-benchmark OPERATION [SECONDS]\n", stderr)
    exit(2)
}
let seconds = arguments.count > 2 ? Double(arguments[2]) ?? 1 : 1
let random = CryptoRandom(source: Entropy())

func aead(_ cipher: any AEAD, size: Int) throws -> Double {
    var record = random.bytes(count: size)
    let nonce = random.bytes(count: 12), aad = random.bytes(count: 13)
    return try record.withUnsafeMutableBytes { data in
        try nonce.withUnsafeBytes { nonce in
            try aad.withUnsafeBytes { aad in
                try rate(seconds: seconds) { _ = try cipher.seal(data, nonce: nonce, associatedData: aad) } * Double(size)
            }
        }
    }
}

do {
    let result: (Double, String)
    switch arguments[1] {
    case "aes-128-gcm-16k": result = (try aead(AESGCM(key: random.bytes(count: 16)), size: 16384), "bytes/s")
    case "aes-128-gcm-1k": result = (try aead(AESGCM(key: random.bytes(count: 16)), size: 1024), "bytes/s")
    case "aes-256-gcm-16k": result = (try aead(AESGCM(key: random.bytes(count: 32)), size: 16384), "bytes/s")
    case "chacha20-poly1305-16k": result = (try aead(ChaChaPoly(key: random.bytes(count: 32)), size: 16384), "bytes/s")
    case "chacha20-poly1305-1k": result = (try aead(ChaChaPoly(key: random.bytes(count: 32)), size: 1024), "bytes/s")
    case "sha256-16k":
        let data = random.bytes(count: 16384)
        result = (rate(seconds: seconds) { _ = MessageDigest.hash(.sha256, data) } * 16384, "bytes/s")
    case "x25519":
        let key = random.bytes(count: 32), peer = try X25519.publicKey(privateKey: random.bytes(count: 32))
        result = (try rate(seconds: seconds) { _ = try X25519.sharedSecret(privateKey: key, peerPublicKey: peer) }, "ops/s")
    case "p256-ecdh":
        guard case let .ec(_, key) = PrivateKey.generateEC(.p256, using: random),
              case let .ec(_, peer) = try PrivateKey.generateEC(.p256, using: random).publicKey() else { exit(1) }
        result = (try rate(seconds: seconds) { _ = try ECDH.sharedSecret(privateKey: key, peerPublicKey: peer, curve: .p256) }, "ops/s")
    case "p256-sign", "p256-verify":
        guard case let .ec(_, key) = PrivateKey.generateEC(.p256, using: random) else { exit(1) }
        let digest = MessageDigest.hash(.sha256, [1, 2, 3]), point = try ECDH.publicKey(privateKey: key, curve: .p256)
        let signature = try ECDSA.sign(digest: digest, hash: .sha256, privateKey: key, curve: .p256)
        result = arguments[1] == "p256-sign"
            ? (try rate(seconds: seconds) { _ = try ECDSA.sign(digest: digest, hash: .sha256, privateKey: key, curve: .p256) }, "ops/s")
            : (rate(seconds: seconds) { _ = ECDSA.isValid(signature: signature, digest: digest, publicKey: point, curve: .p256) }, "ops/s")
    case "rsa2048-sign", "rsa2048-verify":
        guard case let .rsa(key) = try PrivateKey.generateRSA(bits: 2048, using: random) else { exit(1) }
        let digest = MessageDigest.hash(.sha256, [1, 2, 3])
        let signature = try RSA.signPKCS1(digest: digest, hash: .sha256, key: key)
        result = arguments[1] == "rsa2048-sign"
            ? (try rate(seconds: seconds) { _ = try RSA.signPKCS1(digest: digest, hash: .sha256, key: key) }, "ops/s")
            : (rate(seconds: seconds) { _ = RSA.isValidPKCS1(signature: signature, digest: digest, hash: .sha256, key: key.publicKey) }, "ops/s")
    default:
        fputs("crypto-benchmark: unknown operation \(arguments[1])\n", stderr)
        exit(2)
    }
    print("\(result.0) \(result.1)")
} catch {
    fputs("crypto-benchmark: \(error)\n", stderr)
    exit(1)
}
