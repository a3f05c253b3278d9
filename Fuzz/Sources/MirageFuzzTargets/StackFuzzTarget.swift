import MirageCore
import MirageNet

extension FuzzTargets {
    /// A whole `StackCore` (Ethernet, ARP, IPv4 and IPv6 with fragments, ICMP, ICMPv6 and
    /// neighbour discovery, UDP, TCP) with small
    /// limits, fed frames from hosts on and off its network and driven by an application, in
    /// simulated time. See ``StackFuzzRun``.
    static let stack = FuzzTarget("stack", "StackCore: every protocol at once, frames with valid checksums, time, an application") { bytes in
        var run = StackFuzzRun(FuzzInput(bytes))
        run.run()
    }
}

/// One run of the stack target. The input is a program: each step a choice of what happens next
/// (a raw frame, a TCP segment, UDP, ICMP, a fragment, ARP, time passing, an application call)
/// and its fields. Segments get valid checksums and may take their sequence and acknowledgment
/// numbers from what the stack last sent, so that the fuzzer reaches every TCP state rather than
/// stopping at the checksum. After every step the stack's own bounds are checked.
struct StackFuzzRun {
    static let ourAddress = IPv4Address(10, 0, 0, 2)
    static let ourMAC = MACAddress(2, 0, 0, 0, 0, 2)
    /// Peers: three on our network, one off it (behind the gateway 10.0.0.1).
    static let peers = [IPv4Address(10, 0, 0, 1), IPv4Address(10, 0, 0, 3), IPv4Address(10, 0, 0, 77), IPv4Address(192, 168, 1, 9)]

    var input: FuzzInput
    var core: StackCore
    var now = Instant.zero
    let configuration: StackConfiguration
    /// What the stack last sent on each connection: the next sequence number it will use and the
    /// acknowledgment it gave, by (peer, peer port, our port).
    var sent: [ConnectionID: (next: UInt32, acknowledged: UInt32)] = [:]
    var accepted: [ConnectionID] = []
    /// One slot hint for every connection the application touches: often wrong, as it may be.
    var slotHint = 0

    init(_ input: FuzzInput) {
        self.input = input
        var configuration = StackConfiguration(address: IPv4Prefix(address: Self.ourAddress, length: 24),
                                               gateway: IPv4Address(10, 0, 0, 1))
        configuration.tcp.receiveBufferSize = 16 * 1024
        configuration.tcp.sendBufferSize = 16 * 1024
        configuration.tcpReceiveMemoryLimit = 64 * 1024
        configuration.connectionLimits.connections = 8
        configuration.connectionLimits.timeWait = 4
        configuration.connectionLimits.orphans = 4
        configuration.reassembly.memoryLimit = 16 * 1024
        configuration.reassembly.maximumDatagrams = 4
        configuration.arp.entryLimit = 8
        configuration.pathMTUEntryLimit = 2
        configuration.udpQueueLimit = 4
        configuration.halfOpenLimit = 2
        configuration.listenBacklog = 2
        configuration.ipv6 = IPv6Configuration(mode: .fixed(IPv6Prefix(address: Self.ourIPv6, length: 64)))
        configuration.ipv6.neighbors.entryLimit = 8
        configuration.ipv6.neighbors.queueLimit = 2
        self.configuration = configuration
        core = StackCore(configuration: configuration, mac: Self.ourMAC, mtu: 1500, key: (1, 2), now: .zero)
    }

    mutating func run() {
        try? core.listen(port: 80)
        _ = try? core.bindUDP(port: 53)
        core.start(now: now)
        observe()
        var steps = 0
        while !input.isAtEnd, steps < 512 {
            steps += 1
            step()
            observe()
            check()
        }
    }

    mutating func step() {
        switch input.byte() % 10 {
        case 0: core.receive(PacketBuffer(input.piece(maximum: 1600)), now: now)
        case 1, 2: receiveTCP()
        case 3: receiveUDP()
        case 4: receiveICMP()
        case 5: receiveFragment()
        case 6: receiveARP()
        case 7:
            now = now + .milliseconds(Int(input.uint16()) * 4)
            core.handleTimers(now: now)
        case 8: application()
        default: receiveIPv6()
        }
    }

    // MARK: Frames from the peers

    mutating func peer() -> IPv4Address { Self.peers[Int(input.byte()) % Self.peers.count] }

