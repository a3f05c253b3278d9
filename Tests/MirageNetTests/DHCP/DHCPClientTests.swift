import MirageCore
@testable import MirageNet
import Testing

/// The DHCP client core in simulated time against a scripted server (RFC 2131 section 4.4).
@Suite("DHCP client")
struct DHCPClientTests {
    static let mac = MACAddress(2, 0, 0, 0, 0, 9)
    static let server = IPv4Address(10, 0, 0, 1)
    static let offered = IPv4Address(10, 0, 0, 50)
    static let start = Instant(nanoseconds: 1_000_000_000)

    /// The message of the single `.send` in `actions`.
    static func sent(_ actions: [DHCPClient.Action]) -> (DHCPMessage, DHCPClient.Destination)? {
        let sends = actions.compactMap { action -> (DHCPMessage, DHCPClient.Destination)? in
            if case let .send(message, destination) = action { return (message, destination) }
            return nil
        }
        return sends.count == 1 ? sends[0] : nil
    }

    /// A server's reply of `type` to `request`.
    static func reply(_ type: DHCPMessageType, to request: DHCPMessage, address: IPv4Address = offered,
                      lease: UInt32 = 3600, t1: UInt32? = nil, t2: UInt32? = nil) -> DHCPMessage {
        var options = DHCPOptions(messageType: type)
        options.serverIdentifier = server
        if type != .nak {
            options.subnetMask = IPv4Address(255, 255, 255, 0)
            options.routers = [server]
            options.domainNameServers = [server, IPv4Address(9, 9, 9, 9)]
            options.domainName = "example.org"
            options.leaseTime = lease
            options.renewalTime = t1
            options.rebindingTime = t2
        } else {
            options.message = "wrong network"
        }
        var message = DHCPMessage(operation: .reply, transactionID: request.transactionID, clientHardware: request.clientHardware, options: options)
        if type != .nak { message.yourAddress = address }
        return message
    }

    /// A client bound to ``offered`` after DISCOVER, OFFER, REQUEST, ACK and two probes; returns
    /// it with the last REQUEST sent.
    static func boundClient(lease: UInt32 = 3600, probes: Int = 2) throws -> (DHCPClient, DHCPLease) {
        var configuration = DHCPClient.Configuration()
        configuration.addressProbes = probes
        var client = DHCPClient(mac: mac, configuration: configuration, seed: 42)
        let discover = try #require(sent(client.start(now: start)))
        let request = try #require(sent(client.receive(reply(.offer, to: discover.0), now: start)))
        var now = start
        var actions = client.receive(reply(.ack, to: request.0, lease: lease), now: now)
        for _ in 0 ..< probes {
            #expect(actions == [.probe(offered)])
            now = try #require(client.nextDeadline)
            actions = client.handleTimers(now: now)
        }
        guard case let .bind(lease)? = actions.first, actions.count == 1 else {
            Issue.record("expected a bind, got \(actions)")
            throw DHCPTestFailure()
        }
        return (client, lease)
    }

    struct DHCPTestFailure: Error {}

