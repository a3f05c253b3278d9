import MirageCore

/// A DHCP server's core (RFC 2131 section 4.3, as charrua's server): messages from port 68 in,
/// replies out, with the time passed in. It hands out addresses of one pool and the static
/// leases, keeps them in a ``DHCPLeaseTable`` bounded by the pool, and answers DISCOVER, REQUEST
/// in each of the client's states, DECLINE, RELEASE and INFORM.
public struct DHCPServer: Sendable {
    /// Where a reply goes (RFC 2131 section 4.1).
    public enum Destination: Hashable, Sendable {
        /// To the relay agent `giaddr`, port 67.
        case relay(IPv4Address)
        /// To the client's address `ciaddr`, port 68.
        case client(IPv4Address)
        /// To the client that has no address yet: `yiaddr` at its hardware address, port 68
        /// (a shell that cannot send to an address it has no ARP entry for broadcasts instead).
        case hardware(IPv4Address, MACAddress)
        /// To 255.255.255.255, port 68.
        case broadcast
    }

    /// A reply and where it goes.
    public struct Reply: Hashable, Sendable {
        public var message: DHCPMessage
        public var destination: Destination
    }

    /// What the server did with a message, for its log.
    public enum Event: Hashable, Sendable {
        case offered(IPv4Address, to: MACAddress)
        case acknowledged(IPv4Address, to: MACAddress)
        case refused(IPv4Address, to: MACAddress, reason: String)
        case declined(IPv4Address, by: MACAddress)
        case released(IPv4Address, by: MACAddress)
        case informed(IPv4Address)
        /// No address left for the client.
        case exhausted(MACAddress)
    }

    public let configuration: DHCPServerConfiguration
    /// The addresses of the static leases, kept out of the pool.
    private let staticAddresses: Set<IPv4Address>
    public private(set) var leases = DHCPLeaseTable()
    /// Messages not for this server or not understood: requests to another server, replies,
    /// a client identifier past ``maximumClientIdentifier``.
    public private(set) var ignoredMessages: UInt64 = 0
    /// What happened, oldest first, until ``takeEvents()``; at most ``eventLimit`` kept.
    private var events: [Event] = []
    /// Where the next search for a free address starts, so that a busy pool is not scanned from
    /// its start for every DISCOVER.
    private var cursor: UInt32 = 0

    /// The longest client identifier taken (RFC 2132 section 9.14 sets no limit; one option
    /// holds 255 octets).
    public static let maximumClientIdentifier = 255
    public static let eventLimit = 256

    /// - Precondition: `configuration.problem == nil`.
    public init(configuration: DHCPServerConfiguration) {
        precondition(configuration.problem == nil, "DHCP server configuration: \(configuration.problem ?? "")")
        self.configuration = configuration
        staticAddresses = Set(configuration.staticLeases.values)
    }

    /// The events since the last call.
    public mutating func takeEvents() -> [Event] {
        defer { events.removeAll() }
        return events
    }

    /// Answers a message that came to port 67, or nil when none is due.
    public mutating func receive(_ message: DHCPMessage, now: Instant) -> Reply? {
        guard message.operation == .request, let type = message.options.messageType else {
            ignoredMessages += 1
            return nil
        }
        let client = message.options.clientIdentifier ?? ([1] + message.clientHardware.bytes)
        guard client.count <= Self.maximumClientIdentifier else {
            ignoredMessages += 1
            return nil
        }
        switch type {
        case .discover: return discover(message, client: client, now: now)
        case .request: return request(message, client: client, now: now)
        case .decline: decline(message, client: client, now: now)
        case .release: release(message, client: client)
        case .inform: return inform(message)
        case .offer, .ack, .nak: ignoredMessages += 1
        }
        return nil
    }

    // MARK: The messages

    /// DHCPDISCOVER: an address is chosen and offered (section 4.3.1).
    private mutating func discover(_ message: DHCPMessage, client: [UInt8], now: Instant) -> Reply? {
        guard let address = chooseAddress(for: message, client: client, now: now) else {
            record(.exhausted(message.clientHardware))
            return nil
        }
        if case .bound? = leases.entry(for: address)?.use, leases.address(of: client) == address {
            // Already this client's: the offer leaves the lease as it is.
        } else {
            leases.assign(address, to: client, .offered(until: now + configuration.offerTime))
        }
        record(.offered(address, to: message.clientHardware))
        return reply(.offer, to: message, address: address)
    }

