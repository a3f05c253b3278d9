import MirageCore

/// A DHCP client (RFC 2131 section 4.4) as a pure core: messages, ARP conflicts and the time go in,
/// and ``Action``s come out: messages to send, ARP probes, and the lease to bind or give up. It
/// reads no clock and draws no randomness: the time comes with each call and a seed at creation
/// (transaction IDs and the retransmission jitter come from it).
///
/// The states are RFC 2131 figure 5's: INIT-REBOOT and REBOOTING with a previous address, else
/// INIT, SELECTING (the first acceptable DHCPOFFER wins) and REQUESTING; then, before the address
/// is used, a check that no one else holds it (``State/probing``, RFC 5227 ARP probes; a conflict
/// sends DHCPDECLINE and starts again after 10 s, section 3.1 step 5); BOUND until T1, RENEWING
/// (unicast to the server) until T2, REBINDING (broadcast) until the lease expires, and INIT again.
/// Requests are retransmitted after 4 s, doubling to 64 s, each ±1 s (section 4.1); in RENEWING and
/// REBINDING after half the time left to T2 or expiry, at least 60 s (section 4.4.5).
public struct DHCPClient {
    public enum State: Hashable, Sendable {
        case initial, selecting, requesting, probing, bound, renewing, rebinding, rebooting
    }

    /// Where a message goes.
    public enum Destination: Hashable, Sendable {
        /// To 255.255.255.255, from our address when bound (REBINDING), else from 0.0.0.0.
        case broadcast
        /// To the server, from our address (RENEWING, DHCPRELEASE).
        case server(IPv4Address)
    }

    /// What the shell must do.
    public enum Action: Hashable, Sendable {
        /// Send the message from port 68 to port 67 at `destination`.
        case send(DHCPMessage, to: Destination)
        /// Send an ARP probe for the address (RFC 5227 section 2.1.1: sender address 0.0.0.0).
        case probe(IPv4Address)
        /// Use the lease: a new one, a renewed one, or one with another address.
        case bind(DHCPLease)
        /// Stop using the address: the lease expired or the server refused it.
        case unbind(reason: String)
    }

    public struct Configuration: Sendable {
        /// Option 12, the name we ask for.
        public var hostName: String?
        /// An address held before: asked for first (INIT-REBOOT).
        public var previousAddress: IPv4Address?
        /// ARP probes sent for an offered address before it is used; 0 uses it at once.
        public var addressProbes = 2
        /// The time between probes, and after the last before the address counts as free.
        /// RFC 5227 asks for 1 to 2 s between three probes; a unikernel that boots in
        /// milliseconds takes 2 probes 200 ms apart (DHCP servers probe before offering too).
        public var probeInterval = Duration.milliseconds(200)
        /// The first retransmission delay and the longest (RFC 2131 section 4.1).
        public var firstRetransmission = Duration.seconds(4)
        public var longestRetransmission = Duration.seconds(64)
        /// DHCPREQUESTs sent in REQUESTING and REBOOTING before starting again with DHCPDISCOVER.
        public var requestAttempts = 4
        /// The interface MTU, for option 57 (the longest message we take: the MTU less the IPv4
        /// and UDP headers).
        public var mtu = 1500
        public init() {}
    }

    public let mac: MACAddress
    public let configuration: Configuration
    public private(set) var state: State = .initial
    /// The lease in use (BOUND, RENEWING, REBINDING).
    public private(set) var lease: DHCPLease?
    /// Messages received that were not for this exchange or could not be used.
    public private(set) var ignoredMessages: UInt64 = 0
    private var random: SplitMix64
    private var transactionID: UInt32 = 0
    /// When the current exchange began, for `secs`.
    private var exchangeStart = Instant.zero
    /// When the request being answered was first sent: the lease counts from it.
    private var requestSent = Instant.zero
    private var attempts = 0
    private var deadline: Instant?
    /// The offer being requested or probed: its address and server.
    private var offered: (address: IPv4Address, server: IPv4Address)?
    private var acknowledged: DHCPLease?
    private var probesSent = 0

    /// - Parameter seed: 64 random bits, from which transaction IDs and jitter are drawn.
    public init(mac: MACAddress, configuration: Configuration = Configuration(), seed: UInt64) {
        self.mac = mac
        self.configuration = configuration
        random = SplitMix64(seed: seed)
    }

    /// When ``handleTimers(now:)`` next has work.
    public var nextDeadline: Instant? { deadline }

