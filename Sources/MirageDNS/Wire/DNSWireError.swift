/// Why bytes could not be decoded as a DNS message (RFC 1035 section 4.1). Offsets count bytes
/// from the start of the message. A server answers a query that fails with any of these with
/// FORMERR when it can read the header, and drops it otherwise.
public enum DNSWireError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Fewer than the 12 bytes of a header.
    case truncatedHeader
    /// The message ends inside something: a name, a question, a record or its data.
    case truncated(offset: Int)
    /// A section's count asks for more entries than the rest of the message could hold (a
    /// question takes at least 5 bytes, a record 11).
    case countTooLarge(DNSSection, count: Int)
    /// A label length byte of 0x40 to 0xBF: labels are at most 63 bytes, and the label types
    /// these bytes would start are obsolete or undefined (RFC 6891 section 5).
    case labelTooLong(lengthByte: UInt8, offset: Int)
    /// A name longer than 255 bytes once decompressed (RFC 1035 section 2.3.4).
    case nameTooLong(offset: Int)
    /// A compression pointer to the end of the message or beyond.
    case pointerOutOfBounds(offset: Int, target: Int)
    /// A compression pointer that does not point before the bytes of the name read so far: to
    /// itself, forward, or back into the part it came from, which would loop (RFC 1035 section
    /// 4.1.4 allows pointers only to prior occurrences).
    case pointerNotBackward(offset: Int, target: Int)
    /// More compression pointers in one name than a name of 255 bytes can need.
    case tooManyPointers(offset: Int)
    /// A compression pointer where none may be: in RDATA decoded outside a message.
    case compressionNotAllowed(offset: Int)
    /// RDATA that does not match its type: the wrong length for an address, a CAA tag of length
    /// zero, names or strings that end before or after RDLENGTH.
    case badRecordData(DNSRecordType, offset: Int)
    /// An OPT record outside the additional section, a second one (RFC 6891 section 6.1.1),
    /// one whose owner is not the root, or options that overrun its RDATA.
    case badOPT(offset: Int)
    /// Bytes after the last record that the counts announce. The decoder refuses them unless
    /// asked not to, as most servers do: a message is exactly its sections.
    case trailingBytes(count: Int)

    public var description: String {
        switch self {
        case .truncatedHeader:
            "the message is shorter than a header (12 bytes)"
        case let .truncated(offset):
            "the message ends early (at offset \(offset))"
        case let .countTooLarge(section, count):
            "the \(section.description) count \(count) is more than the message can hold"
        case let .labelTooLong(byte, offset):
            "label length byte \(byte) at offset \(offset): labels are at most 63 bytes"
        case let .nameTooLong(offset):
            "the name at offset \(offset) is longer than 255 bytes"
        case let .pointerOutOfBounds(offset, target):
            "the compression pointer at offset \(offset) points outside the message (to \(target))"
        case let .pointerNotBackward(offset, target):
            "the compression pointer at offset \(offset) points to \(target), not back to an earlier name: a loop or a forward pointer"
        case let .tooManyPointers(offset):
            "too many compression pointers in the name at offset \(offset)"
        case let .compressionNotAllowed(offset):
            "a compression pointer at offset \(offset) where none may be"
        case let .badRecordData(type, offset):
            "malformed \(type.description) record data at offset \(offset)"
        case let .badOPT(offset):
            "a misplaced, repeated or malformed OPT record at offset \(offset)"
        case let .trailingBytes(count):
            "\(count) bytes after the last record"
        }
    }
}
