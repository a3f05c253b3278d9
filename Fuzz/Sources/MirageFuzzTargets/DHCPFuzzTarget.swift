import MirageCore
import MirageNet

extension FuzzTargets {
    /// DHCP messages (RFC 2131 section 2, RFC 2132 options, option overload, RFC 3396 long
    /// options): a message that parses is encoded again and must parse the same; then, made the
    /// answer to a client's transaction, it is the client's OFFER and ACK, and the client is
    /// driven through its timers to the lease's end: it must never trap, and the lease it binds
    /// must renew before it rebinds and rebind before it expires.
    static let dhcpMessage = FuzzTarget("dhcp-message", "DHCPMessage.parse, encoded again, then a DHCPClient's offer and ack") { bytes in
        guard let message = try? DHCPMessage.parse(bytes) else { return }
        let encoded = message.encoded
        let again = encoded.withUnsafeBytes { try? DHCPMessage.parse($0) }
        require(again == message, "a message changes when encoded and parsed again")

        let mac = MACAddress(2, 0, 0, 0, 0, 1)
        var client = DHCPClient(mac: mac, seed: 1)
        var now = Instant(nanoseconds: 1_000_000_000)
        var sent = client.start(now: now)
        var leases: [DHCPLease] = []
        for type in [DHCPMessageType.offer, .ack] {
            guard case let .send(request, _)? = sent.first else { break }
            var reply = message
            reply.transactionID = request.transactionID
            reply.clientHardware = mac
            reply.options.messageType = type
            sent = client.receive(reply, now: now)
        }
        // The timers, until nothing is left or a bounded number of steps.
        for _ in 0 ..< 64 {
            for case let .bind(lease) in sent { leases.append(lease) }
            guard let deadline = client.nextDeadline else { break }
            require(deadline >= now, "a deadline in the past")
            now = deadline
            sent = client.handleTimers(now: now)
        }
        for lease in leases {
            if let t1 = lease.renewsAt, let t2 = lease.rebindsAt, let end = lease.expiresAt {
                require(t1 <= t2 && t2 <= end, "T1 \(t1), T2 \(t2), expiry \(end) out of order")
            }
        }
    }
}
