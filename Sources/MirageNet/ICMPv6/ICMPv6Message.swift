import MirageCore

/// An ICMPv6 message (RFC 4443) or neighbour discovery message (RFC 4861 section 4), its
/// checksum taken over the IPv6 pseudo-header (RFC 4443 section 2.3). What follows the fixed part
/// (echo data, the invoking packet of an error) is ``body``.
public struct ICMPv6Message: Hashable, Sendable {
    public enum Kind: Hashable, Sendable {
        /// Type 1: code 0 no route, 1 prohibited, 3 address unreachable, 4 port unreachable.
        case destinationUnreachable(code: UInt8)
        /// Type 2 (RFC 8201's input): the MTU of the next link.
        case packetTooBig(mtu: UInt32)
        /// Type 3: code 0 hop limit exceeded, 1 reassembly time exceeded.
        case timeExceeded(code: UInt8)
        /// Type 4: the code and the byte of the invoking packet at fault.
        case parameterProblem(code: UInt8, pointer: UInt32)
        case echoRequest(identifier: UInt16, sequence: UInt16)
        case echoReply(identifier: UInt16, sequence: UInt16)
        /// Type 133 (RFC 4861 section 4.1).
        case routerSolicitation([NDPOption])
        /// Type 134 (section 4.2).
        case routerAdvertisement(RouterAdvertisement)
        /// Type 135 (section 4.3).
        case neighborSolicitation(target: IPv6Address, options: [NDPOption])
        /// Type 136 (section 4.4).
        case neighborAdvertisement(NeighborAdvertisement)
        /// Type 137 (section 4.5): read so that it can be ignored knowingly (a host may ignore
        /// redirects; this one does).
        case redirect(target: IPv6Address, destination: IPv6Address)
        case other(type: UInt8, code: UInt8, rest: UInt32)
    }

    /// A router advertisement's fields (RFC 4861 section 4.2).
    public struct RouterAdvertisement: Hashable, Sendable {
        public var currentHopLimit: UInt8
        public var managed: Bool
        public var otherConfiguration: Bool
        /// The flag byte's other bits, kept as they came: the router preference of RFC 4191
        /// (0x18), home agent (0x20, RFC 6275) and proxy (0x04, RFC 4389).
        public var otherFlags: UInt8 = 0
        /// Seconds the router is a default router; 0: it is not one.
        public var routerLifetime: UInt16
        /// Milliseconds; 0: unspecified.
        public var reachableTime: UInt32
        public var retransmitTimer: UInt32
        public var options: [NDPOption]

        /// The Default Router Preference (RFC 4191 section 2.2): 1 high, 0 medium, -1 low; the
        /// reserved value 10 is taken as medium (section 2.2's "MUST be treated as 00").
        public var routerPreference: Int8 {
            switch (otherFlags >> 3) & 0b11 {
            case 0b01: 1
            case 0b11: -1
            default: 0
            }
        }

        public init(currentHopLimit: UInt8 = 64, managed: Bool = false, otherConfiguration: Bool = false, routerLifetime: UInt16,
                    reachableTime: UInt32 = 0, retransmitTimer: UInt32 = 0, options: [NDPOption] = []) {
            self.currentHopLimit = currentHopLimit
            self.managed = managed
            self.otherConfiguration = otherConfiguration
            self.routerLifetime = routerLifetime
            self.reachableTime = reachableTime
            self.retransmitTimer = retransmitTimer
            self.options = options
        }
    }

    /// A neighbour advertisement's fields (RFC 4861 section 4.4): the target, the R, S and O flags
    /// and the options.
    public struct NeighborAdvertisement: Hashable, Sendable {
        public var target: IPv6Address
        public var router: Bool
        public var solicited: Bool
        public var override: Bool
        public var options: [NDPOption]

        public init(target: IPv6Address, router: Bool, solicited: Bool, override: Bool, options: [NDPOption]) {
            self.target = target
            self.router = router
            self.solicited = solicited
            self.override = override
            self.options = options
        }
    }

    public var kind: Kind
    /// Echo data, or as much of the invoking packet as an error carries.
    public var body: [UInt8]

    public init(_ kind: Kind, body: [UInt8] = []) {
        self.kind = kind
        self.body = body
    }

    public static let headerLength = 8