    /// An Ethernet frame from `source` (through the gateway's MAC when off our network) carrying an
    /// IPv4 packet of `protocol` with `transport` as payload, the IPv4 checksum right.
    func frame(from source: IPv4Address, protocol: IPProtocol, transport: [UInt8], fragment: (offset: UInt16, more: Bool, id: UInt16)? = nil) -> PacketBuffer {
        var header = IPv4Header(totalLength: UInt16(truncatingIfNeeded: 20 + transport.count), protocol: `protocol`,
                                source: source, destination: Self.ourAddress)
        if let fragment {
            header.fragmentOffset = fragment.offset
            header.moreFragments = fragment.more
            header.identification = fragment.id
        }
        let last = UInt8(truncatingIfNeeded: source.value)
        var bytes = [UInt8](repeating: 0, count: 14 + 20 + transport.count)
        bytes.withUnsafeMutableBytes { raw in
            EthernetHeader(destination: Self.ourMAC, source: MACAddress(2, 0, 0, 0, 1, last), etherType: .ipv4).emit(into: raw)
            header.emit(into: UnsafeMutableRawBufferPointer(rebasing: raw[14...]))
        }
        bytes.replaceSubrange(34..., with: transport)
        return PacketBuffer(bytes)
    }

    mutating func receiveTCP() {
        let source = peer()
        let peerPort = UInt16(40000 + Int(input.byte() % 4))
        let ourPort: UInt16 = input.byte() % 8 == 0 ? input.uint16() : 80
        let id = ConnectionID(remoteAddress: source, remotePort: peerPort, localPort: ourPort)
        let known = sent[id]
        let mode = input.byte()
        let delta = UInt32(truncatingIfNeeded: Int32(Int8(bitPattern: input.byte())) * Int32(Int(input.byte() % 16) + 1))
        let sequence = mode & 1 == 0 ? input.uint32() : (known?.acknowledged ?? 0) &+ delta
        let acknowledgment = mode & 2 == 0 ? input.uint32() : (known?.next ?? 0) &+ delta
        var header = TCPHeader(sourcePort: peerPort, destinationPort: ourPort, sequenceNumber: sequence,
                               acknowledgmentNumber: acknowledgment, flags: TCPFlags(rawValue: input.byte()), window: input.uint16())
        let options = input.byte()
        if options & 1 != 0 { header.options.maximumSegmentSize = input.uint16() }
        if options & 2 != 0 { header.options.windowScale = input.byte() % 16 }
        if options & 4 != 0 { header.options.sackPermitted = true }
        if options & 8 != 0 { header.options.timestamps = TCPTimestamps(value: input.uint32(), echoReply: input.uint32()) }
        if options & 16 != 0, let known {
            // SACK blocks near what we sent: islands of the fuzzer's sizes.
            let blocks = (0..<Int(input.byte() % 4) + 1).map { _ -> SACKBlock in
                let start = known.next &- UInt32(input.uint16())
                return SACKBlock(left: start, right: start &+ UInt32(input.byte()))
            }
            header.options.sackBlocks = SACKBlocks(blocks)
        }
        let payload = input.bytes(input.below(1460))
        var segment = [UInt8](repeating: 0, count: header.length + payload.count)
        segment.replaceSubrange(header.length..., with: payload)
        let pseudo = IPv4Header.pseudoHeaderChecksum(source: source, destination: Self.ourAddress, protocol: .tcp,
                                                     length: UInt16(segment.count))
        segment.withUnsafeMutableBytes { header.emit(into: $0, pseudoHeader: pseudo) }
        core.receive(frame(from: source, protocol: .tcp, transport: segment), now: now)
    }

    mutating func receiveUDP() {
        let source = peer()
        let payload = input.bytes(input.below(600))
        let destinationPort: UInt16 = input.byte() % 4 == 0 ? input.uint16() : 53
        var datagram = [UInt8](repeating: 0, count: 8 + payload.count)
        datagram.replaceSubrange(8..., with: payload)
        let pseudo = IPv4Header.pseudoHeaderChecksum(source: source, destination: Self.ourAddress, protocol: .udp,
                                                     length: UInt16(datagram.count))
        datagram.withUnsafeMutableBytes {
            UDPHeader(sourcePort: input.uint16(), destinationPort: destinationPort, length: UInt16($0.count)).emit(into: $0, pseudoHeader: pseudo)
        }
        core.receive(frame(from: source, protocol: .udp, transport: datagram), now: now)
    }

    /// An echo request, or "fragmentation needed" quoting a TCP segment of ours (in flight or not).
    mutating func receiveICMP() {
        let source = peer()
        var message: [UInt8]
        if input.byte() % 2 == 0 {
            message = [UInt8](repeating: 0, count: 8) + input.bytes(input.below(64))
            message.withUnsafeMutableBytes { ICMPv4Header(.echoRequest(identifier: 1, sequence: 2)).emit(into: $0) }
        } else {
            let connection = sent.keys.isEmpty ? nil : Array(sent.keys)[input.below(sent.count)]
            let quotedSequence = connection.map { sent[$0]!.next &- UInt32(input.uint16()) } ?? input.uint32()
            let destination: IPv4Address
            if case let .v4(address)? = connection?.remoteAddress { destination = address } else { destination = source }
            let ports = connection.map { ($0.localPort, $0.remotePort) } ?? (80, 40000)
            var quoted = [UInt8](repeating: 0, count: 28)
            quoted.withUnsafeMutableBytes { raw in
                IPv4Header(totalLength: 1500, protocol: .tcp, source: Self.ourAddress, destination: destination).emit(into: raw)
                raw.storeBytes(of: ports.0.bigEndian, toByteOffset: 20, as: UInt16.self)
                raw.storeBytes(of: ports.1.bigEndian, toByteOffset: 22, as: UInt16.self)
                raw.storeBytes(of: quotedSequence.bigEndian, toByteOffset: 24, as: UInt32.self)
            }
            message = [UInt8](repeating: 0, count: 8) + quoted
            message.withUnsafeMutableBytes { ICMPv4Header(.destinationUnreachable(code: 4, nextHopMTU: input.uint16())).emit(into: $0) }
        }
        core.receive(frame(from: source, protocol: .icmp, transport: message), now: now)
    }

