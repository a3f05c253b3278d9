/// A TCP timestamps option (RFC 7323 section 3): the sender's clock and the echo of the peer's.
public struct TCPTimestamps: Hashable, Sendable {
    public var value: UInt32
    public var echoReply: UInt32
    public init(value: UInt32, echoReply: UInt32) {
        self.value = value
        self.echoReply = echoReply
    }
}
