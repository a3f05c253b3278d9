/// One record as it travels (RFC 8446 section 5.1): a content type, the legacy version field
/// and a fragment, plaintext or protected.
public struct TLSRecord: Equatable, Sendable {
    public let type: TLSContentType
    /// `legacy_record_version`: 0x0303, or 0x0301 in a first ClientHello; otherwise ignored.
    public let version: UInt16
    public let fragment: [UInt8]

    /// Bytes of the header: type, version, length.
    public static let headerLength = 5
    /// The largest plaintext fragment, 2^14 bytes (RFC 8446 section 5.1).
    public static let maximumPlaintext = 1 << 14
    /// The largest protected fragment of TLS 1.3: 2^14 + 256 (RFC 8446 section 5.2).
    public static let maximumProtected13 = (1 << 14) + 256
    /// The largest protected fragment of TLS 1.2: 2^14 + 2048 (RFC 5246 section 6.2.3).
    public static let maximumProtected12 = (1 << 14) + 2048

    public init(type: TLSContentType, version: UInt16 = 0x0303, fragment: [UInt8]) {
        self.type = type
        self.version = version
        self.fragment = fragment
    }

    /// The record's bytes: header and fragment.
    public var bytes: [UInt8] {
        Self.header(type: type, version: version, length: fragment.count) + fragment
    }

    static func header(type: TLSContentType, version: UInt16 = 0x0303, length: Int) -> [UInt8] {
        [type.rawValue, UInt8(version >> 8), UInt8(version & 0xFF), UInt8(length >> 8), UInt8(length & 0xFF)]
    }
}
