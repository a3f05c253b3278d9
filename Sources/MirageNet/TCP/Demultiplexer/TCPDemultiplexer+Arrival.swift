import MirageCore

extension TCPDemultiplexer {
    /// Takes a segment that no connection holds: a SYN to a listener opens a connection (or, with
    /// the half-open queue full, is answered with a SYN cookie), an ACK may complete a cookie's
    /// handshake, and anything else is answered with a reset (RFC 9293 section 3.10.7.1).
    /// - Parameters:
    ///   - segment: the segment, its checksum checked.
    ///   - id: the connection it names.
    ///   - mtu: the MTU towards the peer, for the MSS a new connection announces.
    /// - Returns: what the stack must do (``Arrival``).
    mutating func arrive(_ segment: TCPSegment, id: ConnectionID, mtu: Int, now: Instant) -> Arrival {
        let flags = segment.flags
        if let listener = listeners.index(forKey: id.localPort), !flags.contains(.rst) {
            if flags.contains(.syn), !flags.contains(.ack) {
                return acceptSYN(segment, id: id, listener: listener, mtu: mtu, now: now)
            }
            if flags.contains(.ack), !flags.contains(.syn),
               let arrival = acceptCookie(segment, id: id, listener: listener, mtu: mtu, now: now) {
                return arrival
            }
        }
        return .closedPort(reset: Self.reset(answering: segment, id: id))
    }

    /// A SYN for a listener: a new half-open connection, or a cookie when the half-open queue is
    /// full, or nothing when the accept queue is.
    private mutating func acceptSYN(_ syn: TCPSegment, id: ConnectionID, listener: Dictionary<UInt16, TCPListenQueue>.Index,
                                    mtu: Int, now: Instant) -> Arrival {
        guard listeners.values[listener].acceptQueue.count < listenBacklog else { return .listenOverflow }
        guard mayOpenConnection else { return .connectionLimit }
        if listeners.values[listener].halfOpen >= halfOpenLimit {
            return .cookie(synACK: cookieSYNACK(answering: syn, id: id, mtu: mtu, now: now))
        }
        listeners.values[listener].halfOpen += 1
        let connection = TCPConnection.accept(syn, localPort: id.localPort,
                                              initialSequence: secrets.initialSequence(for: id, now: now),
                                              mtu: mtu, timestampOffset: secrets.timestampOffset(for: id),
                                              now: now, configuration: configuration)
        insert(connection, for: id, owner: .listener(id.localPort))
        return .opened
    }

    /// The stateless SYN-ACK of RFC 4987 section 3.6: the sequence number is the cookie, and with
    /// timestamps the low bits of TSval carry the SYN's window scale and SACK permission.
    private func cookieSYNACK(answering syn: TCPSegment, id: ConnectionID, mtu: Int, now: Instant) -> TCPSegment {
        let peerMSS = Int(syn.header.options.maximumSegmentSize ?? 536)
        let cookie = SYNCookie.make(id, peerISN: syn.sequenceNumber, peerMSS: Swift.min(peerMSS, mtu - 40),
                                    now: now, secrets: secrets)
        var header = TCPHeader(sourcePort: id.localPort, destinationPort: id.remotePort,
                               sequenceNumber: cookie.sequence.rawValue,
                               acknowledgmentNumber: (syn.sequenceNumber + 1).rawValue, flags: [.syn, .ack],
                               window: UInt16(Swift.min(configuration.receiveBufferSize, 65535)))
        header.options.maximumSegmentSize = UInt16(mtu - 40)
        if let peerTimestamps = syn.header.options.timestamps, configuration.offersTimestamps {
            // The connection's clock (TCPConnection.timestampValue) with its low bits replaced by
            // the options; when that puts it ahead of the clock it goes back one step of 32, as
            // Linux's cookie_init_timestamp does: the connection's later TSvals must not be older
            // than this one, or the peer's PAWS check (RFC 7323 section 5) drops them until the
            // clock catches up, and the first response waits for a retransmission.
            let clock = UInt32(truncatingIfNeeded: now.nanoseconds / 1_000_000) &+ secrets.timestampOffset(for: id)
            var value = clock & ~0x1F | SYNCookie.options(scale: syn.header.options.windowScale, sack: syn.header.options.sackPermitted)
            if value > clock { value &-= 0x20 }
            header.options.timestamps = TCPTimestamps(value: value, echoReply: peerTimestamps.value)
            if syn.header.options.windowScale != nil, configuration.offersWindowScale {
                header.options.windowScale = configuration.receiveWindowScale
            }
            if syn.header.options.sackPermitted, configuration.offersSACK { header.options.sackPermitted = true }
        }
        return TCPSegment(header: header)
    }

    /// An ACK that may complete a SYN-cookie handshake.
    /// - Returns: nil when it carries no cookie of ours.
    private mutating func acceptCookie(_ ack: TCPSegment, id: ConnectionID, listener: Dictionary<UInt16, TCPListenQueue>.Index,
                                       mtu: Int, now: Instant) -> Arrival? {
        let cookie = ack.acknowledgmentNumber - 1
        guard let mss = SYNCookie.check(id, cookie: cookie, peerISN: ack.sequenceNumber - 1, now: now, secrets: secrets) else {
            return nil
        }
        guard listeners.values[listener].acceptQueue.count < listenBacklog else { return .listenOverflow }
        guard mayOpenConnection else { return .connectionLimit }
        var scale: UInt8?
        var sack = false
        if let echo = ack.header.options.timestamps?.echoReply {
            (scale, sack) = SYNCookie.decodeOptions(echo & 0x1F)
        }
        let connection = TCPConnection.fromCookie(ack, localPort: id.localPort, initialSequence: cookie,
                                                  mtu: mtu, peerMSS: mss, peerScale: scale,
                                                  peerSACK: sack, timestampOffset: secrets.timestampOffset(for: id),
                                                  now: now, configuration: configuration)
        insert(connection, for: id, owner: .application)
        listeners.values[listener].acceptQueue.append(id)
        return .cookieAccepted(port: id.localPort)
    }

    /// The reset for a segment no connection wants (RFC 9293 section 3.10.7.1); nil for a reset.
    static func reset(answering segment: TCPSegment, id: ConnectionID) -> TCPSegment? {
        guard !segment.flags.contains(.rst) else { return nil }
        let header: TCPHeader
        if segment.flags.contains(.ack) {
            header = TCPHeader(sourcePort: id.localPort, destinationPort: id.remotePort,
                               sequenceNumber: segment.header.acknowledgmentNumber, acknowledgmentNumber: 0,
                               flags: .rst, window: 0)
        } else {
            header = TCPHeader(sourcePort: id.localPort, destinationPort: id.remotePort, sequenceNumber: 0,
                               acknowledgmentNumber: (segment.sequenceNumber + segment.sequenceLength).rawValue,
                               flags: [.rst, .ack], window: 0)
        }
        return TCPSegment(header: header)
    }
}
