import MirageCore

/// An option of a neighbour discovery message (RFC 4861 section 4.6): type, length in units of
/// 8 bytes, value. The kinds this stack reads are typed; others are kept as they came.
public enum NDPOption: Hashable, Sendable {
    /// Type 1 (section 4.6.1): the sender's link-layer address.
    case sourceLinkLayerAddress(MACAddress)
    /// Type 2 (section 4.6.1): the target's link-layer address.
    case targetLinkLayerAddress(MACAddress)
    /// Type 3 (section 4.6.2): a prefix on the link and whether to form addresses from it.
    case prefixInformation(PrefixInformation)
    /// Type 5 (section 4.6.4): the link's MTU.
    case mtu(UInt32)
    /// Type 25 (RFC 8106 section 5.1): recursive DNS servers, for `lifetime` seconds (all ones
    /// is infinity, 0 withdraws them).
    case recursiveDNSServers(lifetime: UInt32, servers: [IPv6Address])
    case other(type: UInt8, value: [UInt8])

    /// The Prefix Information option's fields (RFC 4861 section 4.6.2; RFC 4862 section 5.5.3).
    public struct PrefixInformation: Hashable, Sendable {
        public var prefix: IPv6Address
        public var prefixLength: UInt8
        /// L: the prefix is on-link.
        public var onLink: Bool
        /// A: addresses may be formed from it by SLAAC.
        public var autonomous: Bool
        /// Seconds; 0xffffffff is infinity.
        public var validLifetime: UInt32
        public var preferredLifetime: UInt32

        public init(prefix: IPv6Address, prefixLength: UInt8, onLink: Bool, autonomous: Bool, validLifetime: UInt32, preferredLifetime: UInt32) {
            self.prefix = prefix
            self.prefixLength = prefixLength
            self.onLink = onLink
            self.autonomous = autonomous
            self.validLifetime = validLifetime
            self.preferredLifetime = preferredLifetime
        }
    }

    /// The most options read from one message: a router advertisement with more prefixes than
    /// this is not one a host needs to take whole.
    public static let maximumCount = 32

    /// Reads the options in `bytes` (the rest of a message after its fixed part).
    /// - Throws: ``WireError/malformed(field:value:)`` for an option of length 0 or of the wrong
    ///   length for its type (section 4.6: such a message is discarded), more than
    ///   ``maximumCount`` options; ``WireError/truncated(needed:available:)`` when one runs past
    ///   the message.
    public static func parse(_ bytes: UnsafeRawBufferPointer) throws(WireError) -> [NDPOption] {
        var options: [NDPOption] = []
        var offset = 0
        while offset < bytes.count {
            guard offset + 2 <= bytes.count else { throw .truncated(needed: offset + 2, available: bytes.count) }
            let type = bytes[offset]
            let length = Int(bytes[offset + 1]) * 8
            guard length > 0 else { throw .malformed(field: "NDP option length", value: 0) }
            guard offset + length <= bytes.count else { throw .truncated(needed: offset + length, available: bytes.count) }
            guard options.count < maximumCount else { throw .malformed(field: "NDP option count", value: UInt32(options.count + 1)) }
            let value = UnsafeRawBufferPointer(rebasing: bytes[offset + 2 ..< offset + length])
            switch type {
            case 1, 2:
                // On Ethernet the address takes the 6 bytes of a length-1 option (RFC 2464 section 6).
                guard length == 8 else { throw .malformed(field: "NDP link-layer address option length", value: UInt32(length / 8)) }
                let address = value.macAddress(at: 0)
                options.append(type == 1 ? .sourceLinkLayerAddress(address) : .targetLinkLayerAddress(address))
            case 3:
                guard length == 32 else { throw .malformed(field: "NDP prefix information option length", value: UInt32(length / 8)) }
                let flags = value[1]
                options.append(.prefixInformation(PrefixInformation(
                    prefix: value.ipv6Address(at: 14), prefixLength: value[0], onLink: flags & 0x80 != 0, autonomous: flags & 0x40 != 0,
                    validLifetime: value.bigEndian(UInt32.self, at: 2), preferredLifetime: value.bigEndian(UInt32.self, at: 6))))
            case 5:
                guard length == 8 else { throw .malformed(field: "NDP MTU option length", value: UInt32(length / 8)) }
                options.append(.mtu(value.bigEndian(UInt32.self, at: 2)))
            case 25:
                // RFC 8106 section 5.1: 8 bytes, then 16 per address; at least one (length 3, 5, ...).
                guard length >= 24, (length - 8) % 16 == 0 else {
                    throw .malformed(field: "NDP RDNSS option length", value: UInt32(length / 8))
                }
                let servers = stride(from: 6, to: length - 2, by: 16).map { value.ipv6Address(at: $0) }
                options.append(.recursiveDNSServers(lifetime: value.bigEndian(UInt32.self, at: 2), servers: servers))
            default:
                options.append(.other(type: type, value: Array(value)))
            }
            offset += length
        }
        return options
    }

    /// The option as it goes on the wire, padded to a multiple of 8 bytes.
    public var encoded: [UInt8] {
        var bytes: [UInt8]
        switch self {
        case let .sourceLinkLayerAddress(address): bytes = Self.linkLayerOption(type: 1, address)
        case let .targetLinkLayerAddress(address): bytes = Self.linkLayerOption(type: 2, address)
        case let .prefixInformation(information):
            bytes = [3, 4, information.prefixLength, (information.onLink ? 0x80 : 0) | (information.autonomous ? 0x40 : 0)]
            bytes += Self.bigEndian(information.validLifetime) + Self.bigEndian(information.preferredLifetime) + [0, 0, 0, 0]
            bytes += information.prefix.bytes
        case let .mtu(mtu): bytes = [5, 1, 0, 0] + Self.bigEndian(mtu)
        case let .recursiveDNSServers(lifetime, servers):
            bytes = [25, UInt8(truncatingIfNeeded: 1 + 2 * servers.count), 0, 0] + Self.bigEndian(lifetime)
            for server in servers { bytes += server.bytes }
        case let .other(type, value):
            let length = (value.count + 2 + 7) / 8
            bytes = [type, UInt8(truncatingIfNeeded: length)] + value
            bytes += [UInt8](repeating: 0, count: length * 8 - bytes.count)
        }
        return bytes
    }

    /// A link-layer address option, written byte by byte: in the hvt guest (Embedded Swift,
    /// -Osize), `[2, 1] + address.bytes` came out as four zeros and the address.
    private static func linkLayerOption(type: UInt8, _ address: MACAddress) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: 8)
        bytes[0] = type
        bytes[1] = 1
        let mac = address.bytes
        for index in 0 ..< 6 { bytes[2 + index] = mac[index] }
        return bytes
    }

    private static func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(truncatingIfNeeded: value >> 24), UInt8(truncatingIfNeeded: value >> 16), UInt8(truncatingIfNeeded: value >> 8), UInt8(truncatingIfNeeded: value)]
    }
}
