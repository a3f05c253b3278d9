import MirageCore

/// An IPv6 fragment as the reassembler sees it (RFC 8200 section 4.5): the packet's header, its
/// Fragment header, and how many octets of extension headers come before it.
public struct IPv6Fragment: FragmentedHeader {
    public var header: IPv6Header
    public var fragment: IPv6ExtensionHeaders.Fragment

    public init(header: IPv6Header, fragment: IPv6ExtensionHeaders.Fragment) {
        self.header = header
        self.fragment = fragment
    }

    /// Section 4.5: source, destination and identification.
    public struct ReassemblyKey: Hashable {
        var source: IPv6Address
        var destination: IPv6Address
        var identification: UInt32
    }

    public var reassemblyKey: ReassemblyKey {
        ReassemblyKey(source: header.source, destination: header.destination, identification: fragment.identification)
    }

    /// An atomic fragment (offset 0, no more: RFC 6946) is processed as a whole packet.
    public var isFragment: Bool { fragment.offset != 0 || fragment.moreFragments }
    public var fragmentByteOffset: Int { Int(fragment.offset) * 8 }
    public var moreFragments: Bool { fragment.moreFragments }
    /// The extension headers in front of the Fragment header and the Fragment header itself:
    /// the payload length of the whole packet counts them (RFC 8200 section 4.5).
    public var unfragmentableLength: Int { fragment.headerOffset + IPv6Fragmenter.fragmentHeaderLength }

    public func reassembled(payloadLength: Int) -> IPv6Fragment? {
        guard fragment.headerOffset + payloadLength <= Int(UInt16.max) else { return nil }
        var whole = self
        whole.header.payloadLength = UInt16(fragment.headerOffset + payloadLength)
        whole.fragment.offset = 0
        whole.fragment.moreFragments = false
        return whole
    }
}

/// IPv6's reassembler (RFC 8200 section 4.5; overlaps forget the datagram, RFC 5722).
public typealias IPv6Reassembler = FragmentReassembler<IPv6Fragment>
