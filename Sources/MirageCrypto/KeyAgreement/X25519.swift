import CBearSSL

/// X25519 (RFC 7748 section 5), computed by BearSSL's constant-time Curve25519 code.
public enum X25519 {
    /// Bytes of a private key (a scalar, clamped when used) and of a public key (a u-coordinate).
    public static let keyLength = 32

    /// The public key of `privateKey`: X25519(k, 9).
    /// - Throws: ``CryptoError/invalidKeyLength(_:)`` unless the key is 32 bytes.
    public static func publicKey(privateKey: [UInt8]) throws(CryptoError) -> [UInt8] {
        guard privateKey.count == keyLength else { throw .invalidKeyLength(privateKey.count) }
        var base = [UInt8](repeating: 0, count: keyLength)
        base[0] = 9
        return try multiply(privateKey, base, refusingZero: false)
    }

    /// The shared secret X25519(k, u) of our private key and the peer's public key. The public
    /// key's top bit is ignored (RFC 7748 section 5: implementations MUST mask it).
    /// - Throws: ``CryptoError/invalidKeyLength(_:)`` for a key that is not 32 bytes;
    ///   ``CryptoError/weakSharedSecret`` when the result is all zeros (a public key of small
    ///   order, RFC 7748 section 6.1), checked in constant time.
    public static func sharedSecret(privateKey: [UInt8], peerPublicKey: [UInt8]) throws(CryptoError) -> [UInt8] {
        guard privateKey.count == keyLength else { throw .invalidKeyLength(privateKey.count) }
        guard peerPublicKey.count == keyLength else { throw .invalidKeyLength(peerPublicKey.count) }
        var point = peerPublicKey
        point[31] &= 0x7F
        return try multiply(privateKey, point, refusingZero: true)
    }

    /// Multiplies `point` (a u-coordinate) by `scalar`; BearSSL clamps the scalar.
    private static func multiply(_ scalar: [UInt8], _ point: [UInt8], refusingZero: Bool) throws(CryptoError) -> [UInt8] {
        var result = point
        let accepted = result.withUnsafeMutableBufferPointer { result in
            scalar.withUnsafeBufferPointer { scalar in
                mirage_br_ec_mul(result.baseAddress, result.count, scalar.baseAddress, scalar.count, BR_EC_curve25519)
            }
        }
        let zero = ConstantTime.declassify(result.withUnsafeBytes { ConstantTime.isAllZero($0) })
        guard ConstantTime.declassify(accepted) == 1, !(refusingZero && zero) else {
            for index in result.indices { result[index] = 0 }
            throw .weakSharedSecret
        }
        return result
    }
}
