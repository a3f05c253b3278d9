/// A key-exchange group (RFC 8446 section 4.2.7; RFC 8422 for TLS 1.2's ECDHE).
public struct TLSNamedGroup: RawRepresentable, Hashable, Sendable {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let secp256r1 = Self(rawValue: 0x0017)
    public static let secp384r1 = Self(rawValue: 0x0018)
    public static let secp521r1 = Self(rawValue: 0x0019)
    public static let x25519 = Self(rawValue: 0x001D)
    public static let x448 = Self(rawValue: 0x001E)

    /// The groups this engine offers, in its order of preference.
    public static let supported: [TLSNamedGroup] = [.x25519, .secp256r1, .secp384r1]

    /// Bytes of a key share (RFC 8446 section 4.2.8.2): 32 for X25519, an uncompressed point
    /// (0x04, x, y) for the NIST curves; nil for a group this engine does not support.
    public var keyShareLength: Int? {
        switch self {
        case .x25519: 32
        case .secp256r1: 65
        case .secp384r1: 97
        default: nil
        }
    }
}

/// A signature algorithm (RFC 8446 section 4.2.3): what signs CertificateVerify and TLS 1.2's
/// ServerKeyExchange, and what may have signed a certificate.
public struct TLSSignatureScheme: RawRepresentable, Hashable, Sendable {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let rsaPKCS1SHA256 = Self(rawValue: 0x0401)
    public static let rsaPKCS1SHA384 = Self(rawValue: 0x0501)
    public static let rsaPKCS1SHA512 = Self(rawValue: 0x0601)
    public static let ecdsaSecp256r1SHA256 = Self(rawValue: 0x0403)
    public static let ecdsaSecp384r1SHA384 = Self(rawValue: 0x0503)
    public static let ecdsaSecp521r1SHA512 = Self(rawValue: 0x0603)
    public static let rsaPSSRSAESHA256 = Self(rawValue: 0x0804)
    public static let rsaPSSRSAESHA384 = Self(rawValue: 0x0805)
    public static let rsaPSSRSAESHA512 = Self(rawValue: 0x0806)
    public static let ed25519 = Self(rawValue: 0x0807)
    public static let rsaPSSPSSSHA256 = Self(rawValue: 0x0809)
    public static let rsaPKCS1SHA1 = Self(rawValue: 0x0201)
    public static let ecdsaSHA1 = Self(rawValue: 0x0203)

    /// The schemes this engine signs handshakes with and accepts in them (TLS 1.3 forbids
    /// PKCS #1 v1.5 there, section 4.2.3; TLS 1.2 allows it).
    public static let handshakeSchemes: [TLSSignatureScheme] = [
        .ecdsaSecp256r1SHA256, .ecdsaSecp384r1SHA384, .rsaPSSRSAESHA256, .rsaPSSRSAESHA384, .rsaPSSRSAESHA512,
    ]
    /// The schemes accepted in certificates: the handshake's and PKCS #1 v1.5.
    public static let certificateSchemes: [TLSSignatureScheme] = handshakeSchemes + [.rsaPKCS1SHA256, .rsaPKCS1SHA384, .rsaPKCS1SHA512]
    /// The schemes accepted in a TLS 1.2 client's CertificateVerify (RFC 5246 section 7.4.8):
    /// TLS 1.3's and PKCS #1 v1.5, which TLS 1.2 allows.
    public static let tls12HandshakeSchemes: [TLSSignatureScheme] = certificateSchemes
}
