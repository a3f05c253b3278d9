import MirageCore

/// ICMP's side of a stack (RFC 792; RFC 1122 section 3.2.2) as a pure core: it answers echo
/// requests, reads "fragmentation needed" for path MTU discovery (RFC 1191), and builds the error
/// messages the stack sends, rate-limited by a token bucket (RFC 1812 section 4.3.2.8). Time comes
/// in with each error; it reads no clock.
public struct ICMPv4Responder {
    /// What a received message asks of the stack.
    public enum Reaction: Equatable {
        /// Send `reply`, an echo reply made from the request in place, back to its source.
        case reply(PacketBuffer)
        /// A router could not forward the `quoted` packet without fragmenting it: its next hop
        /// takes at most `nextHopMTU` octets (RFC 1191 section 4; 0 when the router did not say).
        /// The stack decides whether to believe it (RFC 5927).
        case fragmentationNeeded(quoted: ICMPv4QuotedPacket, nextHopMTU: Int)
        /// Nothing to do: a message this stack notes no further, or an echo request to a
        /// broadcast address.
        case none
        /// The message did not parse or its checksum is wrong; it is dropped.
        case invalid(WireError)
    }

    /// How many errors may leave in a burst.
    public let errorBurst: Int
    /// How fast the bucket refills, in errors per second.
    public let errorsPerSecond: Int
    private var bucket: TokenBucket

    /// The largest error message: it quotes as much of the offending packet as fits in 576
    /// octets of IP packet (RFC 1812 section 4.3.2.3).
    static let largestError = 576 - IPv4Header.minimumLength

    /// A responder whose bucket starts full at `now`.
    public init(errorBurst: Int, errorsPerSecond: Int, now: Instant) {
        self.errorBurst = errorBurst
        self.errorsPerSecond = errorsPerSecond
        bucket = TokenBucket(burst: errorBurst, perSecond: errorsPerSecond, now: now)
    }

    /// Takes a received message.
    /// - Parameters:
    ///   - payload: the IP payload, the whole ICMP message.
    ///   - isBroadcast: whether it came to a broadcast address: echo requests to one are ignored,
    ///     as RFC 1122 section 3.2.2.6 allows and Linux does.
    /// - Returns: what to do about it.
    public func receive(_ payload: PacketBuffer, isBroadcast: Bool) -> Reaction {
        let icmp: ICMPv4Header
        do {
            icmp = try payload.withUnsafeBytes { (bytes) throws(WireError) in try ICMPv4Header.parse(bytes) }
        } catch {
            return .invalid(error)
        }
        switch icmp.message {
        case let .echoRequest(identifier, sequence):
            guard !isBroadcast else { return .none }
            var reply = payload
            reply.withUnsafeMutableBytes { ICMPv4Header(.echoReply(identifier: identifier, sequence: sequence)).emit(into: $0) }
            return .reply(reply)
        case let .destinationUnreachable(code, nextHopMTU) where code == ICMPv4Header.UnreachableCode.fragmentationNeeded:
            // The quoted packet names the destination whose path MTU shrank and the sender.
            let quoted = payload.withUnsafeBytes { bytes in
                ICMPv4QuotedPacket(UnsafeRawBufferPointer(rebasing: bytes[Swift.min(ICMPv4Header.headerLength, bytes.count)...]))
            }
            guard let quoted else { return .none }
            return .fragmentationNeeded(quoted: quoted, nextHopMTU: Int(nextHopMTU))
        default:
            return .none
        }
    }

    /// The error `message` about `packet` (the whole offending IP packet, of which as much is
    /// quoted as fits in 576 octets), when the token bucket allows one now.
    /// - Returns: the ICMP message, with room in front for the IPv4 and Ethernet headers; nil when
    ///   rate-limited.
    public mutating func error(_ message: ICMPv4Header.Message, about packet: PacketBuffer, now: Instant) -> PacketBuffer? {
        guard bucket.take(now: now) else { return nil }
        let quoted = Swift.min(packet.count, Self.largestError - ICMPv4Header.headerLength)
        var buffer = PacketBuffer(capacity: 64 + ICMPv4Header.headerLength + quoted, headroom: 64)
        buffer.appendZeros(ICMPv4Header.headerLength)
        buffer.append(contentsOf: packet.slice(0..<quoted).bytes)
        buffer.withUnsafeMutableBytes { ICMPv4Header(message).emit(into: $0) }
        return buffer
    }
}