    /// DHCPREQUEST in SELECTING (a server identifier), INIT-REBOOT (a requested address, no
    /// `ciaddr`), or RENEWING and REBINDING (`ciaddr`) (section 4.3.2).
    private mutating func request(_ message: DHCPMessage, client: [UInt8], now: Instant) -> Reply? {
        let options = message.options
        if let server = options.serverIdentifier {
            guard server == configuration.address else {
                // The client chose another server: our offer is withdrawn.
                if let offered = leases.address(of: client), case .offered? = leases.entry(for: offered)?.use {
                    leases.release(client)
                }
                ignoredMessages += 1
                return nil
            }
            guard let requested = options.requestedAddress, leases.address(of: client) == requested,
                  leases.isAvailable(requested, to: client, at: now) || isStatic(requested, for: message) else {
                return nak(message, options.requestedAddress ?? .any, "not the address offered")
            }
            return acknowledge(message, client: client, address: requested, now: now)
        }
        let renewing = message.clientAddress != .any
        guard let address = renewing ? message.clientAddress : options.requestedAddress else {
            ignoredMessages += 1
            return nil
        }
        if isAssignable(address, for: message, client: client, now: now) {
            return acknowledge(message, client: client, address: address, now: now)
        }
        // Not the client's: refused when this server knows better, as RFC 2131 section 4.3.2
        // asks of a server whose network the address is not on, or whose binding it is not.
        guard configuration.authoritative || leases.entry(for: address) != nil else {
            ignoredMessages += 1
            return nil
        }
        let reason = !configuration.network.contains(address) ? "not on this network"
            : configuration.pool.contains(address) || staticAddresses.contains(address) ? "held by another client"
            : "not an address this server gives"
        return nak(message, address, reason)
    }

    /// DHCPDECLINE: the client found the address in use; it leaves the pool for a while.
    private mutating func decline(_ message: DHCPMessage, client: [UInt8], now: Instant) {
        guard message.options.serverIdentifier == configuration.address, let address = message.options.requestedAddress,
              leases.address(of: client) == address else {
            ignoredMessages += 1
            return
        }
        leases.decline(address, until: now + configuration.declineQuarantine)
        record(.declined(address, by: message.clientHardware))
    }

    /// DHCPRELEASE: the client gives its address back.
    private mutating func release(_ message: DHCPMessage, client: [UInt8]) {
        guard message.clientAddress != .any, leases.address(of: client) == message.clientAddress else {
            ignoredMessages += 1
            return
        }
        leases.release(client)
        record(.released(message.clientAddress, by: message.clientHardware))
    }

    /// DHCPINFORM: the options only, to a client that has its address (section 4.3.5).
    private mutating func inform(_ message: DHCPMessage) -> Reply? {
        guard message.clientAddress != .any else {
            ignoredMessages += 1
            return nil
        }
        var ack = reply(.ack, to: message, address: .any)
        ack.message.options.leaseTime = nil
        ack.message.options.renewalTime = nil
        ack.message.options.rebindingTime = nil
        record(.informed(message.clientAddress))
        return ack
    }

    // MARK: Addresses

    /// The address for a DISCOVER (section 4.3.1): the client's static lease, the address it
    /// holds, the one it asks for when free, or the next free one of the pool.
    private mutating func chooseAddress(for message: DHCPMessage, client: [UInt8], now: Instant) -> IPv4Address? {
        if let reserved = configuration.staticLeases[message.clientHardware] { return reserved }
        if let held = leases.address(of: client), configuration.pool.contains(held), leases.isAvailable(held, to: client, at: now) {
            return held
        }
        if let wanted = message.options.requestedAddress, isPoolAddressFree(wanted, for: client, now: now) { return wanted }
        let size = UInt32(configuration.poolSize)
        for step in 0 ..< size {
            let candidate = IPv4Address(value: configuration.pool.lowerBound.value + (cursor &+ step) % size)
            if isPoolAddressFree(candidate, for: client, now: now) {
                cursor = (cursor &+ step &+ 1) % size
                return candidate
            }
        }
        return nil
    }

    /// Whether `address` is in the pool, no one's static lease, and available to `client`.
    private func isPoolAddressFree(_ address: IPv4Address, for client: [UInt8], now: Instant) -> Bool {
        configuration.pool.contains(address) && !staticAddresses.contains(address)
            && leases.isAvailable(address, to: client, at: now)
    }

