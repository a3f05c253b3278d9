import MirageCore

/// What the ARP layer asks the Ethernet layer to do.
public enum ARPAction: Equatable {
    /// Send `packet` (an IP packet) in a frame to `destination`, now that its address is known.
    case transmit(PacketBuffer, to: MACAddress)
    /// Broadcast a request for `address`.
    case request(IPv4Address)
    /// Send `packet` (a reply or an announcement) to `destination`.
    case send(ARPPacket, to: MACAddress)
}
