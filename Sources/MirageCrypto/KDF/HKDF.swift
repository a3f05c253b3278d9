/// HKDF, the HMAC-based key derivation function (RFC 5869), and TLS 1.3's HKDF-Expand-Label
/// (RFC 8446 section 7.1). Written over ``HMAC``: HKDF is a construction, not a primitive.
public enum HKDF {
    /// HKDF-Extract (RFC 5869 section 2.2): a pseudorandom key of ``HashAlgorithm/digestLength``
    /// bytes from input keying material and a salt (empty: a block of zeros, as the RFC says).
    public static func extract(_ algorithm: HashAlgorithm, salt: [UInt8], inputKeyingMaterial: [UInt8]) -> [UInt8] {
        let key = salt.isEmpty ? [UInt8](repeating: 0, count: algorithm.digestLength) : salt
        return HMAC.authenticationCode(algorithm, key: key, message: inputKeyingMaterial)
    }

    /// HKDF-Expand (RFC 5869 section 2.3): `length` bytes of output keying material from a
    /// pseudorandom key and context `info`: T(1) | T(2) | …, T(i) = HMAC(PRK, T(i-1) | info | i).
    /// - Throws: ``CryptoError/outputTooLong(requested:limit:)`` past 255 hash lengths.
    public static func expand(_ algorithm: HashAlgorithm, pseudorandomKey: [UInt8], info: [UInt8],
                              length: Int) throws(CryptoError) -> [UInt8] {
        let limit = 255 * algorithm.digestLength
        guard length >= 0, length <= limit else { throw .outputTooLong(requested: length, limit: limit) }
        let keyed = HMAC(algorithm, key: pseudorandomKey)
        var output: [UInt8] = []
        output.reserveCapacity(length + algorithm.digestLength)
        var block: [UInt8] = []
        var counter: UInt8 = 1
        while output.count < length {
            var mac = keyed
            mac.update(block)
            mac.update(info)
            mac.update([counter])
            block = mac.finish()
            output += block
            counter &+= 1
        }
        return Array(output.prefix(length))
    }

    /// Extract then expand (RFC 5869 section 2).
    public static func deriveKey(_ algorithm: HashAlgorithm, inputKeyingMaterial: [UInt8], salt: [UInt8],
                                 info: [UInt8], length: Int) throws(CryptoError) -> [UInt8] {
        try expand(algorithm, pseudorandomKey: extract(algorithm, salt: salt, inputKeyingMaterial: inputKeyingMaterial),
                   info: info, length: length)
    }

    /// HKDF-Expand-Label (RFC 8446 section 7.1): HKDF-Expand with `info` the `HkdfLabel`
    /// structure: the length as two bytes, then "tls13 " + `label` and `context`, each behind a
    /// length byte. `label` is at most 249 bytes and `context` at most 255.
    /// - Throws: ``CryptoError/outputTooLong(requested:limit:)`` when `length` does not fit its
    ///   two bytes or HKDF's limit, or a label or context is too long for its length byte.
    public static func expandLabel(_ algorithm: HashAlgorithm, secret: [UInt8], label: [UInt8], context: [UInt8],
                                   length: Int) throws(CryptoError) -> [UInt8] {
        let prefix: [UInt8] = Array("tls13 ".utf8)
        guard prefix.count + label.count <= 255 else { throw .outputTooLong(requested: label.count, limit: 255 - prefix.count) }
        guard context.count <= 255 else { throw .outputTooLong(requested: context.count, limit: 255) }
        guard length <= 0xFFFF else { throw .outputTooLong(requested: length, limit: 0xFFFF) }
        var info: [UInt8] = [UInt8(length >> 8), UInt8(length & 0xFF), UInt8(prefix.count + label.count)]
        info += prefix + label
        info.append(UInt8(context.count))
        info += context
        return try expand(algorithm, pseudorandomKey: secret, info: info, length: length)
    }
}