    /// Whether `address` is the client's static lease.
    private func isStatic(_ address: IPv4Address, for message: DHCPMessage) -> Bool {
        configuration.staticLeases[message.clientHardware] == address
    }

    /// Whether a REQUEST without server identifier may have `address`: its static lease, or an
    /// address of the pool no one else holds (the client's own after a restart of this server).
    private func isAssignable(_ address: IPv4Address, for message: DHCPMessage, client: [UInt8], now: Instant) -> Bool {
        if let reserved = configuration.staticLeases[message.clientHardware] { return reserved == address }
        return isPoolAddressFree(address, for: client, now: now)
    }

    // MARK: Replies

    private mutating func acknowledge(_ message: DHCPMessage, client: [UInt8], address: IPv4Address, now: Instant) -> Reply {
        let time = leaseTime(asked: message.options.leaseTime)
        leases.assign(address, to: client, .bound(until: now + time))
        record(.acknowledged(address, to: message.clientHardware))
        return reply(.ack, to: message, address: address, leaseTime: time)
    }

    private mutating func nak(_ message: DHCPMessage, _ address: IPv4Address, _ reason: String) -> Reply {
        var options = DHCPOptions(messageType: .nak)
        options.serverIdentifier = configuration.address
        options.message = reason
        var nak = DHCPMessage(operation: .reply, transactionID: message.transactionID, clientHardware: message.clientHardware, options: options)
        nak.relayAddress = message.relayAddress
        nak.isBroadcast = message.isBroadcast
        record(.refused(address, to: message.clientHardware, reason: reason))
        // Section 4.1: a DHCPNAK goes to the relay, or is broadcast.
        return Reply(message: nak, destination: message.relayAddress != .any ? .relay(message.relayAddress) : .broadcast)
    }

    /// The lease time for a client that asked for `asked` seconds: at least a minute, at most the
    /// maximum, the default when it asked for none.
    private func leaseTime(asked: UInt32?) -> Duration {
        guard let asked else { return configuration.leaseTime }
        return Swift.min(Swift.max(.seconds(Int64(asked)), .seconds(60)), configuration.maximumLeaseTime)
    }

    /// An OFFER or ACK with the configured options (section 4.3.1, table 3).
    private func reply(_ type: DHCPMessageType, to message: DHCPMessage, address: IPv4Address, leaseTime: Duration? = nil) -> Reply {
        let time = leaseTime ?? self.leaseTime(asked: message.options.leaseTime)
        let seconds = UInt32(clamping: time.components.seconds)
        var options = DHCPOptions(messageType: type)
        options.serverIdentifier = configuration.address
        options.leaseTime = seconds
        options.renewalTime = seconds / 2
        options.rebindingTime = UInt32(UInt64(seconds) * 7 / 8)
        options.subnetMask = configuration.network.netmask
        options.broadcastAddress = configuration.network.broadcast
        options.routers = configuration.routers
        options.domainNameServers = configuration.domainNameServers
        options.domainName = configuration.domainName
        options.interfaceMTU = configuration.interfaceMTU
        var reply = DHCPMessage(operation: .reply, transactionID: message.transactionID, clientHardware: message.clientHardware, options: options)
        reply.yourAddress = address
        reply.serverAddress = configuration.address
        reply.relayAddress = message.relayAddress
        reply.isBroadcast = message.isBroadcast
        reply.clientAddress = message.clientAddress
        let destination: Destination = if message.relayAddress != .any {
            .relay(message.relayAddress)
        } else if message.clientAddress != .any {
            .client(message.clientAddress)
        } else if message.isBroadcast {
            .broadcast
        } else {
            .hardware(address, message.clientHardware)
        }
        return Reply(message: reply, destination: destination)
    }

    private mutating func record(_ event: Event) {
        if events.count >= Self.eventLimit { events.removeFirst() }
        events.append(event)
    }
}

extension DHCPServer {
    /// Takes back the leases a store kept (``DHCPLeaseTable/restore(savedText:now:wallNow:accepting:)``),
    /// for addresses still in the pool or among the static leases.
    @discardableResult
    public mutating func restoreLeases(savedText text: String, now: Instant, wallNow: WallTime) -> (restored: Int, skipped: Int) {
        let pool = configuration.pool, statics = staticAddresses
        return leases.restore(savedText: text, now: now, wallNow: wallNow) { pool.contains($0) || statics.contains($0) }
    }
}
