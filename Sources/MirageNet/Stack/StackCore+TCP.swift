import MirageCore

extension StackCore {
    // MARK: Input

    /// TCP input: checksum, then the connection, else a listener (with SYN cookies when its
    /// half-open queue is full), else a reset (RFC 9293 section 3.10.7.1).
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
        if connections[id] != nil {
            updateConnection(id, now: now) { $0.receive(segment, now: now) }
            return
        }
        let flags = segment.flags
        if listeners[id.localPort] != nil, !flags.contains(.rst) {
            if flags.contains(.syn), !flags.contains(.ack) {
                acceptSYN(segment, id: id, now: now)
                return
            }
            if flags.contains(.ack), !flags.contains(.syn), acceptCookie(segment, id: id, now: now) { return }
        }
        statistics.tcpSegmentsToClosedPorts += 1
        sendReset(answering: segment, id: id, now: now)
    }

    /// A reset for a segment no connection wants (RFC 9293 section 3.10.7.1); never for a reset.
    private mutating func sendReset(answering segment: TCPSegment, id: ConnectionID, now: Instant) {
        guard !segment.flags.contains(.rst) else { return }
        var header: TCPHeader
        if segment.flags.contains(.ack) {
            header = TCPHeader(sourcePort: id.localPort, destinationPort: id.remotePort,
                               sequenceNumber: segment.header.acknowledgmentNumber, acknowledgmentNumber: 0,
                               flags: .rst, window: 0)
        } else {
            header = TCPHeader(sourcePort: id.localPort, destinationPort: id.remotePort, sequenceNumber: 0,
                               acknowledgmentNumber: (segment.sequenceNumber + segment.sequenceLength).rawValue,
                               flags: [.rst, .ack], window: 0)
        }
        statistics.tcpResetsSent += 1
        sendSegment(TCPSegment(header: header), to: id.remoteAddress, now: now)
    }

    private mutating func acceptSYN(_ syn: TCPSegment, id: ConnectionID, now: Instant) {
        guard var listener = listeners[id.localPort] else { return }
        guard listener.acceptQueue.count < configuration.listenBacklog else {
            statistics.listenOverflows += 1 // the peer retries its SYN (as Linux does)
            return
        }
        let linkMTU = mtu(towards: id.remoteAddress)
        if listener.halfOpen >= configuration.halfOpenLimit {
            sendCookie(answering: syn, id: id, mtu: linkMTU, now: now)
            return
        }
        listener.halfOpen += 1
        listeners[id.localPort] = listener
        let connection = TCPConnection.accept(syn, localPort: id.localPort,
                                              initialSequence: secrets.initialSequence(for: id, now: now),
                                              mtu: linkMTU, timestampOffset: secrets.timestampOffset(for: id),
                                              now: now, configuration: configuration.tcp)
        connections[id] = ConnectionEntry(tcp: offloading(connection), owner: .listener(id.localPort))
        flushSegments(of: id, now: now)
    }

    /// The stateless SYN-ACK of RFC 4987 section 3.6.
    private mutating func sendCookie(answering syn: TCPSegment, id: ConnectionID, mtu: Int, now: Instant) {
        let peerMSS = Int(syn.header.options.maximumSegmentSize ?? 536)
        let cookie = SYNCookie.make(id, peerISN: syn.sequenceNumber, peerMSS: Swift.min(peerMSS, mtu - 40),
                                    now: now, secrets: secrets)
        var header = TCPHeader(sourcePort: id.localPort, destinationPort: id.remotePort,
                               sequenceNumber: cookie.sequence.rawValue,
                               acknowledgmentNumber: (syn.sequenceNumber + 1).rawValue, flags: [.syn, .ack],
                               window: UInt16(Swift.min(configuration.tcp.receiveBufferSize, 65535)))
        header.options.maximumSegmentSize = UInt16(mtu - 40)
        if let peerTimestamps = syn.header.options.timestamps, configuration.tcp.offersTimestamps {
            let offset = secrets.timestampOffset(for: id)
            let value = (UInt32(truncatingIfNeeded: now.nanoseconds / 1_000_000) &+ offset) & ~0x1F
                | SYNCookie.options(scale: syn.header.options.windowScale, sack: syn.header.options.sackPermitted)
            header.options.timestamps = TCPTimestamps(value: value, echoReply: peerTimestamps.value)
            if syn.header.options.windowScale != nil, configuration.tcp.offersWindowScale {
                header.options.windowScale = configuration.tcp.receiveWindowScale
            }
            if syn.header.options.sackPermitted, configuration.tcp.offersSACK { header.options.sackPermitted = true }
        }
        statistics.synCookiesSent += 1
        sendSegment(TCPSegment(header: header), to: id.remoteAddress, now: now)
    }

    /// An ACK that may complete a SYN-cookie handshake.
    private mutating func acceptCookie(_ ack: TCPSegment, id: ConnectionID, now: Instant) -> Bool {
        let cookie = ack.acknowledgmentNumber - 1
        guard let mss = SYNCookie.check(id, cookie: cookie, peerISN: ack.sequenceNumber - 1, now: now, secrets: secrets),
              var listener = listeners[id.localPort] else { return false }
        guard listener.acceptQueue.count < configuration.listenBacklog else {
            statistics.listenOverflows += 1
            return true
        }
        var scale: UInt8?
        var sack = false
        if let echo = ack.header.options.timestamps?.echoReply {
            (scale, sack) = SYNCookie.decodeOptions(echo & 0x1F)
        }
        let connection = TCPConnection.fromCookie(ack, localPort: id.localPort, initialSequence: cookie,
                                                  mtu: mtu(towards: id.remoteAddress), peerMSS: mss, peerScale: scale,
                                                  peerSACK: sack, timestampOffset: secrets.timestampOffset(for: id),
                                                  now: now, configuration: configuration.tcp)
        statistics.synCookiesAccepted += 1
        connections[id] = ConnectionEntry(tcp: offloading(connection), owner: .application)
        listener.acceptQueue.append(id)
        listeners[id.localPort] = listener
        changes.listeners.insert(id.localPort)
        if !ack.payload.isEmpty { updateConnection(id, now: now) { $0.receive(ack, now: now) } }
        return true
    }

    // MARK: Connections

    /// Applies `change` to a connection, sends what it produced, moves it between listener,
    /// application and nobody as its state demands, and notes it for the shell.
    ///
    /// The connection is changed in place in the table: no copy of it, or of the segments it
    /// queued, stays behind, so each segment's buffer reaches IPv4 and Ethernet unshared and their
    /// headers go into its headroom.
    mutating func updateConnection(_ id: ConnectionID, now: Instant, _ change: (inout TCPConnection) -> Void) {
        guard let index = connections.index(forKey: id) else { return }
        var segments = segmentScratch
        segmentScratch = []
        let holding = holdingAcknowledgments
        // Every access is in place: reading a field through the dictionary's getter would copy
        // the whole entry, retaining each buffer the connection holds.
        let (wasSynchronized, owesAcknowledgment, owner, state, isSynchronized) = Self.inPlace(&connections.values[index]) { entry in
            let wasSynchronized = entry.tcp.isSynchronized
            entry.tcp.holdsAcknowledgment = holding
            change(&entry.tcp)
            let owesAcknowledgment = entry.tcp.ackNow
            entry.tcp.moveSegments(into: &segments)
            return (wasSynchronized, owesAcknowledgment, entry.owner, entry.tcp.state, entry.tcp.isSynchronized)
        }
        if holding, owesAcknowledgment, !heldAcknowledgments.contains(id) {
            heldAcknowledgments.append(id)
        }
        sendSegments(&segments, to: id.remoteAddress, now: now)
        segmentScratch = segments
        changes.connections.insert(id)
        if case let .listener(port) = owner {
            if state == .closed {
                connections[id] = nil
                if !wasSynchronized { listeners[port]?.halfOpen -= 1 }
            } else if isSynchronized, !wasSynchronized {
                listeners[port]?.halfOpen -= 1
                if var listener = listeners[port], listener.acceptQueue.count < configuration.listenBacklog {
                    listener.acceptQueue.append(id)
                    listeners[port] = listener
                    connections[id]?.owner = .application
                    changes.listeners.insert(port)
                } else {
                    statistics.listenOverflows += 1
                    connections[id]?.tcp.abort(now: now)
                    flushSegments(of: id, now: now)
                    connections[id] = nil
                }
            }
        } else if owner == .orphan, state == .closed {
            connections[id] = nil
        }
    }

    /// Stops holding ACKs and sends those still owed (reading may have sent some already).
    public mutating func sendHeldAcknowledgments(now: Instant) {
        holdingAcknowledgments = false
        for id in heldAcknowledgments {
            guard let index = connections.index(forKey: id) else { continue }
            var segments = segmentScratch
            segmentScratch = []
            Self.inPlace(&connections.values[index].tcp) { tcp in
                tcp.holdsAcknowledgment = false
                guard tcp.ackNow else { return }
                tcp.sendPending(now: now)
                tcp.moveSegments(into: &segments)
            }
            sendSegments(&segments, to: id.remoteAddress, now: now)
            segmentScratch = segments
        }
        heldAcknowledgments.removeAll(keepingCapacity: true)
    }

    /// Sends the segments a connection queued.
    mutating func flushSegments(of id: ConnectionID, now: Instant) {
        guard var segments = connections[id]?.tcp.takeSegments() else { return }
        sendSegments(&segments, to: id.remoteAddress, now: now)
    }

    /// Sends `segments` in order, each moved out of the array so that its payload's buffer is
    /// uniquely referenced; leaves the array empty, with its storage.
    private mutating func sendSegments(_ segments: inout [TCPSegment], to destination: IPv4Address, now: Instant) {
        guard !segments.isEmpty else { return }
        segments.reverse()
        while let segment = segments.popLast() { sendSegment(segment, to: destination, now: now) }
    }

    /// `connection`, allowed to make segments for the device to cut when it can.
    private func offloading(_ connection: TCPConnection) -> TCPConnection {
        var connection = connection
        connection.offloadedSegmentLimit = offloadedSegmentLimit
        return connection
    }


    /// Adds the TCP header and checksum (RFC 9293 section 3.1) and hands the segment to IPv4, with
    /// DF set (path MTU discovery, RFC 1191). When the device completes checksums, the checksum
    /// is left partial for it, and a segment longer than one MSS is marked for it to cut.
    mutating func sendSegment(_ segment: consuming TCPSegment, to destination: IPv4Address, now: Instant) {
        let header = segment.header, pieceSize = segment.pieceSize
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
            buffer.offload.checksumOffset = 16
            if pieceSize > 0 {
                buffer.offload.tcpSegmentSize = UInt16(pieceSize)
                buffer.offload.headerLength = UInt16(transportStart + headerLength)
            }
        }
        sendIPv4(consume buffer, protocol: .tcp, to: destination, dontFragment: true, now: now)
    }

    // MARK: Application calls

    /// Starts listening on `port`. - Throws: ``FlowError/addressInUse(port:)``.
    public mutating func listen(port: UInt16) throws(FlowError) {
        guard listeners[port] == nil else { throw .addressInUse(port: port) }
        listeners[port] = Listener()
    }

    /// Stops listening; connections not yet accepted are reset.
    public mutating func closeListener(port: UInt16, now: Instant) {
        guard let listener = listeners.removeValue(forKey: port) else { return }
        let pending = listener.acceptQueue + connections.compactMap { $0.value.owner == .listener(port) ? $0.key : nil }
        for id in pending {
            connections[id]?.tcp.abort(now: now)
            flushSegments(of: id, now: now)
            connections[id] = nil
        }
        changes.listeners.insert(port)
    }

    public func isListening(port: UInt16) -> Bool { listeners[port] != nil }

    /// The next established connection on `port`, now the application's.
    public mutating func accept(port: UInt16) -> ConnectionID? {
        guard var listener = listeners[port], !listener.acceptQueue.isEmpty else { return nil }
        let id = listener.acceptQueue.removeFirst()
        listeners[port] = listener
        return id
    }

    /// Opens a connection to `remote`:`port` from an ephemeral port; the SYN goes out at once.
    /// - Throws: ``FlowError/unreachable`` without a route, ``FlowError/addressInUse(port:)`` when
    ///   no ephemeral port is free.
    public mutating func connect(to remote: IPv4Address, port: UInt16, now: Instant) throws(FlowError) -> ConnectionID {
        guard nextHop(for: remote) != nil, remote != .broadcast, remote != configuration.address.broadcast else {
            throw .unreachable
        }
        let offset = secrets.portOffset(remote: remote, remotePort: port)
        var chosen: ConnectionID?
        for step in 0..<UInt32(16384) {
            let local = UInt16(49152 + (offset &+ nextEphemeralProbe &+ step) % 16384)
            let id = ConnectionID(remoteAddress: remote, remotePort: port, localPort: local)
            if connections[id] == nil, listeners[local] == nil {
                chosen = id
                nextEphemeralProbe &+= step + 1
                break
            }
        }
        guard let id = chosen else { throw .addressInUse(port: 0) }
        let connection = TCPConnection.connect(localPort: id.localPort, remotePort: port,
                                               initialSequence: secrets.initialSequence(for: id, now: now),
                                               mtu: mtu(towards: remote), timestampOffset: secrets.timestampOffset(for: id),
                                               now: now, configuration: configuration.tcp)
        connections[id] = ConnectionEntry(tcp: offloading(connection), owner: .application)
        flushSegments(of: id, now: now)
        return id
    }

    /// The connection's state machine, for the shell to read.
    public func connection(_ id: ConnectionID) -> TCPConnection? { connections[id]?.tcp }

    /// What a socket needs to know of its connection, read in place (``connection(_:)`` copies
    /// the whole state machine, retaining every buffer it holds).
    public mutating func status(of id: ConnectionID) -> TCPConnection.Status? {
        guard let index = connections.index(forKey: id) else { return nil }
        return Self.inPlace(&connections.values[index].tcp) { $0.status }
    }

    /// Runs `body` on `value` through an inout access, so a dictionary's element is neither
    /// copied out nor written back.
    static func inPlace<Value, Result>(_ value: inout Value, _ body: (inout Value) -> Result) -> Result {
        body(&value)
    }

    /// Queues `data` on the connection; see ``TCPConnection/write(_:corked:now:)``.
    public mutating func write(_ data: PacketBuffer, to id: ConnectionID, corked: Bool = false, now: Instant) -> Int {
        var accepted = 0
        updateConnection(id, now: now) { accepted = $0.write(data, corked: corked, now: now) }
        return accepted
    }

    /// Sends what corked writes left queued on the connection.
    public mutating func push(_ id: ConnectionID, now: Instant) {
        updateConnection(id, now: now) { $0.push(now: now) }
    }

    /// Whether a write to the connection had better be corked: the device cuts large segments,
    /// and data in flight means an ACK, or the end of this scheduler round, comes soon to send it,
    /// so small writes then gather into large segments (Linux's autocorking).
    public mutating func shouldCork(_ id: ConnectionID) -> Bool {
        guard offloadedSegmentLimit > 0, let index = connections.index(forKey: id) else { return false }
        return Self.inPlace(&connections.values[index].tcp) { $0.hasDataInFlight }
    }

    public mutating func read(from id: ConnectionID, maximum: Int, now: Instant) -> PacketBuffer? {
        var data: PacketBuffer?
        updateConnection(id, now: now) { data = $0.read(maximum: maximum, now: now) }
        return data
    }

    public mutating func shutdownWrite(_ id: ConnectionID, now: Instant) {
        updateConnection(id, now: now) { $0.shutdownWrite(now: now) }
    }

    /// The application is done with the connection: it closes (or resets, with unread data) and
    /// is forgotten once finished.
    public mutating func release(_ id: ConnectionID, now: Instant) {
        guard connections[id] != nil else { return }
        connections[id]?.owner = .orphan
        updateConnection(id, now: now) { if $0.state != .closed { $0.close(now: now) } }
    }

    /// Resets the connection and forgets it.
    public mutating func abort(_ id: ConnectionID, now: Instant) {
        connections[id]?.owner = .orphan
        updateConnection(id, now: now) { $0.abort(now: now) }
    }

    /// Connections in the table (any state), for tests and statistics.
    public var connectionCount: Int { connections.count }
}