    @Test("DISCOVER, OFFER, REQUEST, ACK, two ARP probes 200 ms apart, then the lease is bound with every option")
    func acquire() throws {
        var client = DHCPClient(mac: Self.mac, seed: 7)
        let (discover, to) = try #require(Self.sent(client.start(now: Self.start)))
        #expect(to == .broadcast)
        #expect(discover.options.messageType == .discover)
        #expect(discover.isBroadcast, "replies must come to the broadcast address before we have one")
        #expect(discover.clientHardware == Self.mac)
        #expect(discover.options.clientIdentifier == [1, 2, 0, 0, 0, 0, 9])
        #expect(discover.options.parameterRequestList.contains(DHCPOptions.Code.routers))
        #expect(discover.options.maximumMessageSize == 1472)
        #expect(client.state == .selecting)

        let (request, requestTo) = try #require(Self.sent(client.receive(Self.reply(.offer, to: discover), now: Self.start)))
        #expect(requestTo == .broadcast)
        #expect(request.options.messageType == .request)
        #expect(request.options.serverIdentifier == Self.server)
        #expect(request.options.requestedAddress == Self.offered)
        #expect(request.clientAddress == .any, "ciaddr is zero in REQUESTING (RFC 2131 section 4.3.2)")
        #expect(request.transactionID == discover.transactionID)
        #expect(client.state == .requesting)

        #expect(client.receive(Self.reply(.ack, to: request), now: Self.start) == [.probe(Self.offered)])
        #expect(client.state == .probing)
        #expect(client.nextDeadline == Self.start + .milliseconds(200))
        #expect(client.handleTimers(now: Self.start + .milliseconds(200)) == [.probe(Self.offered)])
        let actions = client.handleTimers(now: Self.start + .milliseconds(400))
        guard case let .bind(lease)? = actions.first else {
            Issue.record("no bind: \(actions)")
            return
        }
        #expect(lease.address == IPv4Prefix(address: Self.offered, length: 24))
        #expect(lease.gateway == Self.server)
        #expect(lease.domainNameServers == [Self.server, IPv4Address(9, 9, 9, 9)])
        #expect(lease.domainName == "example.org")
        #expect(lease.renewsAt == Self.start + .seconds(1800))
        #expect(lease.rebindsAt == Self.start + .seconds(3150))
        #expect(lease.expiresAt == Self.start + .seconds(3600))
        #expect(client.state == .bound)
        #expect(client.nextDeadline == Self.start + .seconds(1800))
        #expect("\(lease)" == "10.0.0.50/24 from 10.0.0.1 for 3600 s, gateway 10.0.0.1, DNS 10.0.0.1 9.9.9.9, domain example.org")
    }

    @Test("replies for another transaction, another MAC, requests, and a second OFFER are ignored and counted")
    func ignoresOthers() throws {
        var client = DHCPClient(mac: Self.mac, seed: 7)
        let (discover, _) = try #require(Self.sent(client.start(now: Self.start)))
        var stranger = Self.reply(.offer, to: discover)
        stranger.transactionID &+= 1
        #expect(client.receive(stranger, now: Self.start).isEmpty)
        var otherMAC = Self.reply(.offer, to: discover)
        otherMAC.clientHardware = MACAddress(2, 0, 0, 0, 0, 10)
        #expect(client.receive(otherMAC, now: Self.start).isEmpty)
        var request = Self.reply(.offer, to: discover)
        request.operation = .request
        #expect(client.receive(request, now: Self.start).isEmpty)
        var noServer = Self.reply(.offer, to: discover)
        noServer.options.serverIdentifier = nil
        #expect(client.receive(noServer, now: Self.start).isEmpty)
        #expect(client.receive(Self.reply(.offer, to: discover, address: .broadcast), now: Self.start).isEmpty)
        #expect(client.state == .selecting)
        #expect(Self.sent(client.receive(Self.reply(.offer, to: discover), now: Self.start)) != nil)
        #expect(client.receive(Self.reply(.offer, to: discover, address: IPv4Address(10, 0, 0, 51)), now: Self.start).isEmpty)
        #expect(client.ignoredMessages == 6)
    }

    @Test("DISCOVER is retransmitted after 4, 8, 16, 32, 64, 64 s, each within ±1 s, with the same transaction and secs counting up")
    func retransmission() throws {
        var client = DHCPClient(mac: Self.mac, seed: 99)
        let (first, _) = try #require(Self.sent(client.start(now: Self.start)))
        var previous = Self.start
        for expected in [4, 8, 16, 32, 64, 64] as [Int64] {
            let deadline = try #require(client.nextDeadline)
            let delay = deadline - previous
            #expect(delay >= .seconds(expected - 1) && delay <= .seconds(expected + 1), "delay \(delay), expected \(expected) s ± 1 s")
            #expect(client.handleTimers(now: deadline + .milliseconds(-1)).isEmpty)
            let (again, _) = try #require(Self.sent(client.handleTimers(now: deadline)))
            #expect(again.transactionID == first.transactionID)
            #expect(Int64(again.seconds) == (deadline - Self.start).components.seconds)
            previous = deadline
        }
    }

