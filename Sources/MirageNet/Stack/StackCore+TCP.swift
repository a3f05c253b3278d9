import MirageCore

extension StackCore {
    // MARK: Input

    /// TCP input: checksum, then the connection, else the demultiplexer's listeners (with SYN
    /// cookies when a half-open queue is full), else a reset (RFC 9293 section 3.10.7.1).
    mutating func receiveTCP(_ header: IPv4Header, payload: PacketBuffer, now: Instant) {
        let pseudo = IPv4Header.pseudoHeaderChecksum(source: header.source, destination: header.destination,
                                                     protocol: .tcp, length: UInt16(truncatingIfNeeded: payload.count))
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
        let id = ConnectionID(remoteAddress: header.source, remotePort: parsed.header.sourcePort,
                              localPort: parsed.header.destinationPort)
        if let index = tcp.index(of: id) {
            updateConnection(id, at: index, now: now) { $0.receive(segment, now: now) }
            return
        }
        switch tcp.arrive(segment, id: id, mtu: ipv4.mtu(towards: id.remoteAddress), now: now) {
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
        guard let index = tcp.index(of: id) else { return }
        updateConnection(id, at: index, now: now, change)
    }

    private mutating func updateConnection(_ id: ConnectionID, at index: Dictionary<ConnectionID, TCPDemultiplexer.Entry>.Index,
                                           now: Instant, _ change: (inout TCPConnection) -> Void) {
        let holding = holdingAcknowledgments
        let update = sendSegments(to: id.remoteAddress, now: now) { tcp, segments in
            tcp.update(id, at: index, holdingAcknowledgment: holding, now: now, segments: &segments, change)
        }
        if holding, update.owesAcknowledgment, !heldAcknowledgments.contains(id) {
            heldAcknowledgments.append(id)
        }
        changes.connections.insert(id)
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
    mutating func sendSegments<Result>(to destination: IPv4Address, now: Instant,
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
    private mutating func sendSegments(_ segments: inout [TCPSegment], to destination: IPv4Address, now: Instant) {
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
    mutating func sendSegment(_ segment: consuming TCPSegment, to destination: IPv4Address, now: Instant) {
        let header = segment.header
        var pieceSize = segment.pieceSize
        let fitting = ipv4.mtu(towards: destination) - IPv4Header.minimumLength - header.length
        if pieceSize == 0 || pieceSize > fitting, segment.payload.count > fitting, fitting > 0 {
            statistics.segmentsCutToPathMTU += 1
            if offloads.contains(.tcpSegmentation), !header.flags.contains(.syn) {
                pieceSize = fitting
            } else {
                for piece in segment.cut(toPayload: fitting, headroom: TCPConnection.headroom) {
                    sendSegment(piece, to: destination, now: now)
                }
                return
            }
        }
        // Taken out of the consumed segment, the payload's buffer is ours alone: the headers go
        // into its headroom without a copy.
        var buffer = (consume segment).payload
        let headerLength = header.length
        if buffer.headroom < headerLength + IPv4Header.minimumLength + 18 {
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
        let pseudo = IPv4Header.pseudoHeaderChecksum(source: address, destination: destination, protocol: .tcp,
                                                     length: UInt16(buffer.count))
        let partial = offloads.contains(.transmitChecksum) || pieceSize > 0
        buffer.withUnsafeMutableBytes { header.emit(into: $0, pseudoHeader: pseudo, partialChecksum: partial) }
        if partial {
            // Our frames have an untagged Ethernet header and an IPv4 header without options.
            let transportStart = EthernetHeader.untaggedLength + IPv4Header.minimumLength
            buffer.offload.checksumStart = UInt16(transportStart)
            buffer.offload.checksumOffset = UInt16(TCPHeader.Field.checksum)
            if pieceSize > 0 {
                buffer.offload.tcpSegmentSize = UInt16(pieceSize)
                buffer.offload.headerLength = UInt16(transportStart + headerLength)
            }
        }
        sendIPv4(consume buffer, protocol: .tcp, to: destination, dontFragment: true, now: now)
    }
}
