/// Joins handshake records into handshake messages (RFC 8446 section 4, 5.1): a message may span
/// records and a record may hold several. Messages larger than ``maximumMessage`` are refused
/// from their four-byte header, before their body is kept, so a peer cannot make the engine
/// buffer more than one message of that size.
public struct TLSHandshakeFramer {
    /// The largest message accepted. Certificate chains are the largest messages; 64 KiB holds
    /// a chain of several RSA-4096 certificates.
    public var maximumMessage: Int
    private var buffer: [UInt8] = []

    /// The default limit on one handshake message.
    public static let defaultMaximumMessage = 1 << 16

    public init(maximumMessage: Int = defaultMaximumMessage) {
        self.maximumMessage = maximumMessage
    }

    /// Whether part of a message is waiting for the rest: TLS 1.3 forbids a message to span a
    /// change of keys (RFC 8446 section 5.1), which the engine checks with this.
    public var hasPartialMessage: Bool { !buffer.isEmpty }

    /// Adds a handshake record's content.
    /// - Throws: `unexpected_message` for an empty handshake record (RFC 8446 section 5.1).
    public mutating func append(_ fragment: [UInt8]) throws(TLSError) {
        guard !fragment.isEmpty else { throw TLSError(.unexpectedMessage, "an empty handshake record") }
        buffer += fragment
    }

    /// The next whole message, header included, or nil until more records arrive.
    /// - Throws: `decode_error` for a message longer than ``maximumMessage``.
    public mutating func next() throws(TLSError) -> TLSHandshakeMessage? {
        guard buffer.count >= 4 else { return nil }
        let length = Int(buffer[1]) << 16 | Int(buffer[2]) << 8 | Int(buffer[3])
        guard length <= maximumMessage else {
            throw .decode("a handshake message of \(length) bytes where \(maximumMessage) are allowed")
        }
        guard buffer.count >= 4 + length else { return nil }
        let message = TLSHandshakeMessage(bytes: Array(buffer[..<(4 + length)]))
        buffer.removeFirst(4 + length)
        return message
    }
}

/// One handshake message as received or sent: its header (type, 24-bit length) and body. The
/// whole bytes go into the transcript.
public struct TLSHandshakeMessage: Equatable, Sendable {
    /// The message, header included.
    public let bytes: [UInt8]

    init(bytes: [UInt8]) {
        precondition(bytes.count >= 4, "a handshake message has a four-byte header")
        self.bytes = bytes
    }

    /// A message of `type` around `body`.
    public init(type: TLSHandshakeType, body: [UInt8]) {
        var writer = TLSWireWriter(reservingCapacity: body.count + 4)
        writer.append(type.rawValue)
        writer.appendUInt24(body.count)
        writer.append(body)
        bytes = writer.bytes
    }

    public var type: TLSHandshakeType { TLSHandshakeType(rawValue: bytes[0]) }
    public var body: [UInt8] { Array(bytes[4...]) }

    /// A reader over the body.
    var bodyReader: TLSWireReader { TLSWireReader(bytes, from: 4, to: bytes.count) }
}