    @Test("a REQUEST unanswered four times starts again with a new DISCOVER and a new transaction")
    func requestGivesUp() throws {
        var client = DHCPClient(mac: Self.mac, seed: 5)
        let (discover, _) = try #require(Self.sent(client.start(now: Self.start)))
        _ = try #require(Self.sent(client.receive(Self.reply(.offer, to: discover), now: Self.start)))
        for _ in 0 ..< 3 {
            let deadline = try #require(client.nextDeadline)
            let (again, _) = try #require(Self.sent(client.handleTimers(now: deadline)))
            #expect(again.options.messageType == .request)
        }
        let last = try #require(client.nextDeadline)
        let (restart, _) = try #require(Self.sent(client.handleTimers(now: last)))
        #expect(restart.options.messageType == .discover)
        #expect(restart.transactionID != discover.transactionID)
        #expect(client.state == .selecting)
    }

    @Test("a conflict found by an ARP probe sends DECLINE and starts again after 10 s; a conflict on another address is ignored")
    func decline() throws {
        var client = DHCPClient(mac: Self.mac, seed: 3)
        let (discover, _) = try #require(Self.sent(client.start(now: Self.start)))
        let (request, _) = try #require(Self.sent(client.receive(Self.reply(.offer, to: discover), now: Self.start)))
        #expect(client.receive(Self.reply(.ack, to: request), now: Self.start) == [.probe(Self.offered)])
        #expect(client.conflict(on: IPv4Address(10, 0, 0, 99), now: Self.start).isEmpty)
        let (decline, to) = try #require(Self.sent(client.conflict(on: Self.offered, now: Self.start + .milliseconds(50))))
        #expect(to == .broadcast)
        #expect(decline.options.messageType == .decline)
        #expect(decline.options.requestedAddress == Self.offered)
        #expect(decline.options.serverIdentifier == Self.server)
        #expect(decline.clientAddress == .any)
        #expect(client.state == .initial)
        #expect(client.lease == nil)
        #expect(client.nextDeadline == Self.start + .milliseconds(50) + .seconds(10))
        let (again, _) = try #require(Self.sent(client.handleTimers(now: Self.start + .seconds(11))))
        #expect(again.options.messageType == .discover)
    }

