import MirageCrypto
import Testing

/// ECDH on P-256 and P-384 against Wycheproof's point-encoded vectors.
@Suite("ECDH on P-256 and P-384")
struct ECDHTests {
    @Test("Wycheproof: valid secrets agree; invalid, compressed and off-curve public keys are refused",
          arguments: [(NISTCurve.p256, "ecdh_secp256r1_ecpoint_test.json"), (.p384, "ecdh_secp384r1_ecpoint_test.json")])
    func wycheproof(_ curve: NISTCurve, _ file: String) throws {
        var counts = VectorCounts(), refusedAcceptable = 0
        for group in try TestVectors.wycheproof("Protocol/wycheproof/" + file).groups {
            for test in group.tests {
                counts.count(test.result)
                let key = scalar(test.bytes("private"), length: curve.scalarLength)
                let shared = try? ECDH.sharedSecret(privateKey: key, peerPublicKey: test.bytes("public"), curve: curve)
                switch test.result {
                case "valid": #expect(shared == test.bytes("shared"), "\(file) tcId \(test.id) \(test.flags)")
                case "invalid": #expect(shared == nil, "\(file) tcId \(test.id) \(test.flags) must be refused")
                default:
                    // Acceptable: compressed points, which TLS 1.3 does not send (RFC 8446 4.2.8.2).
                    if let shared { #expect(shared == test.bytes("shared")) } else { refusedAcceptable += 1 }
                }
            }
        }
        print("Wycheproof \(file): \(counts); \(refusedAcceptable) acceptable (compressed points) refused")
        #expect(counts.valid > 300 && counts.invalid > 10)
    }

    @Test("both sides of a random exchange agree, and a private key of 0 or n is refused", arguments: [NISTCurve.p256, .p384])
    func exchange(_ curve: NISTCurve) throws {
        var generator = SystemRandomNumberGenerator()
        let alice = (0..<curve.scalarLength).map { _ in UInt8.random(in: 0...255, using: &generator) & 0x7F }
        let bob = (0..<curve.scalarLength).map { _ in UInt8.random(in: 0...255, using: &generator) & 0x7F }
        let one = try ECDH.sharedSecret(privateKey: alice, peerPublicKey: ECDH.publicKey(privateKey: bob, curve: curve), curve: curve)
        let other = try ECDH.sharedSecret(privateKey: bob, peerPublicKey: ECDH.publicKey(privateKey: alice, curve: curve), curve: curve)
        #expect(one == other && one.count == curve.scalarLength)
        #expect(throws: CryptoError.self) { try ECDH.publicKey(privateKey: [UInt8](repeating: 0, count: curve.scalarLength), curve: curve) }
        #expect(throws: CryptoError.self) { try ECDH.publicKey(privateKey: [UInt8](repeating: 0xFF, count: curve.scalarLength), curve: curve) }
    }
}

/// A big-endian integer from a Wycheproof field (which may carry a sign byte) at `length` bytes.
func scalar(_ bytes: [UInt8], length: Int) -> [UInt8] {
    let trimmed = Array(bytes.drop { $0 == 0 })
    return trimmed.count >= length ? Array(trimmed.suffix(length)) : [UInt8](repeating: 0, count: length - trimmed.count) + trimmed
}
