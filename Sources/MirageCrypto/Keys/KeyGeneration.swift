import CBearSSL
import MirageCore

extension PrivateKey {
    /// A new key on `curve`: a scalar drawn from `random` until it lies in 1…n−1 (FIPS 186-5
    /// appendix A.2.2, rejection sampling; for P-256 and P-384 a draw is refused with
    /// probability below 2⁻³²).
    /// - Throws: ``CryptoError/brokenEntropySource`` after 64 refused draws (a source that gives
    ///   zeros, say): a working one fails that way with probability below 2⁻²⁰⁴⁸.
    public static func generateEC(_ curve: NISTCurve, using random: some EntropySource) throws(CryptoError) -> PrivateKey {
        for _ in 0..<64 {
            let scalar = random.bytes(count: curve.scalarLength)
            if curve.isValidPrivateKey(scalar) { return .ec(curve, scalar) }
        }
        throw .brokenEntropySource
    }

    /// A new X25519 key: 32 random bytes (RFC 7748 section 5 clamps them when used).
    public static func generateX25519(using random: some EntropySource) -> PrivateKey {
        .x25519(random.bytes(count: X25519.keyLength))
    }

    /// A new RSA key of `bits` (2,048 to 4,096) with public exponent 65537, by BearSSL's key
    /// generator drawing from an HMAC-DRBG that `random` seeds.
    /// - Throws: ``CryptoError/invalidKeyLength(_:)`` for a size outside ``RSAPublicKey/bitLengths``.
    public static func generateRSA(bits: Int, using random: some EntropySource) throws(CryptoError) -> PrivateKey {
        guard RSAPublicKey.bitLengths.contains(bits) else { throw .invalidKeyLength(bits) }
        var seed = random.bytes(count: CryptoRandom.seedLength)
        var privateBuffer = [UInt8](repeating: 0, count: mirage_br_rsa_private_buffer_size(UInt32(bits)))
        var publicBuffer = [UInt8](repeating: 0, count: mirage_br_rsa_public_buffer_size(UInt32(bits)))
        // The elements point into the buffers: copied out while the buffers are held.
        let parts: [[UInt8]]? = privateBuffer.withUnsafeMutableBytes { privateBytes in
            publicBuffer.withUnsafeMutableBytes { publicBytes in
                seed.withUnsafeBytes { seed in
                    var privateKey = br_rsa_private_key(), publicKey = br_rsa_public_key()
                    guard mirage_br_rsa_keygen(seed.baseAddress, seed.count, &privateKey, privateBytes.baseAddress, &publicKey,
                                               publicBytes.baseAddress, UInt32(bits), 65537) == 1 else { return nil }
                    func bytes(_ pointer: UnsafeMutablePointer<UInt8>?, _ count: Int) -> [UInt8] {
                        pointer.map { Array(UnsafeBufferPointer(start: $0, count: count)) } ?? []
                    }
                    return [bytes(publicKey.n, publicKey.nlen), bytes(publicKey.e, publicKey.elen),
                            bytes(privateKey.p, privateKey.plen), bytes(privateKey.q, privateKey.qlen),
                            bytes(privateKey.dp, privateKey.dplen), bytes(privateKey.dq, privateKey.dqlen),
                            bytes(privateKey.iq, privateKey.iqlen)]
                }
            }
        }
        defer {
            for index in seed.indices { seed[index] = 0 }
            for index in privateBuffer.indices { privateBuffer[index] = 0 }
        }
        guard let parts else { throw .invalidKeyLength(bits) }
        let key = try RSAPublicKey(modulus: parts[0], exponent: parts[1])
        return .rsa(try RSAPrivateKey(publicKey: key, p: parts[2], q: parts[3], dp: parts[4], dq: parts[5], qInverse: parts[6]))
    }
}