    @Test("at T1 a unicast REQUEST to the server with ciaddr; its ACK renews without moving the address")
    func renew() throws {
        var (client, lease) = try Self.boundClient()
        let t1 = try #require(lease.renewsAt)
        #expect(client.handleTimers(now: t1 + .seconds(-1)).isEmpty)
        let (request, to) = try #require(Self.sent(client.handleTimers(now: t1)))
        #expect(to == .server(Self.server))
        #expect(request.clientAddress == Self.offered)
        #expect(!request.isBroadcast)
        #expect(request.options.serverIdentifier == nil && request.options.requestedAddress == nil,
                "RENEWING sends neither (RFC 2131 section 4.3.2)")
        #expect(client.state == .renewing)
        // Retransmitted after half the time to T2 (1,350 s / 2), at least 60 s.
        #expect(client.nextDeadline == t1 + .seconds(675))
        let actions = client.receive(Self.reply(.ack, to: request), now: t1 + .seconds(1))
        guard case let .bind(renewed)? = actions.first else {
            Issue.record("no bind: \(actions)")
            return
        }
        #expect(renewed.address == lease.address)
        #expect(renewed.expiresAt == t1 + .seconds(3600))
        #expect(client.state == .bound)
    }

    @Test("unanswered at T2 it rebinds by broadcast; at expiry it gives the address up and discovers again")
    func rebindThenExpire() throws {
        var (client, lease) = try Self.boundClient(lease: 800)
        let t2 = try #require(lease.rebindsAt)
        let expiry = try #require(lease.expiresAt)
        let t1 = try #require(lease.renewsAt)
        _ = client.handleTimers(now: t1)
        let (rebind, to) = try #require(Self.sent(client.handleTimers(now: t2)))
        #expect(to == .broadcast)
        #expect(rebind.clientAddress == Self.offered)
        #expect(client.state == .rebinding)
        // Half the 100 s left is 50 s: below the 60 s floor, so 60 s, but not past expiry.
        #expect(client.nextDeadline == t2 + .seconds(60))
        _ = client.handleTimers(now: t2 + .seconds(60))
        let actions = client.handleTimers(now: expiry)
        #expect(actions.first == .unbind(reason: "the lease of 10.0.0.50 expired"))
        let (discover, _) = try #require(Self.sent(Array(actions.dropFirst())))
        #expect(discover.options.messageType == .discover)
        #expect(client.lease == nil)
    }

    @Test("a NAK in RENEWING gives the address up at once and discovers again; an ACK with another address moves the lease")
    func nakAndMove() throws {
        var (client, lease) = try Self.boundClient()
        let t1 = try #require(lease.renewsAt)
        let (request, _) = try #require(Self.sent(client.handleTimers(now: t1)))
        let actions = client.receive(Self.reply(.nak, to: request), now: t1)
        #expect(actions.first == .unbind(reason: "the server 10.0.0.1 refused: wrong network"))
        #expect(Self.sent(Array(actions.dropFirst()))?.0.options.messageType == .discover)

        var (other, otherLease) = try Self.boundClient()
        let otherT1 = try #require(otherLease.renewsAt)
        let (renewal, _) = try #require(Self.sent(other.handleTimers(now: otherT1)))
        let moved = other.receive(Self.reply(.ack, to: renewal, address: IPv4Address(10, 0, 0, 77)), now: otherT1)
        guard case let .bind(new)? = moved.first else {
            Issue.record("no bind: \(moved)")
            return
        }
        #expect(new.address.address == IPv4Address(10, 0, 0, 77))
        otherLease = new
    }

    @Test("with a previous address it starts in INIT-REBOOT: a broadcast REQUEST for it without server identifier")
    func initReboot() throws {
        var configuration = DHCPClient.Configuration()
        configuration.previousAddress = IPv4Address(10, 0, 0, 42)
        configuration.addressProbes = 0
        var client = DHCPClient(mac: Self.mac, configuration: configuration, seed: 1)
        let (request, to) = try #require(Self.sent(client.start(now: Self.start)))
        #expect(to == .broadcast)
        #expect(request.options.messageType == .request)
        #expect(request.options.requestedAddress == IPv4Address(10, 0, 0, 42))
        #expect(request.options.serverIdentifier == nil)
        #expect(client.state == .rebooting)
        let actions = client.receive(Self.reply(.ack, to: request, address: IPv4Address(10, 0, 0, 42)), now: Self.start)
        guard case let .bind(lease)? = actions.first else {
            Issue.record("no bind: \(actions)")
            return
        }
        #expect(lease.address.address == IPv4Address(10, 0, 0, 42))
    }

    @Test("T1 and T2 out of order fall back to 1/2 and 7/8 of the lease; an infinite lease never renews; no mask gives the class's")
    func leaseTimes() throws {
        var request = DHCPMessage(operation: .request, transactionID: 1, clientHardware: Self.mac, options: DHCPOptions())
        request.transactionID = 1
        let odd = try #require(DHCPLease(acknowledgement: Self.reply(.ack, to: request, lease: 1000, t1: 900, t2: 100), requestedAt: .zero))
        #expect(odd.renewalTime == .seconds(500) && odd.rebindingTime == .seconds(875))
        let given = try #require(DHCPLease(acknowledgement: Self.reply(.ack, to: request, lease: 1000, t1: 10, t2: 20), requestedAt: .zero))
        #expect(given.renewalTime == .seconds(10) && given.rebindingTime == .seconds(20))
        let forever = try #require(DHCPLease(acknowledgement: Self.reply(.ack, to: request, lease: .max), requestedAt: .zero))
        #expect(forever.leaseTime == nil && forever.renewsAt == nil)
        var maskless = Self.reply(.ack, to: request, address: IPv4Address(172, 16, 5, 5))
        maskless.options.subnetMask = nil
        #expect(DHCPLease(acknowledgement: maskless, requestedAt: .zero)?.address.length == 16)
        var holey = Self.reply(.ack, to: request)
        holey.options.subnetMask = IPv4Address(255, 0, 255, 0)
        #expect(DHCPLease(acknowledgement: holey, requestedAt: .zero)?.address.length == 8, "a non-contiguous mask is not used")
    }
}
