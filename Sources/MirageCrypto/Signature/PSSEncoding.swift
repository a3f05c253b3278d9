/// EMSA-PSS (RFC 8017 section 9.1) and MGF1 (appendix B.2.1). Neither touches a secret: the
/// digest and salt end up in the signature, so plain comparisons are fine here.
enum PSSEncoding {
    /// MGF1: `length` bytes of Hash(seed | counter) for counter = 0, 1, ….
    static func mask(seed: [UInt8], length: Int, hash: HashAlgorithm) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(length + hash.digestLength)
        var counter: UInt32 = 0
        while output.count < length {
            var digest = MessageDigest(hash)
            digest.update(seed)
            digest.update([UInt8(counter >> 24), UInt8(counter >> 16 & 0xFF), UInt8(counter >> 8 & 0xFF), UInt8(counter & 0xFF)])
            output += digest.finish()
            counter += 1
        }
        return Array(output.prefix(length))
    }

    /// H = Hash(0x00 × 8 | digest | salt), the value both encoding and verification compare.
    static func hashOfPrefixed(_ digest: [UInt8], salt: [UInt8], hash: HashAlgorithm) -> [UInt8] {
        var message = MessageDigest(hash)
        message.update([UInt8](repeating: 0, count: 8))
        message.update(digest)
        message.update(salt)
        return message.finish()
    }

    /// EMSA-PSS-ENCODE (section 9.1.1) for a message of `bits` bits: ceil(bits / 8) bytes, or nil
    /// when they cannot hold the digest, the salt and the two fixed bytes.
    static func encode(digest: [UInt8], hash: HashAlgorithm, salt: [UInt8], bits: Int) -> [UInt8]? {
        let length = (bits + 7) / 8, digestLength = hash.digestLength
        guard length >= digestLength + salt.count + 2 else { return nil }
        let h = hashOfPrefixed(digest, salt: salt, hash: hash)
        var block = [UInt8](repeating: 0, count: length - salt.count - digestLength - 2) + [0x01] + salt
        let mask = mask(seed: h, length: block.count, hash: hash)
        for index in block.indices { block[index] ^= mask[index] }
        block[0] &= UInt8(0xFF >> (8 * length - bits))
        return block + h + [0xBC]
    }

    /// EMSA-PSS-VERIFY (section 9.1.2): whether `encoded` (ceil(bits / 8) bytes) is consistent
    /// with `digest` and a salt of `saltLength` bytes.
    static func verify(encoded: [UInt8], digest: [UInt8], hash: HashAlgorithm, mgfHash: HashAlgorithm, saltLength: Int, bits: Int) -> Bool {
        let length = encoded.count, digestLength = hash.digestLength
        guard length == (bits + 7) / 8, saltLength >= 0, length >= digestLength + saltLength + 2, encoded.last == 0xBC else { return false }
        let maskedLength = length - digestLength - 1
        let topMask = UInt8(0xFF >> (8 * length - bits))
        guard encoded[0] & ~topMask == 0 else { return false }
        let h = Array(encoded[maskedLength..<length - 1])
        let mask = mask(seed: h, length: maskedLength, hash: mgfHash)
        var block = (0..<maskedLength).map { encoded[$0] ^ mask[$0] }
        block[0] &= topMask
        let padding = maskedLength - saltLength - 1
        guard block[..<padding].allSatisfy({ $0 == 0 }), block[padding] == 0x01 else { return false }
        return hashOfPrefixed(digest, salt: Array(block[(padding + 1)...]), hash: hash) == h
    }
}
