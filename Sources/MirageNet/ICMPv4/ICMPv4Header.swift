/// An ICMPv4 message header (RFC 792): type, code, checksum and the four type-specific bytes; the
/// message's data follows at offset 8.
public struct ICMPv4Header: Hashable, Sendable {
    /// The kinds of message this stack reads and writes; others keep their type and code.
    public enum Message: Hashable, Sendable {
        case echoReply(identifier: UInt16, sequence: UInt16)
        /// `code`: 0 net, 1 host, 2 protocol, 3 port unreachable, 4 fragmentation needed and DF set,
        /// when `nextHopMTU` is the MTU the router could forward (RFC 1191 section 4).
        case destinationUnreachable(code: UInt8, nextHopMTU: UInt16)
        case echoRequest(identifier: UInt16, sequence: UInt16)
        case timeExceeded(code: UInt8)
        case other(type: UInt8, code: UInt8, rest: UInt32)
    }

    /// The codes of destination unreachable this stack sends or reads (RFC 792; RFC 1191 section 4).
    public enum UnreachableCode {
        public static let `protocol`: UInt8 = 2
        public static let port: UInt8 = 3
        /// Fragmentation needed and DF set.
        public static let fragmentationNeeded: UInt8 = 4
    }

    public var message: Message

    public static let headerLength = 8

    /// Byte offsets of the header's fields (RFC 792): type, code and checksum, then four bytes
    /// whose meaning depends on the type, read as two 16-bit halves (echo: identifier and sequence
    /// number; destination unreachable: unused and the next-hop MTU of RFC 1191 section 4).
    enum Field {
        static let type = 0
        static let code = 1
        static let checksum = 2
        static let first = 4
        static let second = 6
    }

    public init(_ message: Message) { self.message = message }

    /// Reads the message `bytes` (the whole IP payload) and checks its checksum.
    /// - Throws: ``WireError/truncated(needed:available:)``, ``WireError/badChecksum``.
    public static func parse(_ bytes: UnsafeRawBufferPointer) throws(WireError) -> ICMPv4Header {
        guard bytes.count >= headerLength else { throw .truncated(needed: headerLength, available: bytes.count) }
        guard InternetChecksum.of(bytes) == 0 else { throw .badChecksum }
        let type = bytes[Field.type], code = bytes[Field.code]
        let first = bytes.bigEndian(UInt16.self, at: Field.first), second = bytes.bigEndian(UInt16.self, at: Field.second)
        switch (type, code) {
        case (0, 0): return ICMPv4Header(.echoReply(identifier: first, sequence: second))
        case (3, _): return ICMPv4Header(.destinationUnreachable(code: code, nextHopMTU: second))
        case (8, 0): return ICMPv4Header(.echoRequest(identifier: first, sequence: second))
        case (11, _): return ICMPv4Header(.timeExceeded(code: code))
        default: return ICMPv4Header(.other(type: type, code: code, rest: UInt32(first) << 16 | UInt32(second)))
        }
    }

    /// Writes the header at the start of `bytes` (the whole message, data already after the
    /// header) with the checksum over all of it.
    public func emit(into bytes: UnsafeMutableRawBufferPointer) {
        precondition(bytes.count >= Self.headerLength, "no room for the ICMP header")
        let (type, code, first, second): (UInt8, UInt8, UInt16, UInt16) = switch message {
        case let .echoReply(identifier, sequence): (0, 0, identifier, sequence)
        case let .destinationUnreachable(code, mtu): (3, code, 0, mtu)
        case let .echoRequest(identifier, sequence): (8, 0, identifier, sequence)
        case let .timeExceeded(code): (11, code, 0, 0)
        case let .other(type, code, rest): (type, code, UInt16(truncatingIfNeeded: rest >> 16), UInt16(truncatingIfNeeded: rest))
        }
        bytes[Field.type] = type
        bytes[Field.code] = code
        bytes.storeBigEndian(UInt16(0), at: Field.checksum)
        bytes.storeBigEndian(first, at: Field.first)
        bytes.storeBigEndian(second, at: Field.second)
        bytes.storeBigEndian(InternetChecksum.of(UnsafeRawBufferPointer(bytes)), at: Field.checksum)
    }
}
