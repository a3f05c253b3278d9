/// A private key as key files carry it: PKCS #8 (RFC 5958 OneAsymmetricKey, which includes RFC
/// 5208's PrivateKeyInfo), SEC 1 ECPrivateKey (RFC 5915) or PKCS #1 RSAPrivateKey (RFC 8017
/// appendix A.1.2), in DER or PEM. Encrypted PKCS #8 is not read.
public enum PrivateKey {
    case rsa(RSAPrivateKey)
    /// A scalar 1 ≤ d < n, big-endian, at the curve's scalar length.
    case ec(NISTCurve, [UInt8])
    case x25519([UInt8])

    /// Reads the first private key block of PEM text: `PRIVATE KEY` (PKCS #8), `EC PRIVATE KEY`
    /// (SEC 1) or `RSA PRIVATE KEY` (PKCS #1).
    /// - Throws: ``CryptoError/unsupportedKey`` for `ENCRYPTED PRIVATE KEY`; otherwise as the
    ///   DER readers.
    public init(pem: String) throws(CryptoError) {
        for block in try PEM.decode(pem) {
            switch block.label {
            case "PRIVATE KEY": self = try PrivateKey(pkcs8: block.der); return
            case "EC PRIVATE KEY": self = try PrivateKey.sec1(block.der, curve: nil); return
            case "RSA PRIVATE KEY": self = try PrivateKey.pkcs1(block.der); return
            case "ENCRYPTED PRIVATE KEY": throw .unsupportedKey
            default: continue
            }
        }
        throw .malformedEncoding(what: "PEM (no private key block)")
    }

    /// Reads DER PKCS #8.
    /// - Throws: ``CryptoError/malformedEncoding(what:)``, ``CryptoError/unsupportedKey``,
    ///   ``CryptoError/invalidKeyLength(_:)`` (a key out of range or inconsistent),
    ///   ``CryptoError/invalidPublicKey`` (an embedded public key that does not match).
    public init(pkcs8 der: [UInt8]) throws(CryptoError) {
        var outer = DERReader(der, context: "PKCS #8 PrivateKeyInfo")
        var info = try outer.sequence()
        try outer.finish()
        guard (0...1).contains(try info.smallInteger()) else { throw .malformedEncoding(what: info.context) }
        var algorithm = try info.sequence()
        let identifier = try algorithm.read(.objectIdentifier)
        let privateKey = try info.read(.octetString)
        // [0] attributes and [1] public key (RFC 5958) may follow; the key itself says it all.
        if info.nextTag == 0xA0 { _ = try info.read(0xA0) }
        if info.nextTag == 0x81 { _ = try info.read(0x81) }
        try info.finish()
        switch identifier {
        case ObjectIdentifier.rsaEncryption:
            if !algorithm.isAtEnd { try algorithm.null() }
            try algorithm.finish()
            self = try PrivateKey.pkcs1(privateKey)
        case ObjectIdentifier.ecPublicKey:
            guard let curve = NISTCurve(objectIdentifier: try algorithm.read(.objectIdentifier)) else { throw .unsupportedKey }
            try algorithm.finish()
            self = try PrivateKey.sec1(privateKey, curve: curve)
        case ObjectIdentifier.x25519:
            try algorithm.finish()
            var reader = DERReader(privateKey, context: "CurvePrivateKey")
            let scalar = try reader.read(.octetString)
            try reader.finish()
            guard scalar.count == X25519.keyLength else { throw .invalidKeyLength(scalar.count) }
            self = .x25519(scalar)
        default:
            throw .unsupportedKey
        }
    }

    /// Reads a DER SEC 1 ECPrivateKey. The curve comes from its parameters or, inside PKCS #8,
    /// from `curve`; when both are there they must agree, and an embedded public key must be
    /// the private key's.
    public static func sec1(_ der: [UInt8], curve: NISTCurve?) throws(CryptoError) -> PrivateKey {
        var outer = DERReader(der, context: "SEC 1 ECPrivateKey")
        var key = try outer.sequence()
        try outer.finish()
        guard try key.smallInteger() == 1 else { throw .malformedEncoding(what: key.context) }
        let scalar = try key.read(.octetString)
        var named = curve
        if var parameters = try key.optional(0xA0) {
            guard let stated = NISTCurve(objectIdentifier: try parameters.read(.objectIdentifier)) else { throw .unsupportedKey }
            try parameters.finish()
            guard named == nil || named == stated else { throw .malformedEncoding(what: key.context) }
            named = stated
        }
        var embeddedPublicKey: [UInt8]?
        if var publicKey = try key.optional(0xA1) {
            embeddedPublicKey = try publicKey.bitStringBytes()
            try publicKey.finish()
        }
        try key.finish()
        guard let named else { throw .malformedEncoding(what: key.context + " (no curve)") }
        // RFC 5915 section 3: the octet string is the scalar at the curve's length; shorter ones
        // (leading zeros dropped by some encoders) are widened.
        guard scalar.count <= named.scalarLength else { throw .invalidKeyLength(scalar.count) }
        let padded = [UInt8](repeating: 0, count: named.scalarLength - scalar.count) + scalar
        let publicKey = try ECDH.publicKey(privateKey: padded, curve: named)
        if let embeddedPublicKey, embeddedPublicKey != publicKey { throw .invalidPublicKey }
        return .ec(named, padded)
    }

