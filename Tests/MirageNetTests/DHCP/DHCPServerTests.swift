import MirageCore
@testable import MirageNet
import Testing

/// The DHCP server core against scripted clients, in simulated time (RFC 2131 section 4.3), and
/// against our own client core.
@Suite("DHCP server")
struct DHCPServerTests {
    static let server = IPv4Address(10, 0, 0, 1)
    static let start = Instant(nanoseconds: 1_000_000_000)
    static let alice = MACAddress(2, 0, 0, 0, 0, 0xA)
    static let bob = MACAddress(2, 0, 0, 0, 0, 0xB)

    static func configuration(pool: ClosedRange<IPv4Address> = IPv4Address(10, 0, 0, 50) ... IPv4Address(10, 0, 0, 52)) -> DHCPServerConfiguration {
        var configuration = DHCPServerConfiguration(address: server, network: IPv4Prefix(address: server, length: 24), pool: pool)
        configuration.routers = [server]
        configuration.domainNameServers = [server]
        configuration.domainName = "mirage.test"
        configuration.leaseTime = .seconds(600)
        return configuration
    }

    /// A client's message of `type`.
    static func message(_ type: DHCPMessageType, from mac: MACAddress, xid: UInt32 = 7, requested: IPv4Address? = nil,
                        serverID: IPv4Address? = nil, clientAddress: IPv4Address = .any, broadcast: Bool = true) -> DHCPMessage {
        var options = DHCPOptions(messageType: type)
        options.requestedAddress = requested
        options.serverIdentifier = serverID
        var message = DHCPMessage(operation: .request, transactionID: xid, clientHardware: mac, options: options)
        message.clientAddress = clientAddress
        message.isBroadcast = broadcast
        return message
    }

    /// The server's reply to `message`, which must come.
    static func answer(_ server: inout DHCPServer, _ message: DHCPMessage, now: Instant) throws -> DHCPServer.Reply {
        let reply = server.receive(message, now: now)
        return try #require(reply)
    }

    /// DISCOVER then REQUEST: the address acknowledged.
    static func lease(_ server: inout DHCPServer, for mac: MACAddress, now: Instant = start) throws -> IPv4Address {
        let offer = try Self.answer(&server, message(.discover, from: mac), now: now)
        #expect(offer.message.options.messageType == .offer)
        let address = offer.message.yourAddress
        let ack = try Self.answer(&server, message(.request, from: mac, requested: address, serverID: Self.server), now: now)
        #expect(ack.message.options.messageType == .ack)
        #expect(ack.message.yourAddress == address)
        return address
    }

    @Test("DISCOVER gets an OFFER from the pool with every option; the REQUEST for it an ACK, broadcast as the client asked")
    func offerAndAcknowledge() throws {
        var server = DHCPServer(configuration: Self.configuration())
        let offer = try Self.answer(&server, Self.message(.discover, from: Self.alice), now: Self.start)
        #expect(offer.destination == .broadcast)
        let options = offer.message.options
        #expect(offer.message.yourAddress == IPv4Address(10, 0, 0, 50))
        #expect(offer.message.transactionID == 7)
        #expect(options.messageType == .offer)
        #expect(options.serverIdentifier == Self.server)
        #expect(options.leaseTime == 600 && options.renewalTime == 300 && options.rebindingTime == 525)
        #expect(options.subnetMask == IPv4Address(255, 255, 255, 0))
        #expect(options.broadcastAddress == IPv4Address(10, 0, 0, 255))
        #expect(options.routers == [Self.server] && options.domainNameServers == [Self.server])
        #expect(options.domainName == "mirage.test")
        let ack = try Self.answer(&server, Self.message(.request, from: Self.alice, requested: offer.message.yourAddress, serverID: Self.server), now: Self.start)
        #expect(ack.message.options.messageType == .ack)
        #expect(server.leases.entry(for: IPv4Address(10, 0, 0, 50))?.use == .bound(until: Self.start + .seconds(600)))
        #expect(server.takeEvents() == [.offered(IPv4Address(10, 0, 0, 50), to: Self.alice), .acknowledged(IPv4Address(10, 0, 0, 50), to: Self.alice)])
    }

    @Test("our own client core gets a lease from the server core, renews it at T1 and keeps its address")
    func withOurClient() throws {
        var server = DHCPServer(configuration: Self.configuration())
        var configuration = DHCPClient.Configuration()
        configuration.addressProbes = 0
        var client = DHCPClient(mac: Self.alice, configuration: configuration, seed: 9)
        var now = Self.start
        var actions = client.start(now: now)
        var leases: [DHCPLease] = []
        for _ in 0 ..< 12 {
            var next: [DHCPClient.Action] = []
            for action in actions {
                switch action {
                case let .send(message, _):
                    if let reply = server.receive(message, now: now) { next += client.receive(reply.message, now: now) }
                case let .bind(lease): leases.append(lease)
                default: break
                }
            }
            actions = next
            if actions.isEmpty, let deadline = client.nextDeadline {
                now = deadline
                actions = client.handleTimers(now: now)
            }
        }
        #expect(leases.count >= 3, "bound, then renewed: \(leases)")
        #expect(Set(leases.map(\.address)) == [IPv4Prefix(address: IPv4Address(10, 0, 0, 50), length: 24)])
        #expect(leases.first?.gateway == Self.server)
    }

