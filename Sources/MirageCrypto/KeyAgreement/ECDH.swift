import CBearSSL

/// Elliptic-curve Diffie-Hellman on P-256 and P-384 (SEC 1 section 3.3.1; TLS 1.3, RFC 8446
/// section 7.4.2): the shared secret is the X coordinate of d·Q. Public keys are uncompressed
/// points, checked to lie on the curve before they are used.
public enum ECDH {
    /// The public key of `privateKey` (big-endian, the curve's scalar length): d·G, uncompressed.
    /// - Throws: ``CryptoError/invalidKeyLength(_:)`` unless 1 ≤ d < n.
    public static func publicKey(privateKey: [UInt8], curve: NISTCurve) throws(CryptoError) -> [UInt8] {
        guard curve.isValidPrivateKey(privateKey) else { throw .invalidKeyLength(privateKey.count) }
        var point = [UInt8](repeating: 0, count: curve.pointLength)
        let length = point.withUnsafeMutableBufferPointer { point in
            privateKey.withUnsafeBufferPointer { scalar in
                mirage_br_ec_mulgen(point.baseAddress, scalar.baseAddress, scalar.count, curve.bearSSLIdentifier)
            }
        }
        guard ConstantTime.declassify(length) == curve.pointLength else { throw .invalidKeyLength(privateKey.count) }
        return ConstantTime.declassify(point)
    }

    /// The shared secret of our private key and the peer's public key.
    /// - Throws: ``CryptoError/invalidKeyLength(_:)`` for a private key out of range;
    ///   ``CryptoError/invalidPublicKey`` for a public key that is not an uncompressed point of
    ///   the curve (compressed points, the point at infinity and points of other curves included).
    public static func sharedSecret(privateKey: [UInt8], peerPublicKey: [UInt8], curve: NISTCurve) throws(CryptoError) -> [UInt8] {
        guard curve.isValidPrivateKey(privateKey) else { throw .invalidKeyLength(privateKey.count) }
        guard peerPublicKey.count == curve.pointLength, peerPublicKey.first == 0x04 else { throw .invalidPublicKey }
        var point = peerPublicKey
        let accepted = point.withUnsafeMutableBufferPointer { point in
            privateKey.withUnsafeBufferPointer { scalar in
                mirage_br_ec_mul(point.baseAddress, point.count, scalar.baseAddress, scalar.count, curve.bearSSLIdentifier)
            }
        }
        // Whether the peer's point was valid is public (the peer chose it).
        guard ConstantTime.declassify(accepted) == 1 else { throw .invalidPublicKey }
        return Array(point[1...curve.scalarLength])
    }
}
