import CBearSSL

/// ECDSA on P-256 and P-384 (FIPS 186-5 section 6; TLS 1.3's ecdsa_secp256r1_sha256 and
/// ecdsa_secp384r1_sha384), computed by BearSSL. Signing uses deterministic nonces (RFC 6979), so
/// a weak random number generator cannot leak the key. Signatures come raw (r then s, each the
/// curve's scalar length, IEEE P1363) or in DER (``ECDSASignatureDER``, as TLS and X.509 carry them).
public enum ECDSA {
    /// Signs `digest`, the `hash` of the message (its length must be the hash's).
    /// - Throws: ``CryptoError/invalidKeyLength(_:)`` for a private key out of range or a digest
    ///   of the wrong length.
    public static func sign(digest: [UInt8], hash: HashAlgorithm, privateKey: [UInt8], curve: NISTCurve) throws(CryptoError) -> [UInt8] {
        guard curve.isValidPrivateKey(privateKey) else { throw .invalidKeyLength(privateKey.count) }
        guard digest.count == hash.digestLength else { throw .invalidKeyLength(digest.count) }
        var key = privateKey
        var signature = [UInt8](repeating: 0, count: 2 * curve.scalarLength)
        let length = key.withUnsafeMutableBufferPointer { key in
            var privateKey = br_ec_private_key(curve: curve.bearSSLIdentifier, x: key.baseAddress, xlen: key.count)
            return digest.withUnsafeBytes { digest in
                signature.withUnsafeMutableBytes { signature in
                    mirage_br_ecdsa_sign_raw(hash.bearSSLClass, digest.baseAddress, &privateKey, signature.baseAddress)
                }
            }
        }
        for index in key.indices { key[index] = 0 }
        guard ConstantTime.declassify(length) == signature.count else { throw .invalidKeyLength(privateKey.count) }
        return ConstantTime.declassify(signature)
    }

    /// Signs `message`, hashing it with `hash` first.
    public static func sign(message: [UInt8], hash: HashAlgorithm, privateKey: [UInt8], curve: NISTCurve) throws(CryptoError) -> [UInt8] {
        try sign(digest: MessageDigest.hash(hash, message), hash: hash, privateKey: privateKey, curve: curve)
    }

    /// Whether the raw `signature` is valid for `digest` under `publicKey` (an uncompressed point).
    /// False for a signature of the wrong length, r or s outside 1…n−1, or a public key that is
    /// not a point of the curve.
    public static func isValid(signature: [UInt8], digest: [UInt8], publicKey: [UInt8], curve: NISTCurve) -> Bool {
        guard signature.count == 2 * curve.scalarLength, publicKey.count == curve.pointLength, publicKey.first == 0x04 else {
            return false
        }
        var point = publicKey
        return point.withUnsafeMutableBufferPointer { point in
            var key = br_ec_public_key(curve: curve.bearSSLIdentifier, q: point.baseAddress, qlen: point.count)
            return digest.withUnsafeBytes { digest in
                signature.withUnsafeBytes { signature in
                    mirage_br_ecdsa_verify_raw(digest.baseAddress, digest.count, &key, signature.baseAddress, signature.count) == 1
                }
            }
        }
    }

    /// Whether the raw `signature` is valid for `message` hashed with `hash`.
    public static func isValid(signature: [UInt8], message: [UInt8], hash: HashAlgorithm, publicKey: [UInt8], curve: NISTCurve) -> Bool {
        isValid(signature: signature, digest: MessageDigest.hash(hash, message), publicKey: publicKey, curve: curve)
    }

    /// Whether the DER `signature` (strictly DER, ``ECDSASignatureDER``) is valid for `message`.
    public static func isValid(derSignature: [UInt8], message: [UInt8], hash: HashAlgorithm, publicKey: [UInt8], curve: NISTCurve) -> Bool {
        guard let raw = ECDSASignatureDER.raw(fromDER: derSignature, scalarLength: curve.scalarLength) else { return false }
        return isValid(signature: raw, message: message, hash: hash, publicKey: publicKey, curve: curve)
    }
}
