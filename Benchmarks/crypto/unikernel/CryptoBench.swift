import MirageCore
import MirageCrypto
import MirageRuntime

/// The MirageCrypto side of Benchmarks/crypto, as a unikernel, so that the same code measures a
/// Linux process (`-t unix`) and an hvt guest (`-t hvt`): runs one operation for about
/// `--milliseconds` and logs its rate, "rate: OPERATION RATE UNIT" (bytes/s or ops/s).
///
/// AEADs seal a fresh record each time (nonce, 13 bytes of associated data as TLS 1.2 has, the
/// data, the tag), as `openssl speed -aead` does; signatures sign a SHA-256 digest.
struct CryptoBench<Clock: MonotonicClock, Random: EntropySource>: Unikernel {
    enum Failure: Error, CustomStringConvertible {
        case unknown(String)
        case crypto(CryptoError)

        var description: String {
            switch self {
            case let .unknown(operation): "unknown operation \(operation)"
            case let .crypto(error): "\(error)"
            }
        }
    }

    let log = LogSource("application", documentation: "the crypto benchmark")
    let clock: Clock
    let random: CryptoRandom
    let operation: String
    let duration: Duration

    init(_ clock: Clock, _ entropy: Random, operation: String, milliseconds: Int) {
        self.clock = clock
        random = CryptoRandom(source: entropy)
        self.operation = operation
        duration = .milliseconds(max(1, milliseconds))
    }

    /// Calls `body` in batches of 16 until the duration has passed; returns calls per second.
    func rate(_ body: () throws(CryptoError) -> Void) throws(CryptoError) -> Double {
        var calls = 0
        let start = clock.now()
        var elapsed = Duration.zero
        repeat {
            for _ in 0..<16 { try body() }
            calls += 16
            elapsed = clock.now() - start
        } while elapsed < duration
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return Double(calls) / seconds
    }

    func aead<Cipher: AEAD>(_ cipher: Cipher, size: Int) throws(CryptoError) -> Double {
        var record = random.bytes(count: size)
        let nonce = random.bytes(count: 12), aad = random.bytes(count: 13)
        let measured: Result<Double, CryptoError> = record.withUnsafeMutableBytes { data in
            nonce.withUnsafeBytes { nonce in
                aad.withUnsafeBytes { aad in
                    Result { () throws(CryptoError) in try rate { () throws(CryptoError) in _ = try cipher.seal(data, nonce: nonce, associatedData: aad) } }
                }
            }
        }
        return try measured.get() * Double(size)
    }

    func start() async throws(Failure) {
        let measured: (Double, String)?
        do { measured = try measure() } catch { throw .crypto(error) }
        guard let (value, unit) = measured else { throw .unknown(operation) }
        log.info("rate: \(operation) \(Int(value)) \(unit)")
    }

    /// The rate of ``operation`` and its unit; nil for an operation it does not know.
    func measure() throws(CryptoError) -> (Double, String)? {
        switch operation {
        case "aes-128-gcm-16k": return (try aead(AESGCM(key: random.bytes(count: 16)), size: 16384), "bytes/s")
        case "aes-128-gcm-1k": return (try aead(AESGCM(key: random.bytes(count: 16)), size: 1024), "bytes/s")
        case "aes-256-gcm-16k": return (try aead(AESGCM(key: random.bytes(count: 32)), size: 16384), "bytes/s")
        case "chacha20-poly1305-16k": return (try aead(ChaChaPoly(key: random.bytes(count: 32)), size: 16384), "bytes/s")
        case "chacha20-poly1305-1k": return (try aead(ChaChaPoly(key: random.bytes(count: 32)), size: 1024), "bytes/s")
        case "sha256-16k":
            let data = random.bytes(count: 16384)
            return (try rate { _ = MessageDigest.hash(.sha256, data) } * 16384, "bytes/s")
        case "x25519":
            let key = random.bytes(count: 32), peer = try X25519.publicKey(privateKey: random.bytes(count: 32))
            return (try rate { () throws(CryptoError) in _ = try X25519.sharedSecret(privateKey: key, peerPublicKey: peer) }, "ops/s")
        case "p256-ecdh":
            guard case let .ec(_, key) = try PrivateKey.generateEC(.p256, using: random),
                  case let .ec(_, peer) = try PrivateKey.generateEC(.p256, using: random).publicKey() else { return nil }
            return (try rate { () throws(CryptoError) in _ = try ECDH.sharedSecret(privateKey: key, peerPublicKey: peer, curve: .p256) }, "ops/s")
        case "p256-sign", "p256-verify":
            guard case let .ec(_, key) = try PrivateKey.generateEC(.p256, using: random) else { return nil }
            let digest = MessageDigest.hash(.sha256, [1, 2, 3]), point = try ECDH.publicKey(privateKey: key, curve: .p256)
            let signature = try ECDSA.sign(digest: digest, hash: .sha256, privateKey: key, curve: .p256)
            if operation == "p256-sign" {
                return (try rate { () throws(CryptoError) in _ = try ECDSA.sign(digest: digest, hash: .sha256, privateKey: key, curve: .p256) }, "ops/s")
            }
            return (try rate { _ = ECDSA.isValid(signature: signature, digest: digest, publicKey: point, curve: .p256) }, "ops/s")
        case "rsa2048-sign", "rsa2048-verify":
            guard case let .rsa(key) = try PrivateKey.generateRSA(bits: 2048, using: random) else { return nil }
            let digest = MessageDigest.hash(.sha256, [1, 2, 3])
            let signature = try RSA.signPKCS1(digest: digest, hash: .sha256, key: key)
            if operation == "rsa2048-sign" {
                return (try rate { () throws(CryptoError) in _ = try RSA.signPKCS1(digest: digest, hash: .sha256, key: key) }, "ops/s")
            }
            return (try rate { _ = RSA.isValidPKCS1(signature: signature, digest: digest, hash: .sha256, key: key.publicKey) }, "ops/s")
        default:
            return nil
        }
    }
}
