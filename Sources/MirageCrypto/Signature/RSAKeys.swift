import CBearSSL

/// An RSA public key (RFC 8017 section 3.1): the modulus n and the public exponent e, big-endian.
/// Moduli of 2,048 to 4,096 bits are taken: shorter ones are too weak, and BearSSL's engines stop
/// at 4,096.
public struct RSAPublicKey: Sendable, Equatable {
    public static let bitLengths = 2048...4096

    public let modulus: [UInt8]
    public let exponent: [UInt8]
    /// Bits of the modulus.
    public let bitLength: Int

    /// - Throws: ``CryptoError/invalidKeyLength(_:)`` (in bits) for a modulus outside
    ///   ``bitLengths`` or even, or an exponent that is empty, even, or longer than 4 bytes.
    public init(modulus: [UInt8], exponent: [UInt8]) throws(CryptoError) {
        let modulus = Array(modulus.drop { $0 == 0 }), exponent = Array(exponent.drop { $0 == 0 })
        let bits = modulus.first.map { modulus.count * 8 - $0.leadingZeroBitCount } ?? 0
        guard Self.bitLengths.contains(bits), modulus.last! & 1 == 1 else { throw .invalidKeyLength(bits) }
        guard (1...4).contains(exponent.count), exponent.last! & 1 == 1, exponent != [1] else { throw .invalidKeyLength(bits) }
        self.modulus = modulus
        self.exponent = exponent
        bitLength = bits
    }

    /// Bytes of the modulus: the length of every signature under the key.
    public var length: Int { modulus.count }

    /// Calls `body` with BearSSL's view of the key.
    func withBearSSLKey<Result>(_ body: (inout br_rsa_public_key) -> Result) -> Result {
        var modulus = modulus, exponent = exponent
        return modulus.withUnsafeMutableBufferPointer { n in
            exponent.withUnsafeMutableBufferPointer { e in
                var key = br_rsa_public_key(n: n.baseAddress, nlen: n.count, e: e.baseAddress, elen: e.count)
                return body(&key)
            }
        }
    }
}

/// An RSA private key in its Chinese-remainder form (RFC 8017 section 3.2, the second
/// representation), which BearSSL computes with: the primes p and q, d mod (p−1), d mod (q−1)
/// and q⁻¹ mod p, big-endian, and the public key.
public final class RSAPrivateKey {
    public let publicKey: RSAPublicKey
    private var p: [UInt8], q: [UInt8], dp: [UInt8], dq: [UInt8], qInverse: [UInt8]

    /// - Throws: ``CryptoError/invalidKeyLength(_:)`` when the public key is refused, a
    ///   component is empty or longer than the modulus, or p·q is not the public key's modulus.
    public init(publicKey: RSAPublicKey, p: [UInt8], q: [UInt8], dp: [UInt8], dq: [UInt8], qInverse: [UInt8]) throws(CryptoError) {
        let parts = [p, q, dp, dq, qInverse].map { Array($0.drop { $0 == 0 }) }
        guard parts.allSatisfy({ !$0.isEmpty && $0.count <= publicKey.length }) else { throw .invalidKeyLength(publicKey.bitLength) }
        self.publicKey = publicKey
        (self.p, self.q, self.dp, self.dq, self.qInverse) = (parts[0], parts[1], parts[2], parts[3], parts[4])
        var modulus = [UInt8](repeating: 0, count: publicKey.length)
        let length = withBearSSLKey { key in modulus.withUnsafeMutableBytes { mirage_br_rsa_compute_modulus($0.baseAddress, &key) } }
        // The modulus p·q is public: it is checked against the public key's.
        guard ConstantTime.declassify(length) == publicKey.length, ConstantTime.declassify(modulus) == publicKey.modulus else {
            throw .invalidKeyLength(publicKey.bitLength)
        }
    }

    /// The components of PKCS #1's RSAPrivateKey (RFC 8017 appendix A.1.2), the private exponent
    /// d computed by BearSSL: n, e, d, p, q, dp, dq, qInverse.
    func components() throws(CryptoError) -> [[UInt8]] {
        let e = publicKey.exponent.reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        var d = [UInt8](repeating: 0, count: publicKey.length)
        let length = withBearSSLKey { key in d.withUnsafeMutableBytes { mirage_br_rsa_compute_private_exponent($0.baseAddress, &key, e) } }
        // d's length in bytes is public, as BearSSL treats the lengths of the key's parts.
        let dLength = ConstantTime.declassify(length)
        guard dLength > 0 else { throw .invalidKeyLength(publicKey.bitLength) }
        return [publicKey.modulus, publicKey.exponent, Array(d.prefix(dLength)), p, q, dp, dq, qInverse]
    }

    deinit {
        for index in p.indices { p[index] = 0 }
        for index in q.indices { q[index] = 0 }
        for index in dp.indices { dp[index] = 0 }
        for index in dq.indices { dq[index] = 0 }
        for index in qInverse.indices { qInverse[index] = 0 }
    }

    /// Calls `body` with BearSSL's view of the key.
    func withBearSSLKey<Result>(_ body: (inout br_rsa_private_key) -> Result) -> Result {
        p.withUnsafeMutableBufferPointer { p in
            q.withUnsafeMutableBufferPointer { q in
                dp.withUnsafeMutableBufferPointer { dp in
                    dq.withUnsafeMutableBufferPointer { dq in
                        qInverse.withUnsafeMutableBufferPointer { iq in
                            var key = br_rsa_private_key(n_bitlen: UInt32(publicKey.bitLength), p: p.baseAddress, plen: p.count,
                                                         q: q.baseAddress, qlen: q.count, dp: dp.baseAddress, dplen: dp.count,
                                                         dq: dq.baseAddress, dqlen: dq.count, iq: iq.baseAddress, iqlen: iq.count)
                            return body(&key)
                        }
                    }
                }
            }
        }
    }
}
