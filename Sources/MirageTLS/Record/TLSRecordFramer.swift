/// Cuts the byte stream from the peer into records (RFC 8446 section 5.1), however the stream
/// was split. It holds at most one incomplete record plus the bytes of the last ``append(_:)``:
/// the engine takes every whole record after each append, and a header announcing more than
/// ``maximumFragment`` bytes is refused as soon as its five bytes are in, before any of the
/// fragment is kept.
public struct TLSRecordFramer {
    /// The largest fragment accepted: ``TLSRecord/maximumPlaintext`` until records are
    /// protected, then the protected limit of the version (plus the peer's record size limit,
    /// RFC 8449, when one was agreed).
    public var maximumFragment: Int

    private var buffer: [UInt8] = []
    /// Where the unread bytes of ``buffer`` start.
    private var start = 0

    public init(maximumFragment: Int = TLSRecord.maximumPlaintext) {
        self.maximumFragment = maximumFragment
    }

    /// Bytes received and not yet returned in a record.
    public var bufferedCount: Int { buffer.count - start }

    /// Adds bytes from the peer.
    public mutating func append(_ bytes: [UInt8]) {
        if start > 0, start >= buffer.count / 2 {
            buffer.removeFirst(start)
            start = 0
        }
        buffer += bytes
    }

    /// The next whole record, or nil until more bytes arrive.
    /// - Throws: `unexpected_message` for an unknown content type, `protocol_version` for a
    ///   version that is not TLS's (major 3), `record_overflow` for a fragment over the limit.
    public mutating func next() throws(TLSError) -> TLSRecord? {
        guard bufferedCount >= TLSRecord.headerLength else { return nil }
        guard let type = TLSContentType(rawValue: buffer[start]) else {
            throw TLSError(.unexpectedMessage, "a record of content type \(buffer[start])")
        }
        let version = UInt16(buffer[start + 1]) << 8 | UInt16(buffer[start + 2])
        guard version >> 8 == 3 else { throw TLSError(.protocolVersion, "record version \(version)") }
        let length = Int(buffer[start + 3]) << 8 | Int(buffer[start + 4])
        guard length <= maximumFragment else {
            throw TLSError(.recordOverflow, "a record of \(length) bytes where \(maximumFragment) are allowed")
        }
        guard bufferedCount >= TLSRecord.headerLength + length else { return nil }
        let fragmentStart = start + TLSRecord.headerLength
        let fragment = Array(buffer[fragmentStart..<fragmentStart + length])
        start = fragmentStart + length
        if start == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            start = 0
        }
        return TLSRecord(type: type, version: version, fragment: fragment)
    }
}
