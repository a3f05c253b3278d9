import MirageCore
import MirageCrypto
import MirageTesting
import Testing

/// New keys: in range, usable, and read back from their own PKCS #8.
@Suite("Key generation")
struct KeyGenerationTests {
    @Test("EC and X25519 keys sign, agree and round-trip", arguments: [NISTCurve.p256, .p384])
    func ellipticCurves(_ curve: NISTCurve) throws {
        let random = CryptoRandom(source: SeededEntropy(seed: 11))
        let one = try PrivateKey.generateEC(curve, using: random), two = try PrivateKey.generateEC(curve, using: random)
        guard case let .ec(_, a) = one, case let .ec(_, b) = two, case let .ec(_, pointA) = try one.publicKey(),
              case let .ec(_, pointB) = try two.publicKey() else { Issue.record("not EC keys"); return }
        #expect(a != b)
        #expect(try ECDH.sharedSecret(privateKey: a, peerPublicKey: pointB, curve: curve) == ECDH.sharedSecret(privateKey: b, peerPublicKey: pointA, curve: curve))
        #expect(try PrivateKey(pkcs8: one.pkcs8()).pkcs8() == one.pkcs8())
        guard case let .x25519(x) = PrivateKey.generateX25519(using: random) else { return }
        #expect(x.count == 32)
        #expect(throws: CryptoError.brokenEntropySource) { try PrivateKey.generateEC(curve, using: ZeroEntropy()) }
    }

    @Test("a 2,048-bit RSA key signs with PSS and PKCS #1 v1.5 and round-trips through PKCS #8; other sizes are refused")
    func rsa() throws {
        let random = CryptoRandom(source: SeededEntropy(seed: 12))
        let key = try PrivateKey.generateRSA(bits: 2048, using: random)
        guard case let .rsa(privateKey) = key else { Issue.record("not RSA"); return }
        #expect(privateKey.publicKey.bitLength == 2048 && privateKey.publicKey.exponent == [1, 0, 1])
        let digest = MessageDigest.hash(.sha256, [1, 2, 3])
        let pss = try RSA.signPSS(digest: digest, hash: .sha256, salt: random.bytes(count: 32), key: privateKey)
        #expect(RSA.isValidPSS(signature: pss, digest: digest, hash: .sha256, key: privateKey.publicKey))
        let pkcs1 = try RSA.signPKCS1(digest: digest, hash: .sha256, key: privateKey)
        #expect(RSA.isValidPKCS1(signature: pkcs1, digest: digest, hash: .sha256, key: privateKey.publicKey))
        #expect(try PrivateKey(pkcs8: key.pkcs8()).publicKey() == key.publicKey())
        #expect(throws: CryptoError.invalidKeyLength(1024)) { try PrivateKey.generateRSA(bits: 1024, using: random) }
    }
}

/// A broken source: zeros, which are never a valid scalar.
final class ZeroEntropy: EntropySource {
    func fill(_ buffer: UnsafeMutableRawBufferPointer) {
        if buffer.count > 0 { buffer.initializeMemory(as: UInt8.self, repeating: 0) }
    }
}
