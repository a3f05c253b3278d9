extension IPv6ExtensionHeaders {
    /// Whether a first fragment's data (what follows its Fragment header) holds the rest of the
    /// header chain: every extension header and the upper-layer header's fixed part (RFC 7112
    /// section 5, RFC 8200 section 4.5). One that does not is dropped and answered with Parameter
    /// Problem code 3: a chain spread over fragments is how filters are evaded, and reassembly
    /// would be spent on it. An extension header refused for another reason is left for the walk
    /// after reassembly to answer.
    /// - Parameter nextHeader: the Fragment header's Next Header.
    public static func holdsHeaderChain(_ data: UnsafeRawBufferPointer, nextHeader: IPProtocol) -> Bool {
        let chain: IPv6ExtensionHeaders
        do {
            chain = try walk(data, nextHeader: nextHeader, destinationIsMulticast: false)
        } catch {
            if case .truncated = error { return false }
            return true
        }
        return chain.upperLayerOffset + minimumUpperLayerHeader(chain.upperLayer) <= data.count
    }

    /// The fixed part of an upper-layer header a first fragment must carry whole (TCP 20 octets,
    /// UDP 8, ICMPv6 4; as Linux asks); 0 for another protocol, whose header we do not know.
    static func minimumUpperLayerHeader(_ upperLayer: IPProtocol) -> Int {
        switch upperLayer {
        case .tcp: 20
        case .udp: 8
        case .icmpv6: 4
        default: 0
        }
    }
}