    @Test("a static lease goes to its MAC only, even outside the pool, and never to another client")
    func staticLease() throws {
        var configuration = Self.configuration()
        configuration.staticLeases = [Self.bob: IPv4Address(10, 0, 0, 51), Self.alice: IPv4Address(10, 0, 0, 200)]
        var server = DHCPServer(configuration: configuration)
        #expect(try Self.lease(&server, for: Self.alice) == IPv4Address(10, 0, 0, 200))
        let carol = MACAddress(2, 0, 0, 0, 0, 0xC), dave = MACAddress(2, 0, 0, 0, 0, 0xD)
        #expect(try Self.lease(&server, for: carol) == IPv4Address(10, 0, 0, 50))
        #expect(try Self.lease(&server, for: dave) == IPv4Address(10, 0, 0, 52))
        #expect(try Self.lease(&server, for: Self.bob) == IPv4Address(10, 0, 0, 51))
        // Carol asking for Bob's address at INIT-REBOOT is refused.
        let reply = try Self.answer(&server, Self.message(.request, from: carol, requested: IPv4Address(10, 0, 0, 51)), now: Self.start)
        #expect(reply.message.options.messageType == .nak)
        #expect(reply.message.options.message == "held by another client")
    }

    @Test("an exhausted pool offers nothing and says so; expired offers and leases come back")
    func exhaustion() throws {
        var server = DHCPServer(configuration: Self.configuration())
        for index in 0 ..< 3 {
            _ = try Self.answer(&server, Self.message(.discover, from: MACAddress(2, 0, 0, 0, 1, UInt8(index))), now: Self.start)
        }
        _ = server.takeEvents()
        #expect(server.receive(Self.message(.discover, from: Self.alice), now: Self.start) == nil)
        #expect(server.takeEvents() == [.exhausted(Self.alice)])
        // The offers lapse after 30 s.
        let later = Self.start + .seconds(31)
        #expect(try Self.lease(&server, for: Self.alice, now: later) != .any)
        var table = server.leases
        #expect(table.removeLapsed(at: later) == 2)
    }

    @Test("a flood of DISCOVERs from ten thousand MACs holds at most the pool's entries", arguments: [UInt64(0x5EED)])
    func flood(seed: UInt64) throws {
        print("DHCP server flood seed: \(seed)")
        var server = DHCPServer(configuration: Self.configuration(pool: IPv4Address(10, 0, 0, 10) ... IPv4Address(10, 0, 0, 209)))
        var random = seed
        var now = Self.start
        for _ in 0 ..< 10_000 {
            random = random &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let mac = MACAddress(2, UInt8(truncatingIfNeeded: random >> 8), UInt8(truncatingIfNeeded: random >> 16),
                                 UInt8(truncatingIfNeeded: random >> 24), UInt8(truncatingIfNeeded: random >> 32), UInt8(truncatingIfNeeded: random >> 40))
            _ = server.receive(Self.message(.discover, from: mac, requested: IPv4Address(value: UInt32(truncatingIfNeeded: random >> 20))), now: now)
            now = now + .milliseconds(5)
            #expect(server.leases.entries.count <= 200)
        }
        #expect(server.takeEvents().count <= DHCPServer.eventLimit)
    }

    @Test("REQUEST naming another server withdraws our offer; naming us with another address is refused")
    func selecting() throws {
        var server = DHCPServer(configuration: Self.configuration())
        let offer = try Self.answer(&server, Self.message(.discover, from: Self.alice), now: Self.start)
        #expect(server.receive(Self.message(.request, from: Self.alice, requested: IPv4Address(10, 0, 0, 99), serverID: IPv4Address(10, 0, 0, 9)), now: Self.start) == nil)
        #expect(server.leases.entry(for: offer.message.yourAddress) == nil)
        let nak = try Self.answer(&server, Self.message(.request, from: Self.alice, requested: IPv4Address(10, 0, 0, 51), serverID: Self.server), now: Self.start)
        #expect(nak.message.options.messageType == .nak && nak.destination == .broadcast)
    }