    /// Reads the message `bytes` (the whole upper-layer payload) sent from `source` to
    /// `destination`, checksum checked.
    /// - Throws: ``WireError/badChecksum``; ``WireError/truncated(needed:available:)`` below a
    ///   message's fixed length; ``WireError/malformed(field:value:)`` for a neighbour discovery
    ///   message with a code other than 0 or a bad option (RFC 4861 sections 6.1 and 7.1 discard
    ///   them), or a multicast target in a neighbour solicitation or advertisement.
    public static func parse(_ bytes: UnsafeRawBufferPointer, source: IPv6Address, destination: IPv6Address) throws(WireError) -> ICMPv6Message {
        guard bytes.count >= headerLength else { throw .truncated(needed: headerLength, available: bytes.count) }
        var sum = IPv6Header.pseudoHeaderChecksum(source: source, destination: destination, protocol: .icmpv6, length: UInt32(bytes.count))
        sum.add(bytes)
        guard sum.checksum == 0 else { throw .badChecksum }
        let type = bytes[0], code = bytes[1]
        let rest = bytes.bigEndian(UInt32.self, at: 4)
        let first = UInt16(truncatingIfNeeded: rest >> 16), second = UInt16(truncatingIfNeeded: rest)
        func after(_ fixed: Int) throws(WireError) -> UnsafeRawBufferPointer {
            guard bytes.count >= fixed else { throw .truncated(needed: fixed, available: bytes.count) }
            return UnsafeRawBufferPointer(rebasing: bytes[fixed...])
        }
        if (133 ... 137).contains(type), code != 0 { throw .malformed(field: "NDP code", value: UInt32(code)) }
        switch type {
        case 1: return ICMPv6Message(.destinationUnreachable(code: code), body: Array(try after(8)))
        case 2: return ICMPv6Message(.packetTooBig(mtu: rest), body: Array(try after(8)))
        case 3: return ICMPv6Message(.timeExceeded(code: code), body: Array(try after(8)))
        case 4: return ICMPv6Message(.parameterProblem(code: code, pointer: rest), body: Array(try after(8)))
        case 128 where code == 0: return ICMPv6Message(.echoRequest(identifier: first, sequence: second), body: Array(try after(8)))
        case 129 where code == 0: return ICMPv6Message(.echoReply(identifier: first, sequence: second), body: Array(try after(8)))
        case 133:
            return ICMPv6Message(.routerSolicitation(try NDPOption.parse(try after(8))))
        case 134:
            let options = try NDPOption.parse(try after(16))
            let flags = bytes[5]
            var advertisement = RouterAdvertisement(
                currentHopLimit: bytes[4], managed: flags & 0x80 != 0, otherConfiguration: flags & 0x40 != 0,
                routerLifetime: second, reachableTime: bytes.bigEndian(UInt32.self, at: 8),
                retransmitTimer: bytes.bigEndian(UInt32.self, at: 12), options: options)
            advertisement.otherFlags = flags & 0x3F
            return ICMPv6Message(.routerAdvertisement(advertisement))
        case 135, 136:
            let options = try NDPOption.parse(try after(24))
            let target = bytes.ipv6Address(at: 8)
            guard !target.isMulticast else { throw .malformed(field: "NDP target (multicast)", value: UInt32(truncatingIfNeeded: target.high >> 32)) }
            if type == 135 { return ICMPv6Message(.neighborSolicitation(target: target, options: options)) }
            let flags = bytes[4]
            return ICMPv6Message(.neighborAdvertisement(NeighborAdvertisement(
                target: target, router: flags & 0x80 != 0, solicited: flags & 0x40 != 0, override: flags & 0x20 != 0, options: options)))
        case 137:
            _ = try NDPOption.parse(try after(40))
            return ICMPv6Message(.redirect(target: bytes.ipv6Address(at: 8), destination: bytes.ipv6Address(at: 24)))
        default:
            return ICMPv6Message(.other(type: type, code: code, rest: rest), body: Array(try after(8)))
        }
    }

    /// The message as it goes in a packet from `source` to `destination`, checksum included.
    public func encoded(source: IPv6Address, destination: IPv6Address) -> [UInt8] {
        var bytes: [UInt8]
        func fixed(_ type: UInt8, _ code: UInt8, _ rest: UInt32) -> [UInt8] {
            [type, code, 0, 0, UInt8(truncatingIfNeeded: rest >> 24), UInt8(truncatingIfNeeded: rest >> 16),
             UInt8(truncatingIfNeeded: rest >> 8), UInt8(truncatingIfNeeded: rest)]
        }
        func word(_ value: UInt32) -> [UInt8] { Array(fixed(0, 0, value).suffix(4)) }
        switch kind {
        case let .destinationUnreachable(code): bytes = fixed(1, code, 0) + body
        case let .packetTooBig(mtu): bytes = fixed(2, 0, mtu) + body
        case let .timeExceeded(code): bytes = fixed(3, code, 0) + body
        case let .parameterProblem(code, pointer): bytes = fixed(4, code, pointer) + body
        case let .echoRequest(identifier, sequence): bytes = fixed(128, 0, UInt32(identifier) << 16 | UInt32(sequence)) + body
        case let .echoReply(identifier, sequence): bytes = fixed(129, 0, UInt32(identifier) << 16 | UInt32(sequence)) + body
        case let .routerSolicitation(options): bytes = fixed(133, 0, 0) + options.flatMap { $0.encoded }
        case let .routerAdvertisement(advertisement):
            let flags = (advertisement.managed ? 0x80 : 0) | (advertisement.otherConfiguration ? 0x40 : 0) | UInt32(advertisement.otherFlags & 0x3F)
            bytes = fixed(134, 0, UInt32(advertisement.currentHopLimit) << 24 | flags << 16 | UInt32(advertisement.routerLifetime))
            bytes += word(advertisement.reachableTime) + word(advertisement.retransmitTimer) + advertisement.options.flatMap { $0.encoded }
        case let .neighborSolicitation(target, options): bytes = fixed(135, 0, 0) + target.bytes + options.flatMap { $0.encoded }
        case let .neighborAdvertisement(advertisement):
            let flags: UInt32 = (advertisement.router ? 0x80 : 0) | (advertisement.solicited ? 0x40 : 0) | (advertisement.override ? 0x20 : 0)
            bytes = fixed(136, 0, flags << 24) + advertisement.target.bytes
            for option in advertisement.options { bytes += option.encoded }
        case let .redirect(target, destination): bytes = fixed(137, 0, 0) + target.bytes + destination.bytes
        case let .other(type, code, rest): bytes = fixed(type, code, rest) + body
        }
        var sum = IPv6Header.pseudoHeaderChecksum(source: source, destination: destination, protocol: .icmpv6, length: UInt32(bytes.count))
        bytes.withUnsafeBytes { sum.add($0) }
        let checksum = sum.checksum
        bytes[2] = UInt8(checksum >> 8)
        bytes[3] = UInt8(truncatingIfNeeded: checksum)
        return bytes
    }
}