    /// Starts acquiring an address: DHCPREQUEST for the previous address (INIT-REBOOT), or
    /// DHCPDISCOVER.
    public mutating func start(now: Instant) -> [Action] {
        if let previous = configuration.previousAddress {
            beginExchange(now: now)
            state = .rebooting
            offered = (previous, .any)
            return [retransmit(sendRequest(now: now), now: now)]
        }
        return discover(now: now)
    }

    // MARK: Messages in

    /// Takes a message that came to port 68.
    public mutating func receive(_ message: DHCPMessage, now: Instant) -> [Action] {
        guard message.operation == .reply, message.transactionID == transactionID, message.clientHardware == mac,
              let type = message.options.messageType else {
            ignoredMessages += 1
            return []
        }
        switch (state, type) {
        case (.selecting, .offer):
            let address = message.yourAddress
            guard let server = message.options.serverIdentifier, Self.isHostAddress(address) else { break }
            offered = (address, server)
            state = .requesting
            attempts = 0
            requestSent = now
            return [retransmit(sendRequest(now: now), now: now)]
        case (.requesting, .ack), (.rebooting, .ack):
            guard let new = DHCPLease(acknowledgement: message, requestedAt: requestSent),
                  state == .rebooting || new.address.address == offered?.address else { break }
            return probe(new, now: now)
        case (.renewing, .ack), (.rebinding, .ack):
            guard let new = DHCPLease(acknowledgement: message, requestedAt: requestSent) else { break }
            return bind(new, now: now)
        case (.requesting, .nak), (.rebooting, .nak), (.renewing, .nak), (.rebinding, .nak):
            guard state != .requesting || message.options.serverIdentifier == offered?.server else { break }
            let reason = "the server \(message.options.serverIdentifier.map { "\($0)" } ?? "") refused"
                + (message.options.message.map { ": \($0)" } ?? "")
            let wasBound = lease != nil
            lease = nil
            return (wasBound ? [.unbind(reason: reason)] : []) + discover(now: now)
        default:
            break
        }
        ignoredMessages += 1
        return []
    }

    /// Takes an ARP packet that says another host uses `address` (a reply or request from it, or
    /// its own probe for the address: RFC 5227 section 2.1.1); while probing that address, it is
    /// declined.
    public mutating func conflict(on address: IPv4Address, now: Instant) -> [Action] {
        guard state == .probing, let acknowledged, acknowledged.address.address == address else { return [] }
        var decline = message(.decline)
        decline.options.requestedAddress = address
        decline.options.serverIdentifier = acknowledged.server
        decline.options.message = "address in use"
        self.acknowledged = nil
        offered = nil
        state = .initial
        // RFC 2131 section 3.1 step 5: wait at least 10 s before starting again.
        deadline = now + .seconds(10)
        return [.send(decline, to: .broadcast)]
    }

    // MARK: Timers

    /// Retransmits, moves to RENEWING, REBINDING or INIT as the lease's times pass, ends probing.
    public mutating func handleTimers(now: Instant) -> [Action] {
        guard let deadline, deadline <= now else { return [] }
        self.deadline = nil
        switch state {
        case .initial:
            return discover(now: now)
        case .selecting:
            return [retransmit(sendDiscover(now: now), now: now)]
        case .requesting, .rebooting:
            guard attempts < configuration.requestAttempts else { return discover(now: now) }
            return [retransmit(sendRequest(now: now), now: now)]
        case .probing:
            guard let acknowledged else { return discover(now: now) }
            if probesSent < configuration.addressProbes {
                probesSent += 1
                self.deadline = now + configuration.probeInterval
                return [.probe(acknowledged.address.address)]
            }
            return bind(acknowledged, now: now)
        case .bound, .renewing, .rebinding:
            return leaseTimer(now: now)
        }
    }

    /// T1, T2 and expiry (RFC 2131 section 4.4.5).
    private mutating func leaseTimer(now: Instant) -> [Action] {
        guard let lease, let expires = lease.expiresAt, let t1 = lease.renewsAt, let t2 = lease.rebindsAt else { return [] }
        if now >= expires {
            self.lease = nil
            return [.unbind(reason: "the lease of \(lease.address.address) expired")] + discover(now: now)
        }
        if now >= t2 {
            if state != .rebinding { beginExchange(now: now) }
            state = .rebinding
            deadline = now + Swift.max((expires - now) / 2, .seconds(60)).clamped(below: expires - now)
        } else if now >= t1 {
            if state != .renewing { beginExchange(now: now) }
            state = .renewing
            deadline = now + Swift.max((t2 - now) / 2, .seconds(60)).clamped(below: t2 - now)
        } else {
            deadline = t1
            return []
        }
        requestSent = now
        return [sendRequest(now: now)]
    }

