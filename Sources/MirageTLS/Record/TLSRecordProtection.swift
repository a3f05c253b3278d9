/// One direction's record protection, of either version: TLS 1.3's (content type inside the
/// sealed record) or TLS 1.2's AEAD protection (content type outside, in the associated data).
public enum TLSRecordProtection {
    case tls13(TLS13RecordProtection)
    case tls12(TLS12RecordProtection)

    /// Seals `content` of `type` into a whole record appended to `output`.
    mutating func seal(_ content: ArraySlice<UInt8>, type: TLSContentType, appendingTo output: inout [UInt8]) throws(TLSError) {
        switch self {
        case var .tls13(protection):
            defer { self = .tls13(protection) }
            try protection.seal(content, type: type, appendingTo: &output)
        case var .tls12(protection):
            defer { self = .tls12(protection) }
            try protection.seal(content, type: type, appendingTo: &output)
        }
    }

    /// Bytes a record adds to its content at most: header, TLS 1.2's explicit nonce or TLS
    /// 1.3's content type, and the tag.
    static let overhead = TLSRecord.headerLength + 8 + TLSRecordCipher.tagLength

    /// Opens a protected record: its content and content type.
    /// - Throws: as the version's protection does; for TLS 1.3, `unexpected_message` for a
    ///   record whose outer type is not application_data (RFC 8446 section 5.1).
    mutating func open(_ record: TLSRecord) throws(TLSError) -> (type: TLSContentType, content: [UInt8]) {
        switch self {
        case var .tls13(protection):
            guard record.type == .applicationData else { throw TLSError(.unexpectedMessage, "an unprotected \(record.type) record after keys") }
            defer { self = .tls13(protection) }
            return try protection.open(record)
        case var .tls12(protection):
            defer { self = .tls12(protection) }
            return (record.type, try protection.open(record))
        }
    }
}
