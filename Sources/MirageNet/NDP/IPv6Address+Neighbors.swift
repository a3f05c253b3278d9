import MirageCore

extension IPv6Address {
    /// `ff02::1`, every node on the link (RFC 4291 section 2.7.1).
    public static let allNodes = IPv6Address(0xff02, 0, 0, 0, 0, 0, 0, 1)
    /// `ff02::2`, every router on the link.
    public static let allRouters = IPv6Address(0xff02, 0, 0, 0, 0, 0, 0, 2)
    /// `ff02::16`, where MLDv2 reports go (RFC 3810 section 5.2.14).
    public static let allMLDv2Routers = IPv6Address(0xff02, 0, 0, 0, 0, 0, 0, 0x16)

    /// The solicited-node multicast group of this address, `ff02::1:ffXX:XXXX` with its low 24
    /// bits (RFC 4291 section 2.7.1): where neighbour solicitations for it go.
    public var solicitedNode: IPv6Address {
        IPv6Address(high: 0xff02_0000_0000_0000, low: 0x0000_0001_ff00_0000 | low & 0xff_ffff)
    }

    /// The link-local address `fe80::` with `interfaceIdentifier` (RFC 4862 section 5.3).
    public init(linkLocalWith interfaceIdentifier: UInt64) {
        self.init(high: 0xfe80_0000_0000_0000, low: interfaceIdentifier)
    }

    /// The address made of the first 64 bits of `prefix` and `interfaceIdentifier` (RFC 4862
    /// section 5.5.3 d).
    public init(prefix: IPv6Address, interfaceIdentifier: UInt64) {
        self.init(high: prefix.high, low: interfaceIdentifier)
    }

    /// The Ethernet address a packet to this multicast address goes to: `33:33` and its last 32
    /// bits (RFC 2464 section 7).
    public var multicastMAC: MACAddress {
        MACAddress(0x33, 0x33, UInt8(truncatingIfNeeded: low >> 24), UInt8(truncatingIfNeeded: low >> 16),
                   UInt8(truncatingIfNeeded: low >> 8), UInt8(truncatingIfNeeded: low))
    }

    /// Whether the address's scope is the link: link-local unicast, or a multicast address of
    /// interface- or link-local scope (RFC 4291 section 2.7).
    public var hasLinkScope: Bool {
        isLinkLocal || isMulticast && (high >> 48) & 0xf <= 2
    }
}

extension MACAddress {
    /// The modified EUI-64 interface identifier of this address (RFC 4291 appendix A; RFC 2464
    /// section 4): `fffe` inserted in the middle and the universal/local bit inverted.
    public var interfaceIdentifier: UInt64 {
        let b = bytes
        let high = UInt64(b[0] ^ 0x02) << 56 | UInt64(b[1]) << 48 | UInt64(b[2]) << 40 | 0xff_fe_00_0000
        return high | UInt64(b[3]) << 16 | UInt64(b[4]) << 8 | UInt64(b[5])
    }
}
