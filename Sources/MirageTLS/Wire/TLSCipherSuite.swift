import MirageCrypto

/// A cipher suite (RFC 8446 section B.4; RFC 5289 and RFC 7905 for TLS 1.2). A struct over the
/// code point, so that the suites a client offers and we do not know still read.
public struct TLSCipherSuite: RawRepresentable, Hashable, Sendable {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    // TLS 1.3 (RFC 8446 section B.4).
    public static let aes128GCMSHA256 = Self(rawValue: 0x1301)
    public static let aes256GCMSHA384 = Self(rawValue: 0x1302)
    public static let chacha20Poly1305SHA256 = Self(rawValue: 0x1303)
    // TLS 1.2: ECDHE with AEADs only (RFC 5289, RFC 7905).
    public static let ecdheECDSAWithAES128GCMSHA256 = Self(rawValue: 0xC02B)
    public static let ecdheECDSAWithAES256GCMSHA384 = Self(rawValue: 0xC02C)
    public static let ecdheRSAWithAES128GCMSHA256 = Self(rawValue: 0xC02F)
    public static let ecdheRSAWithAES256GCMSHA384 = Self(rawValue: 0xC030)
    public static let ecdheRSAWithChaCha20Poly1305SHA256 = Self(rawValue: 0xCCA8)
    public static let ecdheECDSAWithChaCha20Poly1305SHA256 = Self(rawValue: 0xCCA9)
    /// Signalling values, never chosen: a client's "I support secure renegotiation" (RFC 5746
    /// section 3.3) and "this is a fallback" (RFC 7507).
    public static let emptyRenegotiationInfoSCSV = Self(rawValue: 0x00FF)
    public static let fallbackSCSV = Self(rawValue: 0x5600)

    /// The suites this engine offers, in its order of preference for each version.
    public static let tls13Suites: [TLSCipherSuite] = [.aes128GCMSHA256, .chacha20Poly1305SHA256, .aes256GCMSHA384]
    public static let tls12Suites: [TLSCipherSuite] = [
        .ecdheECDSAWithAES128GCMSHA256, .ecdheECDSAWithChaCha20Poly1305SHA256, .ecdheECDSAWithAES256GCMSHA384,
        .ecdheRSAWithAES128GCMSHA256, .ecdheRSAWithChaCha20Poly1305SHA256, .ecdheRSAWithAES256GCMSHA384,
    ]

    /// What a suite this engine supports is made of; nil for any other.
    public var parameters: TLSCipherSuiteParameters? {
        switch self {
        case .aes128GCMSHA256: .init(version: .tls13, cipher: .aes128GCM, hash: .sha256, authentication: nil)
        case .aes256GCMSHA384: .init(version: .tls13, cipher: .aes256GCM, hash: .sha384, authentication: nil)
        case .chacha20Poly1305SHA256: .init(version: .tls13, cipher: .chacha20Poly1305, hash: .sha256, authentication: nil)
        case .ecdheECDSAWithAES128GCMSHA256: .init(version: .tls12, cipher: .aes128GCM, hash: .sha256, authentication: .ecdsa)
        case .ecdheECDSAWithAES256GCMSHA384: .init(version: .tls12, cipher: .aes256GCM, hash: .sha384, authentication: .ecdsa)
        case .ecdheRSAWithAES128GCMSHA256: .init(version: .tls12, cipher: .aes128GCM, hash: .sha256, authentication: .rsa)
        case .ecdheRSAWithAES256GCMSHA384: .init(version: .tls12, cipher: .aes256GCM, hash: .sha384, authentication: .rsa)
        case .ecdheRSAWithChaCha20Poly1305SHA256: .init(version: .tls12, cipher: .chacha20Poly1305, hash: .sha256, authentication: .rsa)
        case .ecdheECDSAWithChaCha20Poly1305SHA256: .init(version: .tls12, cipher: .chacha20Poly1305, hash: .sha256, authentication: .ecdsa)
        default: nil
        }
    }
}

/// The parts of a supported cipher suite.
public struct TLSCipherSuiteParameters: Equatable, Sendable {
    /// The one version the suite belongs to: TLS 1.3 suites name no key exchange, TLS 1.2 ones do.
    public let version: TLSProtocolVersion
    public let cipher: TLSRecordCipher
    /// The hash of the key schedule (HKDF in TLS 1.3, the PRF in TLS 1.2) and the transcript.
    public let hash: HashAlgorithm
    /// The certificate's key kind a TLS 1.2 suite requires; nil for TLS 1.3 suites.
    public let authentication: TLSCertificateKind?
}

/// The AEAD protecting records.
public enum TLSRecordCipher: Sendable {
    case aes128GCM, aes256GCM, chacha20Poly1305

    public var keyLength: Int {
        switch self {
        case .aes128GCM: 16
        case .aes256GCM, .chacha20Poly1305: 32
        }
    }

    /// The per-direction IV of TLS 1.3 (RFC 8446 section 5.3): the AEAD's nonce length.
    public static let ivLength = 12
    public static let tagLength = 16

    /// A keyed instance.
    func makeAEAD(key: [UInt8]) throws(TLSError) -> any AEAD {
        do {
            switch self {
            case .aes128GCM, .aes256GCM: return try AESGCM(key: key)
            case .chacha20Poly1305: return try ChaChaPoly(key: key)
            }
        } catch {
            throw TLSError(.internalError, "a record key of \(key.count) bytes")
        }
    }
}

/// The kind of key a certificate holds, which TLS 1.2 suites name.
public enum TLSCertificateKind: Sendable {
    case ecdsa, rsa
}