    // MARK: Steps

    private mutating func discover(now: Instant) -> [Action] {
        beginExchange(now: now)
        state = .selecting
        offered = nil
        acknowledged = nil
        return [retransmit(sendDiscover(now: now), now: now)]
    }

    private mutating func probe(_ new: DHCPLease, now: Instant) -> [Action] {
        acknowledged = new
        state = .probing
        probesSent = 0
        deadline = now
        return handleTimers(now: now)
    }

    private mutating func bind(_ new: DHCPLease, now: Instant) -> [Action] {
        lease = new
        acknowledged = nil
        state = .bound
        deadline = new.renewsAt
        // A server may give T1 in the past (a zero lease); the timer then renews at once.
        if let t1 = new.renewsAt, t1 <= now { deadline = now }
        return [.bind(new)]
    }

    private mutating func beginExchange(now: Instant) {
        transactionID = UInt32(truncatingIfNeeded: random.next() >> 32)
        exchangeStart = now
        requestSent = now
        attempts = 0
    }

    /// Counts an attempt and sets the next retransmission: 4 s, 8 s ... 64 s, each ±1 s.
    private mutating func retransmit(_ action: Action, now: Instant) -> Action {
        let doubling = Swift.min(attempts, 8)
        attempts += 1
        let delay = Swift.min(configuration.firstRetransmission * (1 << doubling), configuration.longestRetransmission)
        let jitter = Duration.milliseconds(Int64(random.next() % 2001) - 1000)
        deadline = now + Swift.max(delay + jitter, .milliseconds(100))
        return action
    }

    private mutating func sendDiscover(now: Instant) -> Action {
        var discover = message(.discover, now: now)
        discover.isBroadcast = true
        discover.options.requestedAddress = configuration.previousAddress
        return .send(discover, to: .broadcast)
    }

    /// DHCPREQUEST as RFC 2131 section 4.3.2's table has it for the state.
    private mutating func sendRequest(now: Instant) -> Action {
        var request = message(.request, now: now)
        switch state {
        case .requesting:
            request.isBroadcast = true
            request.options.serverIdentifier = offered?.server
            request.options.requestedAddress = offered?.address
            return .send(request, to: .broadcast)
        case .rebooting:
            request.isBroadcast = true
            request.options.requestedAddress = offered?.address
            return .send(request, to: .broadcast)
        case .renewing:
            request.clientAddress = lease?.address.address ?? .any
            return .send(request, to: .server(lease?.server ?? .broadcast))
        default:
            request.clientAddress = lease?.address.address ?? .any
            return .send(request, to: .broadcast)
        }
    }

    /// A message of `type` with our transaction, hardware address, client identifier, host name and
    /// the options we ask for.
    private func message(_ type: DHCPMessageType, now: Instant? = nil) -> DHCPMessage {
        var options = DHCPOptions(messageType: type)
        options.clientIdentifier = [1] + mac.bytes
        if type == .discover || type == .request {
            options.parameterRequestList = [
                DHCPOptions.Code.subnetMask, DHCPOptions.Code.routers, DHCPOptions.Code.domainNameServers,
                DHCPOptions.Code.hostName, DHCPOptions.Code.domainName, DHCPOptions.Code.interfaceMTU,
                DHCPOptions.Code.broadcastAddress, DHCPOptions.Code.leaseTime, DHCPOptions.Code.serverIdentifier,
                DHCPOptions.Code.renewalTime, DHCPOptions.Code.rebindingTime,
            ]
            options.maximumMessageSize = UInt16(clamping: Swift.max(configuration.mtu - 28, 576))
            options.hostName = configuration.hostName
        }
        var message = DHCPMessage(operation: .request, transactionID: transactionID, clientHardware: mac, options: options)
        if let now { message.seconds = UInt16(clamping: (now - exchangeStart).components.seconds) }
        return message
    }

    /// Whether a server may give `address` to a host.
    static func isHostAddress(_ address: IPv4Address) -> Bool {
        !address.isUnspecified && !address.isBroadcast && !address.isMulticast && !address.isLoopback
    }
}

extension Duration {
    /// This duration, or `limit` when that is shorter (and not negative).
    func clamped(below limit: Duration) -> Duration {
        limit > .zero && limit < self ? limit : self
    }
}
