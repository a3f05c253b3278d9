import MirageCore

extension StackCore {
    // MARK: Input

    /// TCP input: checksum, then the connection, else the demultiplexer's listeners (with SYN
    /// cookies when a half-open queue is full), else a reset (RFC 9293 section 3.10.7.1).
    mutating func receiveTCP(_ header: IPv4Header, payload: PacketBuffer, now: Instant) {
        let pseudo = IPv4Header.pseudoHeaderChecksum(source: header.source, destination: header.destination,
                                                     protocol: .tcp, length: UInt16(truncatingIfNeeded: payload.count))
        receiveTCP(payload, from: .v4(header.source), pseudoHeader: pseudo, now: now)
    }

    /// TCP input over either family: `pseudo` is the sum of the IP pseudo-header the segment came
    /// under.
    mutating func receiveTCP(_ payload: PacketBuffer, from source: IPAddress, pseudoHeader pseudo: InternetChecksum, now: Instant) {
        let parsed: (header: TCPHeader, payloadOffset: Int)
        do {
            parsed = try payload.withUnsafeBytes { (bytes) throws(WireError) in
                try TCPHeader.parse(bytes, pseudoHeader: pseudo, checksumVerified: payload.offload.checksumVerified)
            }
        } catch {
            count(error)
            return
        }
        let segment = TCPSegment(header: parsed.header, payload: payload.slice(parsed.payloadOffset..<payload.count))
        let id = ConnectionID(remoteAddress: source, remotePort: parsed.header.sourcePort,
                              localPort: parsed.header.destinationPort)
        if let slot = tcp.slot(of: id) {
            updateConnection(id, at: slot, now: now) { $0.receive(segment, now: now) }
            return
        }
        switch tcp.arrive(segment, id: id, mtu: transportMTU(towards: id.remoteAddress), now: now) {
        case .opened:
            flushSegments(of: id, now: now)
        case let .cookie(synACK):
            statistics.synCookiesSent += 1
            sendSegment(synACK, to: id.remoteAddress, now: now)
        case let .cookieAccepted(port):
            statistics.synCookiesAccepted += 1
            changes.listeners.insert(port)
            if !segment.payload.isEmpty { updateConnection(id, now: now) { $0.receive(segment, now: now) } }
        case .listenOverflow:
            statistics.listenOverflows += 1 // the peer retries its SYN (as Linux does)
        case .connectionLimit:
            statistics.connectionLimitRefusals += 1 // the peer retries its SYN
        case let .closedPort(reset):
            statistics.tcpSegmentsToClosedPorts += 1
            if let reset {
                statistics.tcpResetsSent += 1
                sendSegment(reset, to: id.remoteAddress, now: now)
            }
        }
    }

    // MARK: Connections

    /// Applies `change` to a connection in place (``TCPDemultiplexer/update(_:at:holdingAcknowledgment:now:segments:_:)``),
    /// sends what it produced, and notes the connection, and its listener when it moved, for the
    /// shell.
    mutating func updateConnection(_ id: ConnectionID, now: Instant, _ change: (inout TCPConnection) -> Void) {
        guard let slot = tcp.slot(of: id) else { return }
        updateConnection(id, at: slot, now: now, change)
    }

    mutating func updateConnection(_ id: ConnectionID, at slot: TCPDemultiplexer.Slot,
                                           now: Instant, _ change: (inout TCPConnection) -> Void) {
        let holding = holdingAcknowledgments
        let update = sendSegments(to: id.remoteAddress, now: now) { tcp, segments in
            tcp.update(id, at: slot, holdingAcknowledgment: holding, now: now, segments: &segments, change)
        }
        if holding, update.owesAcknowledgment, !heldAcknowledgments.contains(id) {
            heldAcknowledgments.append(id)
        }
        if let waiters = update.waiters { changes.connectionWaiters.append(waiters) }
        switch update.outcome {
        case .kept, .forgotten: break
        case let .queuedForAccept(port): changes.listeners.insert(port)
        case .listenOverflow: statistics.listenOverflows += 1
        case .timeWaitDropped: statistics.timeWaitDropped += 1
        }
    }

    /// Stops holding ACKs and sends those still owed (reading may have sent some already).
    public mutating func sendHeldAcknowledgments(now: Instant) {
        holdingAcknowledgments = false
        for id in heldAcknowledgments {
            sendSegments(to: id.remoteAddress, now: now) { tcp, segments in
                tcp.releaseHeldAcknowledgment(of: id, now: now, segments: &segments)
            }
        }
        heldAcknowledgments.removeAll(keepingCapacity: true)
    }

    /// Sends the segments a connection queued.
    mutating func flushSegments(of id: ConnectionID, now: Instant) {
        sendSegments(to: id.remoteAddress, now: now) { tcp, segments in tcp.moveSegments(of: id, into: &segments) }
    }

    /// Lends the demultiplexer and the scratch buffer to `fill`, then sends the segments it put
    /// there to `destination`, in order; the buffer keeps its storage for the next use. Out of
    /// line: inlined into each of its callers it cost the image 8 KB.
    @discardableResult @inline(never)
    mutating func sendSegments<Result>(to destination: IPAddress, now: Instant,
                                       _ fill: (inout TCPDemultiplexer, inout [TCPSegment]) -> Result) -> Result {
        var segments = segmentScratch
        segmentScratch = []
        let result = fill(&tcp, &segments)
        sendSegments(&segments, to: destination, now: now)
        segmentScratch = segments
        return result
    }

