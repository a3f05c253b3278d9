/// The object identifiers of keys and curves this library reads and writes, as DER contents
/// (X.690 section 8.19).
enum ObjectIdentifier {
    /// rsaEncryption, 1.2.840.113549.1.1.1 (RFC 8017 appendix A.1).
    static let rsaEncryption: [UInt8] = [0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01]
    /// id-ecPublicKey, 1.2.840.10045.2.1 (RFC 5480 section 2.1.1).
    static let ecPublicKey: [UInt8] = [0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01]
    /// secp256r1 (prime256v1), 1.2.840.10045.3.1.7 (RFC 5480 section 2.1.1.1).
    static let secp256r1: [UInt8] = [0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07]
    /// secp384r1, 1.3.132.0.34.
    static let secp384r1: [UInt8] = [0x2B, 0x81, 0x04, 0x00, 0x22]
    /// id-X25519, 1.3.101.110 (RFC 8410 section 3).
    static let x25519: [UInt8] = [0x2B, 0x65, 0x6E]
}

extension NISTCurve {
    /// The curve's named-curve identifier.
    var objectIdentifier: [UInt8] {
        switch self {
        case .p256: ObjectIdentifier.secp256r1
        case .p384: ObjectIdentifier.secp384r1
        }
    }

    /// The curve a named-curve identifier names, or nil.
    init?(objectIdentifier: [UInt8]) {
        switch objectIdentifier {
        case ObjectIdentifier.secp256r1: self = .p256
        case ObjectIdentifier.secp384r1: self = .p384
        default: return nil
        }
    }
}
