import CBearSSL

/// A public key as certificates and key files carry it: SubjectPublicKeyInfo (RFC 5280 section
/// 4.1.2.7) with an RSA key (RFC 3279 section 2.3.1), an EC point on a named curve (RFC 5480), or
/// an X25519 key (RFC 8410).
public enum PublicKey: Equatable, Sendable {
    case rsa(RSAPublicKey)
    /// An uncompressed point, checked to lie on the curve.
    case ec(NISTCurve, [UInt8])
    case x25519([UInt8])

    /// Reads a DER SubjectPublicKeyInfo.
    /// - Throws: ``CryptoError/malformedEncoding(what:)``, ``CryptoError/unsupportedKey`` (another
    ///   algorithm or curve, or a compressed point), ``CryptoError/invalidPublicKey`` (a point off
    ///   the curve), ``CryptoError/invalidKeyLength(_:)`` (an RSA key ``RSAPublicKey`` refuses).
    public init(subjectPublicKeyInfo der: [UInt8]) throws(CryptoError) {
        var outer = DERReader(der, context: "SubjectPublicKeyInfo")
        var info = try outer.sequence()
        try outer.finish()
        var algorithm = try info.sequence()
        let identifier = try algorithm.read(.objectIdentifier)
        let key = try info.bitStringBytes()
        try info.finish()
        switch identifier {
        case ObjectIdentifier.rsaEncryption:
            // RFC 3279 2.3.1: the parameters are NULL (some encoders leave them out).
            if !algorithm.isAtEnd { try algorithm.null() }
            try algorithm.finish()
            var keyReader = DERReader(key, context: "RSAPublicKey")
            var fields = try keyReader.sequence()
            try keyReader.finish()
            let modulus = try fields.unsignedInteger(), exponent = try fields.unsignedInteger()
            try fields.finish()
            self = .rsa(try RSAPublicKey(modulus: modulus, exponent: exponent))
        case ObjectIdentifier.ecPublicKey:
            guard let curve = NISTCurve(objectIdentifier: try algorithm.read(.objectIdentifier)) else { throw .unsupportedKey }
            try algorithm.finish()
            guard key.first == 0x04, key.count == curve.pointLength else { throw .unsupportedKey }
            guard curve.isOnCurve(key) else { throw .invalidPublicKey }
            self = .ec(curve, key)
        case ObjectIdentifier.x25519:
            try algorithm.finish()
            guard key.count == X25519.keyLength else { throw .invalidKeyLength(key.count) }
            self = .x25519(key)
        default:
            throw .unsupportedKey
        }
    }

    /// Reads the first `PUBLIC KEY` block of PEM text.
    public init(pem: String) throws(CryptoError) {
        guard let block = try PEM.decode(pem).first(where: { $0.label == "PUBLIC KEY" }) else {
            throw .malformedEncoding(what: "PEM (no PUBLIC KEY block)")
        }
        try self.init(subjectPublicKeyInfo: block.der)
    }

    /// The DER SubjectPublicKeyInfo.
    public var subjectPublicKeyInfo: [UInt8] {
        switch self {
        case let .rsa(key):
            let rsaKey = DER.sequence([DER.unsignedInteger(key.modulus), DER.unsignedInteger(key.exponent)])
            return DER.sequence([DER.sequence([DER.objectIdentifier(ObjectIdentifier.rsaEncryption), DER.null]), DER.bitString(rsaKey)])
        case let .ec(curve, point):
            return DER.sequence([DER.sequence([DER.objectIdentifier(ObjectIdentifier.ecPublicKey), DER.objectIdentifier(curve.objectIdentifier)]),
                                 DER.bitString(point)])
        case let .x25519(key):
            return DER.sequence([DER.sequence([DER.objectIdentifier(ObjectIdentifier.x25519)]), DER.bitString(key)])
        }
    }

    /// The PEM text of ``subjectPublicKeyInfo``.
    public var pem: String { PEM.encode(subjectPublicKeyInfo, label: "PUBLIC KEY") }
}

extension NISTCurve {
    /// Whether `point` (uncompressed) lies on the curve: BearSSL's multiplication by 1 checks it.
    func isOnCurve(_ point: [UInt8]) -> Bool {
        guard point.count == pointLength, point.first == 0x04 else { return false }
        var copy = point
        let one: [UInt8] = [1]
        return copy.withUnsafeMutableBufferPointer { copy in
            one.withUnsafeBufferPointer { mirage_br_ec_mul(copy.baseAddress, copy.count, $0.baseAddress, 1, bearSSLIdentifier) == 1 }
        }
    }
}