    mutating func receiveFragment() {
        let source = peer()
        let offset = input.uint16() & 0x1FFF
        let more = input.byte() % 2 == 0
        let id = UInt16(input.byte() % 4)
        let payload = input.bytes(input.below(1480))
        core.receive(frame(from: source, protocol: input.byte() % 2 == 0 ? .udp : .icmp, transport: payload,
                           fragment: (offset, more, id)), now: now)
    }

    mutating func receiveARP() {
        let sender = input.byte() % 4 == 0 ? IPv4Address(value: input.uint32()) : IPv4Address(10, 0, 0, input.byte())
        let target = input.byte() % 2 == 0 ? Self.ourAddress : peer()
        let senderMAC = MACAddress(2, 0, 0, 0, 1, input.byte())
        let packet = ARPPacket(operation: input.byte() % 2 == 0 ? .request : .reply, senderHardware: senderMAC,
                               senderProtocol: sender, targetHardware: Self.ourMAC, targetProtocol: target)
        var bytes = [UInt8](repeating: 0, count: 14 + ARPPacket.length)
        bytes.withUnsafeMutableBytes { raw in
            EthernetHeader(destination: .broadcast, source: senderMAC, etherType: .arp).emit(into: raw)
            packet.emit(into: UnsafeMutableRawBufferPointer(rebasing: raw[14...]))
        }
        core.receive(PacketBuffer(bytes), now: now)
    }

    // MARK: The application

    mutating func application() {
        switch input.byte() % 6 {
        case 0:
            if let id = core.accept(port: 80) { accepted.append(id) }
        case 1:
            guard let id = pick() else { return }
            var data: PacketBuffer?
            _ = core.readIfReadable(from: id, slotHint: &slotHint, maximum: Int(input.uint16()), now: now, into: &data)
        case 2:
            guard let id = pick() else { return }
            _ = core.writeIfOpen(PacketBuffer(input.bytes(input.below(4096))), to: id, slotHint: &slotHint, now: now)
        case 3:
            guard let id = pick() else { return }
            core.release(id, now: now)
            accepted.removeAll { $0 == id }
        case 4:
            if let id = try? core.connect(to: peer(), port: 80, now: now) { accepted.append(id) }
        default:
            while core.receiveUDP(port: 53) != nil {}
        }
    }

    mutating func pick() -> ConnectionID? {
        accepted.isEmpty ? nil : accepted[input.below(accepted.count)]
    }

    // MARK: What the stack sent, and its bounds

    /// Reads the TCP segments the stack sent, to know each connection's sequence numbers.
    mutating func observe() {
        for frame in core.takeFrames() {
            let bytes = frame.bytes
            guard bytes.count >= 54, bytes[12] == 0x08, bytes[13] == 0x00, bytes[23] == 6 else { continue }
            func word(_ at: Int) -> UInt32 { bytes[at..<at + 4].reduce(0) { $0 << 8 | UInt32($1) } }
            let destination = IPv4Address(value: word(30))
            let ourPort = UInt16(bytes[34]) << 8 | UInt16(bytes[35])
            let peerPort = UInt16(bytes[36]) << 8 | UInt16(bytes[37])
            let headerLength = Int(bytes[46] >> 4) * 4
            let flags = bytes[47]
            let payload = Swift.max(bytes.count - 34 - headerLength, 0)
            let next = word(38) &+ UInt32(payload) &+ (flags & 0x02 != 0 ? 1 : 0) &+ (flags & 0x01 != 0 ? 1 : 0)
            sent[ConnectionID(remoteAddress: destination, remotePort: peerPort, localPort: ourPort)] = (next, word(42))
        }
    }

    func check() {
        checkIPv6()
        let guaranteed = configuration.tcp.receiveMemoryGuaranteed
        var charged = 0
        for id in accepted {
            guard let connection = core.connection(id) else { continue }
            charged += connection.receiveMemoryCharged
            require(connection.receiveMemoryCharged <= configuration.tcp.receiveMemoryLimit,
                    "a connection holds \(connection.receiveMemoryCharged) bytes")
        }
        require(charged <= configuration.tcpReceiveMemoryLimit + guaranteed * configuration.connectionLimits.connections,
                "the connections hold \(charged) bytes")
    }
}
