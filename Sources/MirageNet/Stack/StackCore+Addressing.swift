import MirageCore

extension StackCore {
    /// The address and network a stack has before DHCP gives it one: 0.0.0.0/32. Such a stack
    /// takes only UDP to port 68 (the DHCP client's), sends only to the broadcast address, and
    /// answers no ARP.
    public static let unconfigured = IPv4Prefix(address: .any, length: 32)

    /// Whether the stack has an address.
    public var isConfigured: Bool { ipv4.isConfigured }

    /// The UDP port of DHCP clients (RFC 2131 section 4.1), the one port an unconfigured stack
    /// takes datagrams on.
    public static let dhcpClientPort: UInt16 = 68

    /// Moves the stack to another address (a DHCP lease), or to none (``unconfigured``: the lease
    /// ended). When the address changes, every connection is reset first, from the old address:
    /// its peer would never hear from it again. Listeners and bound UDP ports stay. A new address
    /// is announced with a gratuitous ARP (RFC 5227 section 2.3).
    public mutating func changeAddress(to network: IPv4Prefix, gateway: IPv4Address?, now: Instant) {
        let addressChanged = network.address != address
        if addressChanged {
            for id in tcp.connectionIDs {
                updateConnection(id, now: now) { $0.abort(now: now) }
            }
        }
        configuration.address = network
        configuration.gateway = gateway
        ipv4.changeNetwork(to: network, gateway: gateway)
        if addressChanged || arp.network != network {
            arp.changeInterface(to: network)
            countARP()
            if isConfigured { perform(arp.announcement) }
        }
    }

    /// Sends an ARP probe for `target` (RFC 5227 section 2.1.1: sender address 0.0.0.0, target
    /// hardware address zero, to the broadcast address), and watches for another host claiming
    /// it (``takeAddressConflicts()``).
    public mutating func probeAddress(_ target: IPv4Address) {
        watchedAddress = target
        let probe = ARPPacket(operation: .request, senderHardware: mac, senderProtocol: .any,
                              targetHardware: .zero, targetProtocol: target)
        perform(.send(probe, to: .broadcast))
    }

    /// Sends what goes to `address` to `hardware` without an ARP request
    /// (``ARPCache/learn(_:at:now:)``): the DHCP server's unicast reply to a client without an
    /// address yet (RFC 2131 section 4.1).
    public mutating func learnNeighbor(_ address: IPv4Address, at hardware: MACAddress, now: Instant) {
        for action in arp.learn(address, at: hardware, now: now) { perform(action) }
        countARP()
    }

    /// The addresses that another host claimed while watched (since the last call).
    public mutating func takeAddressConflicts() -> [IPv4Address] {
        let taken = addressConflicts
        addressConflicts = []
        return taken
    }

    /// Notes an ARP packet from another host that claims the watched address: one sent from it,
    /// or its own probe for it (RFC 5227 section 2.1.1). At most one conflict is kept per address.
    mutating func watchForConflict(_ packet: ARPPacket) {
        guard let watched = watchedAddress, packet.senderHardware != mac else { return }
        let claims = packet.senderProtocol == watched
            || packet.senderProtocol == .any && packet.operation == .request && packet.targetProtocol == watched
        if claims, !addressConflicts.contains(watched) { addressConflicts.append(watched) }
    }
}
