import MirageCrypto

/// The signature algorithms of certificates this engine checks (RFC 5758 section 3.2 for
/// ECDSA, RFC 8017 and RFC 4055 for RSA PKCS #1 v1.5 and PSS). SHA-1 is refused: its
/// collisions are practical, and no certificate a browser trusts uses it.
enum X509SignatureAlgorithm: Equatable, Sendable {
    case ecdsa(HashAlgorithm)
    case rsaPKCS1(HashAlgorithm)
    case rsaPSS(hash: HashAlgorithm, saltLength: Int)
    /// An algorithm not accepted (SHA-1, DSA, Ed25519...): the certificate still reads (a root
    /// self-signed with SHA-1 anchors chains like any other), but no signature made with it
    /// verifies.
    case unsupported

    static let ecdsaPrefix: [UInt8] = [0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x04, 0x03]
    static let pkcs1Prefix: [UInt8] = [0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01]

    /// Reads an AlgorithmIdentifier's contents; an algorithm not accepted is ``unsupported``.
    /// - Throws: ``CryptoError/malformedEncoding(what:)`` for one that does not parse.
    init(_ contents: [UInt8]) throws(CryptoError) {
        do {
            try self.init(accepted: contents)
        } catch .unsupportedKey {
            self = .unsupported
        }
    }

    /// Reads an accepted algorithm.
    /// - Throws: ``CryptoError/unsupportedKey`` for an algorithm not accepted.
    private init(accepted contents: [UInt8]) throws(CryptoError) {
        var reader = DERReader(contents, context: "a signature algorithm")
        let identifier = try reader.read(DERReader.Tag.objectIdentifier)
        if identifier.count == 8, Array(identifier.prefix(7)) == Self.ecdsaPrefix {
            try reader.finish()  // RFC 5758: the parameters are absent
            switch identifier[7] {
            case 2: self = .ecdsa(.sha256)
            case 3: self = .ecdsa(.sha384)
            case 4: self = .ecdsa(.sha512)
            default: throw .unsupportedKey
            }
            return
        }
        guard identifier.count == 9, Array(identifier.prefix(8)) == Self.pkcs1Prefix else { throw .unsupportedKey }
        switch identifier[8] {
        case 11, 12, 13:
            if !reader.isAtEnd { try reader.null() }  // NULL parameters, or (leniently) none
            try reader.finish()
            self = .rsaPKCS1(identifier[8] == 11 ? .sha256 : identifier[8] == 12 ? .sha384 : .sha512)
        case 10:
            self = try Self.pss(try reader.sequence())
            try reader.finish()
        default:
            throw .unsupportedKey
        }
    }

    /// RSASSA-PSS-params (RFC 4055 section 3.1) with SHA-256/384/512 and MGF1 over the same hash;
    /// the defaults (SHA-1) are refused.
    private static func pss(_ parameters: DERReader) throws(CryptoError) -> X509SignatureAlgorithm {
        var parameters = parameters
        guard var hashField = try parameters.optional(0xA0) else { throw .unsupportedKey }
        let hash = try hashAlgorithm(try hashField.read(DERReader.Tag.sequence))
        guard var maskField = try parameters.optional(0xA1) else { throw .unsupportedKey }
        var mask = try maskField.sequence()
        guard try mask.read(DERReader.Tag.objectIdentifier) == [0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x08],  // id-mgf1
              try hashAlgorithm(try mask.read(DERReader.Tag.sequence)) == hash else { throw .unsupportedKey }
        var saltLength = 20
        if var saltField = try parameters.optional(0xA2) { saltLength = try saltField.smallInteger() }
        if var trailer = try parameters.optional(0xA3) { guard try trailer.smallInteger() == 1 else { throw .unsupportedKey } }
        try parameters.finish()
        return .rsaPSS(hash: hash, saltLength: saltLength)
    }

    private static func hashAlgorithm(_ contents: [UInt8]) throws(CryptoError) -> HashAlgorithm {
        var reader = DERReader(contents, context: "a hash algorithm")
        let identifier = try reader.read(DERReader.Tag.objectIdentifier)
        if !reader.isAtEnd { try reader.null() }
        guard identifier.count == 9, Array(identifier.prefix(8)) == [0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02] else { throw .unsupportedKey }
        switch identifier[8] {
        case 1: return .sha256
        case 2: return .sha384
        case 3: return .sha512
        default: throw .unsupportedKey
        }
    }

    /// Whether `signature` over `message` is valid under the issuer's `key`.
    func isValid(_ signature: [UInt8], message: [UInt8], key: PublicKey) -> Bool {
        switch (self, key) {
        case let (.ecdsa(hash), .ec(curve, point)):
            return ECDSA.isValid(derSignature: signature, message: message, hash: hash, publicKey: point, curve: curve)
        case let (.rsaPKCS1(hash), .rsa(rsaKey)):
            return RSA.isValidPKCS1(signature: signature, digest: MessageDigest.hash(hash, message), hash: hash, key: rsaKey)
        case let (.rsaPSS(hash, saltLength), .rsa(rsaKey)):
            return RSA.isValidPSS(signature: signature, digest: MessageDigest.hash(hash, message), hash: hash, saltLength: saltLength, key: rsaKey)
        default:
            return false
        }
    }
}
