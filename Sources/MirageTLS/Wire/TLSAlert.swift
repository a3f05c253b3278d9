/// An alert's level (RFC 8446 section 6; RFC 5246 section 7.2). TLS 1.3 ignores it and treats
/// every alert but `close_notify` and `user_canceled` as fatal.
public enum TLSAlertLevel: UInt8, Sendable {
    case warning = 1
    case fatal = 2
}

/// An alert's description (RFC 8446 section 6, RFC 5246 section 7.2, RFC 8446's registry). A
/// struct over the byte, so that a description this engine does not know still reads and logs.
public struct TLSAlertDescription: RawRepresentable, Hashable, Sendable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let closeNotify = Self(rawValue: 0)
    public static let unexpectedMessage = Self(rawValue: 10)
    public static let badRecordMAC = Self(rawValue: 20)
    public static let recordOverflow = Self(rawValue: 22)
    public static let handshakeFailure = Self(rawValue: 40)
    public static let badCertificate = Self(rawValue: 42)
    public static let unsupportedCertificate = Self(rawValue: 43)
    public static let certificateRevoked = Self(rawValue: 44)
    public static let certificateExpired = Self(rawValue: 45)
    public static let certificateUnknown = Self(rawValue: 46)
    public static let illegalParameter = Self(rawValue: 47)
    public static let unknownCA = Self(rawValue: 48)
    public static let accessDenied = Self(rawValue: 49)
    public static let decodeError = Self(rawValue: 50)
    public static let decryptError = Self(rawValue: 51)
    public static let protocolVersion = Self(rawValue: 70)
    public static let insufficientSecurity = Self(rawValue: 71)
    public static let internalError = Self(rawValue: 80)
    public static let inappropriateFallback = Self(rawValue: 86)
    public static let userCanceled = Self(rawValue: 90)
    /// TLS 1.2 only (RFC 5246 section 7.2.2): a renegotiation refused.
    public static let noRenegotiation = Self(rawValue: 100)
    public static let missingExtension = Self(rawValue: 109)
    public static let unsupportedExtension = Self(rawValue: 110)
    public static let unrecognizedName = Self(rawValue: 112)
    public static let badCertificateStatusResponse = Self(rawValue: 113)
    public static let unknownPSKIdentity = Self(rawValue: 115)
    public static let certificateRequired = Self(rawValue: 116)
    public static let noApplicationProtocol = Self(rawValue: 120)

    /// The name RFC 8446 gives it, for logs: `handshake_failure`, or `alert 201` for one not known.
    public var name: String {
        switch rawValue {
        case 0: "close_notify"
        case 10: "unexpected_message"
        case 20: "bad_record_mac"
        case 22: "record_overflow"
        case 40: "handshake_failure"
        case 42: "bad_certificate"
        case 43: "unsupported_certificate"
        case 44: "certificate_revoked"
        case 45: "certificate_expired"
        case 46: "certificate_unknown"
        case 47: "illegal_parameter"
        case 48: "unknown_ca"
        case 49: "access_denied"
        case 50: "decode_error"
        case 51: "decrypt_error"
        case 70: "protocol_version"
        case 71: "insufficient_security"
        case 80: "internal_error"
        case 86: "inappropriate_fallback"
        case 90: "user_canceled"
        case 100: "no_renegotiation"
        case 109: "missing_extension"
        case 110: "unsupported_extension"
        case 112: "unrecognized_name"
        case 113: "bad_certificate_status_response"
        case 115: "unknown_psk_identity"
        case 116: "certificate_required"
        case 120: "no_application_protocol"
        default: "alert \(rawValue)"
        }
    }
}

/// An alert as it travels: a level and a description, two bytes (RFC 8446 section 6).
public struct TLSAlert: Equatable, Sendable {
    public let level: TLSAlertLevel
    public let description: TLSAlertDescription

    public init(level: TLSAlertLevel, description: TLSAlertDescription) {
        self.level = level
        self.description = description
    }

    /// The two bytes of the alert.
    public var bytes: [UInt8] { [level.rawValue, description.rawValue] }

    /// The alert in `bytes`, a whole alert record's content.
    /// - Throws: `decode_error` unless it is exactly two bytes with a known level.
    public init(bytes: [UInt8]) throws(TLSError) {
        guard bytes.count == 2 else { throw .decode("an alert of \(bytes.count) bytes") }
        guard let level = TLSAlertLevel(rawValue: bytes[0]) else { throw .decode("alert level \(bytes[0])") }
        self.init(level: level, description: TLSAlertDescription(rawValue: bytes[1]))
    }
}