    @Test("INIT-REBOOT and RENEWING: the client's own address is acknowledged (also after the server forgot it), another network's refused")
    func rebootAndRenew() throws {
        var server = DHCPServer(configuration: Self.configuration())
        let address = try Self.lease(&server, for: Self.alice)
        let renewal = try Self.answer(&server, Self.message(.request, from: Self.alice, clientAddress: address, broadcast: false), now: Self.start + .seconds(300))
        #expect(renewal.message.options.messageType == .ack)
        #expect(renewal.destination == .client(address))
        #expect(server.leases.entry(for: address)?.use == .bound(until: Self.start + .seconds(900)))
        // A server that lost its table acknowledges a free pool address at INIT-REBOOT.
        var restarted = DHCPServer(configuration: Self.configuration())
        let reboot = try Self.answer(&restarted, Self.message(.request, from: Self.alice, requested: address), now: Self.start)
        #expect(reboot.message.options.messageType == .ack && reboot.message.yourAddress == address)
        let moved = try Self.answer(&restarted, Self.message(.request, from: Self.bob, requested: IPv4Address(192, 168, 1, 7)), now: Self.start)
        #expect(moved.message.options.messageType == .nak)
        #expect(moved.message.options.message == "not on this network")
        // Not authoritative, it stays silent about addresses it knows nothing of.
        var configuration = Self.configuration()
        configuration.authoritative = false
        var polite = DHCPServer(configuration: configuration)
        #expect(polite.receive(Self.message(.request, from: Self.bob, requested: IPv4Address(192, 168, 1, 7)), now: Self.start) == nil)
    }

    @Test("DECLINE takes the address out of the pool for the quarantine; the next client gets another")
    func declined() throws {
        var server = DHCPServer(configuration: Self.configuration())
        let address = try Self.lease(&server, for: Self.alice)
        #expect(server.receive(Self.message(.decline, from: Self.alice, requested: address, serverID: Self.server), now: Self.start) == nil)
        #expect(server.takeEvents().last == .declined(address, by: Self.alice))
        let next = try Self.lease(&server, for: Self.alice, now: Self.start + .seconds(1))
        #expect(next != address)
        #expect(server.leases.entry(for: address)?.use == .declined(until: Self.start + .seconds(600)))
        // A DECLINE from a client that does not hold the address changes nothing.
        #expect(server.receive(Self.message(.decline, from: Self.bob, requested: next, serverID: Self.server), now: Self.start) == nil)
        #expect(server.leases.address(of: [1] + Self.alice.bytes) == next)
    }

    @Test("RELEASE frees the address; INFORM gets the options without a lease, to ciaddr")
    func releaseAndInform() throws {
        var server = DHCPServer(configuration: Self.configuration())
        let address = try Self.lease(&server, for: Self.alice)
        #expect(server.receive(Self.message(.release, from: Self.alice, serverID: Self.server, clientAddress: address), now: Self.start) == nil)
        #expect(server.leases.entry(for: address) == nil)
        let inform = try Self.answer(&server, Self.message(.inform, from: Self.bob, clientAddress: IPv4Address(10, 0, 0, 7), broadcast: false), now: Self.start)
        #expect(inform.message.options.messageType == .ack && inform.message.options.leaseTime == nil)
        #expect(inform.message.yourAddress == .any && inform.destination == .client(IPv4Address(10, 0, 0, 7)))
        #expect(inform.message.options.domainName == "mirage.test")
    }

    @Test("a client asking for a lease time gets it within a minute and the maximum; replies through a relay go back to it")
    func leaseTimesAndRelay() throws {
        var server = DHCPServer(configuration: Self.configuration())
        var discover = Self.message(.discover, from: Self.alice)
        discover.options.leaseTime = 10
        discover.relayAddress = IPv4Address(10, 0, 0, 254)
        let offer = try Self.answer(&server, discover, now: Self.start)
        #expect(offer.message.options.leaseTime == 60)
        #expect(offer.destination == .relay(IPv4Address(10, 0, 0, 254)))
        discover.options.leaseTime = 1_000_000
        #expect(server.receive(discover, now: Self.start)?.message.options.leaseTime == 86_400)
        discover.isBroadcast = false
        discover.relayAddress = .any
        #expect(server.receive(discover, now: Self.start)?.destination == .hardware(offer.message.yourAddress, Self.alice))
    }

    @Test("configurations that cannot serve are named", arguments: [
        ("pool outside", IPv4Address(10, 0, 1, 5) ... IPv4Address(10, 0, 1, 9), "is not inside 10.0.0.0/24"),
        ("pool with server", IPv4Address(10, 0, 0, 1) ... IPv4Address(10, 0, 0, 9), "holds the server's address"),
        ("pool with network", IPv4Address(10, 0, 0, 0) ... IPv4Address(10, 0, 0, 9), "the network's own or broadcast"),
    ])
    func badConfigurations(name: String, pool: ClosedRange<IPv4Address>, problem: String) {
        let configuration = Self.configuration(pool: pool)
        #expect(configuration.problem?.contains(problem) == true, "\(name): \(configuration.problem ?? "none")")
    }

    @Test("replies and messages without a type are ignored and counted")
    func ignored() {
        var server = DHCPServer(configuration: Self.configuration())
        var reply = Self.message(.offer, from: Self.alice)
        reply.operation = .reply
        #expect(server.receive(reply, now: Self.start) == nil)
        #expect(server.receive(DHCPMessage(operation: .request, transactionID: 1, clientHardware: Self.alice, options: DHCPOptions()), now: Self.start) == nil)
        #expect(server.ignoredMessages == 2)
    }
}