    /// Sends `segments` in order, each moved out of the array so that its payload's buffer is
    /// uniquely referenced; leaves the array empty, with its storage.
    private mutating func sendSegments(_ segments: inout [TCPSegment], to destination: IPAddress, now: Instant) {
        guard !segments.isEmpty else { return }
        segments.reverse()
        while let segment = segments.popLast() { sendSegment(segment, to: destination, now: now) }
    }

    /// Adds the TCP header and checksum (RFC 9293 section 3.1) and hands the segment to IPv4, with
    /// DF set (path MTU discovery, RFC 1191). When the device completes checksums, the checksum
    /// is left partial for it, and a segment longer than one MSS is marked for it to cut.
    ///
    /// A segment too long for the path MTU (``IPv4Interface/mtu(towards:)``) is never dropped: the
    /// device cuts it when it can, else it is cut here (RFC 1191 section 6.5's "the TCP layer must
    /// not send segments larger than the path MTU allows"), and counted.
    mutating func sendSegment(_ segment: consuming TCPSegment, to destination: IPAddress, now: Instant) {
        let header = segment.header
        var pieceSize = segment.pieceSize
        let ipHeaderLength: Int
        let pseudo: InternetChecksum
        var ipv6Source = IPv6Address.any
        let length = UInt32(header.length + segment.payload.count)
        switch destination {
        case let .v4(address):
            ipHeaderLength = IPv4Header.minimumLength
            pseudo = IPv4Header.pseudoHeaderChecksum(source: self.address, destination: address, protocol: .tcp,
                                                     length: UInt16(truncatingIfNeeded: length))
        case let .v6(address):
            guard let source = ipv6.sourceAddress(for: address, now: now) else {
                statistics.unroutable += 1
                return
            }
            ipHeaderLength = IPv6Header.length
            ipv6Source = source
            pseudo = IPv6Header.pseudoHeaderChecksum(source: source, destination: address, protocol: .tcp, length: length)
        }
        // The MTU in IPv4 terms less IPv4's header is the room for TCP in either family.
        let fitting = transportMTU(towards: destination) - IPv4Header.minimumLength - header.length
        // A device may segment TCP over IPv4 only (virtio's GSO_TCPV4): then IPv6 segments longer
        // than one piece are cut here.
        let isIPv6 = ipHeaderLength == IPv6Header.length
        let deviceCuts = offloads.contains(isIPv6 ? .tcpSegmentationIPv6 : .tcpSegmentation)
        if segment.payload.count > fitting, fitting > 0, pieceSize == 0 || pieceSize > fitting || !deviceCuts {
            if pieceSize == 0 || pieceSize > fitting { statistics.segmentsCutToPathMTU += 1 }
            if deviceCuts, !header.flags.contains(.syn) {
                pieceSize = fitting
            } else {
                let piece = pieceSize > 0 ? Swift.min(pieceSize, fitting) : fitting
                for part in segment.cut(toPayload: piece, headroom: TCPConnection.headroom) {
                    sendSegment(part, to: destination, now: now)
                }
                return
            }
        }
        if !deviceCuts { pieceSize = 0 }
        // Taken out of the consumed segment, the payload's buffer is ours alone: the headers go
        // into its headroom without a copy.
        var buffer = (consume segment).payload
        let headerLength = header.length
        if buffer.headroom < headerLength + ipHeaderLength + 18 {
            var roomy = PacketBuffer(capacity: TCPConnection.headroom + buffer.count, headroom: TCPConnection.headroom)
            buffer.withUnsafeBytes { bytes in
                _ = roomy.append(upTo: bytes.count) { destination in
                    destination.copyMemory(from: bytes)
                    return bytes.count
                }
            }
            buffer = roomy
        }
        buffer.prepend(headerLength)
        let partial = offloads.contains(.transmitChecksum) || pieceSize > 0
        buffer.withUnsafeMutableBytes { header.emit(into: $0, pseudoHeader: pseudo, partialChecksum: partial) }
        if partial {
            // Our frames have an untagged Ethernet header and an IP header without options.
            let transportStart = EthernetHeader.untaggedLength + ipHeaderLength
            buffer.offload.checksumStart = UInt16(transportStart)
            buffer.offload.checksumOffset = UInt16(TCPHeader.Field.checksum)
            if pieceSize > 0 {
                buffer.offload.tcpSegmentSize = UInt16(pieceSize)
                buffer.offload.headerLength = UInt16(transportStart + headerLength)
                buffer.offload.segmentsIPv6 = isIPv6
            }
        }
        switch destination {
        case let .v4(address): sendIPv4(consume buffer, protocol: .tcp, to: address, dontFragment: true, now: now)
        case let .v6(address): sendIPv6(consume buffer, protocol: .tcp, to: address, source: ipv6Source, now: now)
        }
    }

    /// The MTU towards `destination` as TCP counts it, for an IPv4 header of 20 bytes: the MSS
    /// is this less 40 (``TCPConnection``), so over IPv6 it is the path MTU less 20.
    func transportMTU(towards destination: IPAddress) -> Int {
        switch destination {
        case let .v4(address): ipv4.mtu(towards: address)
        case let .v6(address): ipv6.mtu(towards: address) - (IPv6Header.length - IPv4Header.minimumLength)
        }
    }
}
