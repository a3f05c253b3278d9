import CBearSSL

/// RSA signatures (RFC 8017): PKCS #1 v1.5 (section 8.2) computed by BearSSL, and RSASSA-PSS
/// (section 8.1) written here over BearSSL's RSA primitives, as TLS 1.3 signs with PSS and
/// certificates still carry PKCS #1 v1.5.
public enum RSA {
    // MARK: PKCS #1 v1.5

    /// The PKCS #1 v1.5 signature of `digest`, the `hash` of the message: ``RSAPublicKey/length`` bytes.
    /// - Throws: ``CryptoError/invalidKeyLength(_:)`` for a digest of the wrong length or a key
    ///   BearSSL refuses.
    public static func signPKCS1(digest: [UInt8], hash: HashAlgorithm, key: RSAPrivateKey) throws(CryptoError) -> [UInt8] {
        guard digest.count == hash.digestLength else { throw .invalidKeyLength(digest.count) }
        var signature = [UInt8](repeating: 0, count: key.publicKey.length)
        let signed = key.withBearSSLKey { bearKey in
            signature.withUnsafeMutableBufferPointer { signature in
                mirage_br_rsa_pkcs1_sign(hash.digestInfoIdentifier, digest, digest.count, &bearKey, signature.baseAddress)
            }
        }
        guard ConstantTime.declassify(signed) == 1 else { throw .invalidKeyLength(key.publicKey.bitLength) }
        return ConstantTime.declassify(signature)
    }

    /// Whether `signature` is the PKCS #1 v1.5 signature of `digest` under `key`: the
    /// signature's length is the modulus's, its value below the modulus, and the encoded
    /// DigestInfo names `hash` and holds `digest`.
    public static func isValidPKCS1(signature: [UInt8], digest: [UInt8], hash: HashAlgorithm, key: RSAPublicKey) -> Bool {
        guard signature.count == key.length, digest.count == hash.digestLength else { return false }
        var recovered = [UInt8](repeating: 0, count: hash.digestLength)
        let verified = key.withBearSSLKey { bearKey in
            recovered.withUnsafeMutableBufferPointer { recovered in
                mirage_br_rsa_pkcs1_verify(signature, signature.count, hash.digestInfoIdentifier, digest.count, &bearKey, recovered.baseAddress)
            }
        }
        return verified == 1 && ConstantTime.equal(recovered, digest)
    }

    // MARK: PSS

    /// The RSASSA-PSS signature of `digest` (RFC 8017 section 8.1.1): EMSA-PSS encoding with MGF1
    /// over `hash` and `salt` (TLS 1.3 wants a salt as long as the digest, RFC 8446 4.2.3), then
    /// BearSSL's private-key operation.
    /// - Throws: ``CryptoError/invalidKeyLength(_:)`` when the key is too short for the digest
    ///   and salt, or BearSSL refuses the key.
    public static func signPSS(digest: [UInt8], hash: HashAlgorithm, salt: [UInt8], key: RSAPrivateKey) throws(CryptoError) -> [UInt8] {
        let modulusBits = key.publicKey.bitLength
        guard digest.count == hash.digestLength,
              let encoded = PSSEncoding.encode(digest: digest, hash: hash, salt: salt, bits: modulusBits - 1) else {
            throw .invalidKeyLength(modulusBits)
        }
        var block = [UInt8](repeating: 0, count: key.publicKey.length - encoded.count) + encoded
        let done = key.withBearSSLKey { bearKey in
            block.withUnsafeMutableBufferPointer { mirage_br_rsa_private($0.baseAddress, &bearKey) }
        }
        guard ConstantTime.declassify(done) == 1 else { throw .invalidKeyLength(modulusBits) }
        return ConstantTime.declassify(block)
    }

    /// Whether `signature` is an RSASSA-PSS signature of `digest` under `key` (RFC 8017 section
    /// 8.1.2) with MGF1 over `mgfHash` (by default `hash`) and a salt of `saltLength` bytes (by
    /// default the digest's length).
    public static func isValidPSS(signature: [UInt8], digest: [UInt8], hash: HashAlgorithm, mgfHash: HashAlgorithm? = nil,
                                  saltLength: Int? = nil, key: RSAPublicKey) -> Bool {
        guard signature.count == key.length, digest.count == hash.digestLength else { return false }
        var block = signature
        let done = key.withBearSSLKey { bearKey in
            block.withUnsafeMutableBufferPointer { mirage_br_rsa_public($0.baseAddress, $0.count, &bearKey) }
        }
        guard done == 1 else { return false }
        // RSAVP1 gives k bytes; the encoded message is the last ceil(emBits / 8) of them, and any
        // byte before it must be zero (section 8.1.2 step 2c).
        let bits = key.bitLength - 1, encodedLength = (bits + 7) / 8
        guard block.prefix(block.count - encodedLength).allSatisfy({ $0 == 0 }) else { return false }
        return PSSEncoding.verify(encoded: Array(block.suffix(encodedLength)), digest: digest, hash: hash, mgfHash: mgfHash ?? hash,
                                  saltLength: saltLength ?? hash.digestLength, bits: bits)
    }
}

extension HashAlgorithm {
    /// The encoded object identifier of the hash in PKCS #1 v1.5's DigestInfo, as BearSSL takes it.
    var digestInfoIdentifier: UnsafePointer<UInt8> {
        switch self {
        case .sha1: mirage_br_hash_oid(1)
        case .sha224: mirage_br_hash_oid(224)
        case .sha256: mirage_br_hash_oid(256)
        case .sha384: mirage_br_hash_oid(384)
        case .sha512: mirage_br_hash_oid(512)
        }
    }
}
