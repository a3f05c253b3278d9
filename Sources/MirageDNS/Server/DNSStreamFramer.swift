/// Splits a TCP byte stream into DNS messages (RFC 1035 section 4.2.2; RFC 7766 section 8):
/// each message comes after its length as two bytes, most significant first.
///
/// Pure: bytes go in as they arrive, in pieces of any size, and whole messages come out in the
/// order they were sent, so pipelined queries are answered in order. At most one message and
/// its length (65537 bytes) is held, as the framing allows no more.
public struct DNSStreamFramer: Sendable {
    /// The bytes received and not yet taken, from ``start``.
    private var buffer: [UInt8] = []
    private var start = 0

    public init() {}

    /// Adds bytes received from the stream.
    public mutating func append(_ bytes: some Collection<UInt8>) {
        if start > 0, start == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            start = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// The next whole message without its length, or nil until all its bytes have arrived.
    public mutating func nextMessage() -> [UInt8]? {
        guard buffer.count - start >= 2 else { return nil }
        let length = Int(buffer[start]) << 8 | Int(buffer[start + 1])
        guard buffer.count - start - 2 >= length else { return nil }
        let message = Array(buffer[(start + 2)..<(start + 2 + length)])
        start += 2 + length
        if start == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            start = 0
        } else if start > 65536 {
            buffer.removeFirst(start)
            start = 0
        }
        return message
    }

    /// Whether part of a message (or of its length) has arrived and the rest has not.
    public var isInsideMessage: Bool { buffer.count > start }

    /// `message` after its length, as it goes on the stream.
    /// - Precondition: the message is at most 65535 bytes.
    public static func frame(_ message: [UInt8]) -> [UInt8] {
        precondition(message.count <= 65535, "a DNS message over TCP is at most 65535 bytes")
        return [UInt8(message.count >> 8), UInt8(message.count & 0xff)] + message
    }
}
