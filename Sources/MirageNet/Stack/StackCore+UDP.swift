import MirageCore

extension StackCore {
    /// UDP input (RFC 768; RFC 1122 section 4.1.3): the port table checks the datagram and queues
    /// it for its bound port (bounded); a closed port is answered with ICMP port unreachable unless
    /// the datagram came to a broadcast address or in fragments.
    mutating func receiveUDP(_ header: IPv4Header, payload: PacketBuffer, packet: PacketBuffer?,
                             isBroadcast: Bool, now: Instant) {
        if !isConfigured {
            let port = payload.withUnsafeBytes { $0.count >= UDPHeader.headerLength ? $0.bigEndian(UInt16.self, at: 2) : 0 }
            guard port == Self.dhcpClientPort else {
                statistics.notForUs += 1
                return
            }
        }
        let pseudo = IPv4Header.pseudoHeaderChecksum(source: header.source, destination: header.destination,
                                                     protocol: .udp, length: UInt16(truncatingIfNeeded: payload.count))
        receiveUDP(payload, source: .v4(header.source), destination: .v4(header.destination), pseudoHeader: pseudo,
                   packet: !isBroadcast && isConfigured ? packet : nil, now: now) { core, packet in
            core.sendICMPError(.destinationUnreachable(code: ICMPv4Header.UnreachableCode.port, nextHopMTU: 0),
                               about: packet, to: header.source, now: now)
        }
    }

    /// UDP input of either family: `pseudo` is the IP pseudo-header's sum; `packet`, when an
    /// error may quote it, is what `portUnreachable` answers a closed port with.
    mutating func receiveUDP(_ payload: PacketBuffer, source: IPAddress, destination: IPAddress, pseudoHeader pseudo: InternetChecksum,
                             packet: PacketBuffer?, now: Instant, portUnreachable: (inout StackCore, PacketBuffer) -> Void) {
        switch udp.receive(payload, source: source, destination: destination, pseudoHeader: pseudo) {
        case let .queued(port):
            statistics.udpDatagramsReceived += 1
            changes.noteUDPPort(port)
        case .portUnreachable:
            statistics.udpNoPort += 1
            if let packet { portUnreachable(&self, packet) }
        case .queueFull:
            statistics.udpQueueFull += 1
        case let .invalid(error):
            count(error)
        }
    }

    /// Binds `port`, or an unused ephemeral port when 0 (RFC 6056's range 49152-65535).
    /// - Throws: ``FlowError/addressInUse(port:)``.
    public mutating func bindUDP(port: UInt16) throws(FlowError) -> UInt16 {
        var chosen = port
        if port == 0 {
            let start = tcp.secrets.datagramPortOffset() &+ nextEphemeralProbe
            guard let free = EphemeralPorts.search(from: start, isFree: { !udp.isBound($0) }) else {
                throw .addressInUse(port: 0)
            }
            chosen = free.port
        }
        try udp.bind(chosen)
        return chosen
    }

    public mutating func unbindUDP(port: UInt16) {
        udp.unbind(port)
        changes.noteUDPPort(port)
    }

    /// Whether `port` is bound.
    public func isBound(udpPort port: UInt16) -> Bool { udp.isBound(port) }

    /// The next queued datagram for `port`.
    public mutating func receiveUDP(port: UInt16) -> Datagram? {
        udp.nextDatagram(on: port)
    }

    /// Sends one datagram from `port` (fragmented when larger than the MTU).
    /// - Throws: ``FlowError/unreachable`` without a route; ``FlowError/io(code:)`` (EMSGSIZE, 90)
    ///   for a payload larger than a datagram can carry.
    public mutating func sendUDP(_ payload: consuming PacketBuffer, from port: UInt16, to destination: IPv4Address,
                                 port destinationPort: UInt16, now: Instant) throws(FlowError) {
        try sendUDP(consume payload, from: port, to: .v4(destination), port: destinationPort, now: now)
    }

    /// Sends one datagram from `port` to an address of either family.
    ///
    /// The payload is taken, not copied: one its caller no longer holds gets the headers in its
    /// headroom. (Borrowed, it was copied at the UDP header and again at the IPv4 header, each
    /// copy shared and so reallocated by the header's prepend: two allocations a DNS answer.)
    public mutating func sendUDP(_ payload: consuming PacketBuffer, from port: UInt16, to destination: IPAddress,
                                 port destinationPort: UInt16, now: Instant) throws(FlowError) {
        var datagram = consume payload
        let length = UDPHeader.headerLength + datagram.count
        guard length <= IPv4Fragmenter.maximumPayload else { throw .io(code: 90) }
        if datagram.headroom < 64 {
            var roomy = PacketBuffer(capacity: 64 + datagram.count, headroom: 64)
            datagram.withUnsafeBytes { roomy.append(bytesOf: $0) }
            datagram = roomy
        }
        datagram.prepend(UDPHeader.headerLength)
        let pseudo: InternetChecksum
        var ipv6Source = IPv6Address.any
        switch destination {
        case let .v4(address):
            pseudo = IPv4Header.pseudoHeaderChecksum(source: self.address, destination: address, protocol: .udp,
                                                     length: UInt16(length))
        case let .v6(address):
            guard let source = ipv6.sourceAddress(for: address, now: now) else { throw .unreachable }
            ipv6Source = source
            pseudo = IPv6Header.pseudoHeaderChecksum(source: source, destination: address, protocol: .udp, length: UInt32(length))
        }
        datagram.withUnsafeMutableBytes {
            UDPHeader(sourcePort: port, destinationPort: destinationPort, length: UInt16(length)).emit(into: $0, pseudoHeader: pseudo)
        }
        let sent = switch destination {
        case let .v4(address): sendIPv4(consume datagram, protocol: .udp, to: address, dontFragment: false, now: now)
        case let .v6(address): sendIPv6(consume datagram, protocol: .udp, to: address, source: ipv6Source, now: now)
        }
        guard sent else { throw .unreachable }
    }
}
