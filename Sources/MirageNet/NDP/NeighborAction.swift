import MirageCore

/// What the neighbour cache asks the link to do (RFC 4861 section 7.2).
public enum NeighborAction: Equatable {
    /// Send `packet` (an IPv6 packet) in a frame to `destination`, now that its address is known.
    case transmit(PacketBuffer, to: MACAddress)
    /// Send a neighbour solicitation for `target`: to its solicited-node multicast group when
    /// `unicast` is nil (address resolution, section 7.2.2), else to that link-layer address
    /// (reachability probing, section 7.3.3).
    case solicit(IPv6Address, unicast: MACAddress?)
}
