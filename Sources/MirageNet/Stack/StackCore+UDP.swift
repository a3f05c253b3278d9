import MirageCore

extension StackCore {
    /// UDP input (RFC 768; RFC 1122 section 4.1.3): checksum checked, datagrams queued per bound
    /// port (bounded), closed ports answered with ICMP port unreachable unless broadcast.
    mutating func receiveUDP(_ header: IPv4Header, payload: PacketBuffer, packet: PacketBuffer?,
                             isBroadcast: Bool, now: Instant) {
        let pseudo = IPv4Header.pseudoHeaderChecksum(source: header.source, destination: header.destination,
                                                     protocol: .udp, length: UInt16(truncatingIfNeeded: payload.count))
        let udp: UDPHeader
        do {
            udp = try payload.withUnsafeBytes { (bytes) throws(WireError) in 
                try UDPHeader.parse(bytes, pseudoHeader: pseudo, checksumVerified: payload.offload.checksumVerified)
            }
        } catch {
            count(error)
            return
        }
        guard var port = udpPorts[udp.destinationPort] else {
            statistics.udpNoPort += 1
            if !isBroadcast, let packet {
                sendICMPError(.destinationUnreachable(code: 3, nextHopMTU: 0), about: packet, to: header.source, now: now)
            }
            return
        }
        guard port.count < configuration.udpQueueLimit else {
            statistics.udpQueueFull += 1
            return
        }
        statistics.udpDatagramsReceived += 1
        let datagram = Datagram(source: Endpoint(.v4(header.source), port: udp.sourcePort),
                                destination: Endpoint(.v4(header.destination), port: udp.destinationPort),
                                payload: payload.slice(udp.payloadRange))
        udpPorts[udp.destinationPort] = nil // keep the array uniquely referenced while appending
        port.queue.append(datagram)
        udpPorts[udp.destinationPort] = port
        changes.udpPorts.insert(udp.destinationPort)
    }

    /// Binds `port`, or an unused ephemeral port when 0 (RFC 6056's range 49152-65535).
    /// - Throws: ``FlowError/addressInUse(port:)``.
    public mutating func bindUDP(port: UInt16) throws(FlowError) -> UInt16 {
        var chosen = port
        if port == 0 {
            guard let free = ephemeralPort(isFree: { udpPorts[$0] == nil }) else { throw .addressInUse(port: 0) }
            chosen = free
        }
        guard udpPorts[chosen] == nil else { throw .addressInUse(port: chosen) }
        udpPorts[chosen] = UDPPort()
        return chosen
    }

    public mutating func unbindUDP(port: UInt16) {
        udpPorts[port] = nil
        changes.udpPorts.insert(port)
    }

    /// Whether `port` is bound.
    public func isBound(udpPort port: UInt16) -> Bool { udpPorts[port] != nil }

    /// The next queued datagram for `port`.
    public mutating func receiveUDP(port: UInt16) -> Datagram? {
        guard var state = udpPorts[port], state.head < state.queue.count else { return nil }
        udpPorts[port] = nil
        let datagram = state.queue[state.head]
        state.head += 1
        if state.head == state.queue.count {
            state.queue.removeAll(keepingCapacity: true)
            state.head = 0
        }
        udpPorts[port] = state
        return datagram
    }

    /// Sends one datagram from `port` (fragmented when larger than the MTU).
    /// - Throws: ``FlowError/unreachable`` without a route; ``FlowError/io(code:)`` (EMSGSIZE, 90)
    ///   for a payload larger than a datagram can carry.
    public mutating func sendUDP(_ payload: PacketBuffer, from port: UInt16, to destination: IPv4Address,
                                 port destinationPort: UInt16, now: Instant) throws(FlowError) {
        let length = UDPHeader.headerLength + payload.count
        guard length <= IPv4Fragmenter.maximumPayload else { throw .io(code: 90) }
        var datagram = payload
        if datagram.headroom < 64 {
            datagram = PacketBuffer(capacity: 64 + payload.count, headroom: 64)
            datagram.append(contentsOf: payload.bytes)
        }
        datagram.prepend(UDPHeader.headerLength)
        let pseudo = IPv4Header.pseudoHeaderChecksum(source: address, destination: destination, protocol: .udp,
                                                     length: UInt16(length))
        datagram.withUnsafeMutableBytes {
            UDPHeader(sourcePort: port, destinationPort: destinationPort, length: UInt16(length)).emit(into: $0, pseudoHeader: pseudo)
        }
        guard sendIPv4(datagram, protocol: .udp, to: destination, dontFragment: false, now: now) else {
            throw .unreachable
        }
    }

    /// An ephemeral port for which `isFree` holds, searched from a random offset (RFC 6056
    /// section 3.3.3, algorithm 3, simplified to one offset per stack).
    func ephemeralPort(isFree: (UInt16) -> Bool) -> UInt16? {
        let first: UInt32 = 49152, count: UInt32 = 16384
        let offset = UInt32(truncatingIfNeeded: secrets.hash(ConnectionID(remoteAddress: .any, remotePort: 0, localPort: 0), purpose: 5))
        for step in 0..<count {
            let port = UInt16(first + (offset &+ nextEphemeralProbe &+ step) % count)
            if isFree(port) { return port }
        }
        return nil
    }
}