    /// Reads a DER PKCS #1 RSAPrivateKey (two primes; multi-prime keys are refused).
    public static func pkcs1(_ der: [UInt8]) throws(CryptoError) -> PrivateKey {
        var outer = DERReader(der, context: "PKCS #1 RSAPrivateKey")
        var key = try outer.sequence()
        try outer.finish()
        guard try key.smallInteger() == 0 else { throw .unsupportedKey }
        var fields: [[UInt8]] = []
        for _ in 0..<8 { fields.append(try key.unsignedInteger()) }
        try key.finish()
        let publicKey = try RSAPublicKey(modulus: fields[0], exponent: fields[1])
        return .rsa(try RSAPrivateKey(publicKey: publicKey, p: fields[3], q: fields[4], dp: fields[5], dq: fields[6], qInverse: fields[7]))
    }

    /// The key's public half.
    public func publicKey() throws(CryptoError) -> PublicKey {
        switch self {
        case let .rsa(key): .rsa(key.publicKey)
        case let .ec(curve, scalar): .ec(curve, try ECDH.publicKey(privateKey: scalar, curve: curve))
        case let .x25519(scalar): .x25519(try X25519.publicKey(privateKey: scalar))
        }
    }

    /// The DER PKCS #8 PrivateKeyInfo (version 0). EC keys carry their public key inside.
    public func pkcs8() throws(CryptoError) -> [UInt8] {
        let algorithm: [UInt8], inner: [UInt8]
        switch self {
        case .rsa:
            algorithm = DER.sequence([DER.objectIdentifier(ObjectIdentifier.rsaEncryption), DER.null])
            inner = try traditional().der
        case let .ec(curve, scalar):
            algorithm = DER.sequence([DER.objectIdentifier(ObjectIdentifier.ecPublicKey), DER.objectIdentifier(curve.objectIdentifier)])
            let point = try ECDH.publicKey(privateKey: scalar, curve: curve)
            inner = DER.sequence([DER.unsignedInteger([1]), DER.octetString(scalar), DER.element(0xA1, DER.bitString(point))])
        case let .x25519(scalar):
            algorithm = DER.sequence([DER.objectIdentifier(ObjectIdentifier.x25519)])
            inner = DER.octetString(scalar)
        }
        return DER.sequence([DER.unsignedInteger([0]), algorithm, DER.octetString(inner)])
    }

    /// The DER SEC 1 ECPrivateKey of an EC key (RFC 5915: version 1, the scalar, the curve and the
    /// public key), or the DER PKCS #1 RSAPrivateKey of an RSA key (RFC 8017 appendix A.1.2), as
    /// OpenSSL's "traditional" files hold them.
    /// - Throws: ``CryptoError/unsupportedKey`` for an X25519 key, which has neither form.
    public func traditional() throws(CryptoError) -> (der: [UInt8], label: String) {
        switch self {
        case let .rsa(key):
            return (DER.sequence([DER.unsignedInteger([0])] + (try key.components()).map(DER.unsignedInteger)), "RSA PRIVATE KEY")
        case let .ec(curve, scalar):
            let point = try ECDH.publicKey(privateKey: scalar, curve: curve)
            return (DER.sequence([DER.unsignedInteger([1]), DER.octetString(scalar), DER.element(0xA0, DER.objectIdentifier(curve.objectIdentifier)),
                                  DER.element(0xA1, DER.bitString(point))]), "EC PRIVATE KEY")
        case .x25519:
            throw .unsupportedKey
        }
    }

    /// The PEM text of ``traditional()``: `EC PRIVATE KEY` or `RSA PRIVATE KEY`.
    public func traditionalPEM() throws(CryptoError) -> String {
        let (der, label) = try traditional()
        return PEM.encode(der, label: label)
    }

    /// The PEM text of ``pkcs8()``, labelled `PRIVATE KEY`.
    public func pem() throws(CryptoError) -> String { PEM.encode(try pkcs8(), label: "PRIVATE KEY") }
}
