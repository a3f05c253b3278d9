import MirageCore
import MirageNet
import Testing

/// Addresses, router advertisements and routes of one IPv6 interface (RFC 4861, RFC 4862).
struct IPv6InterfaceTests {
    static let mac = MACAddress(0x52, 0x54, 0, 0x12, 0x34, 0x56)
    static let router = IPv6Address(0xfe80, 0, 0, 0, 0, 0, 0, 1)
    static let prefix = IPv6Address(0x2001, 0xdb8, 1, 0, 0, 0, 0, 0)

    func at(_ seconds: Double) -> Instant { Instant(nanoseconds: UInt64(seconds * 1e9)) }

    /// An interface whose first probes go at once, for tests that follow the timers by the second.
    func immediateInterface(_ configuration: IPv6Configuration = IPv6Configuration()) -> IPv6Interface {
        var immediate = configuration
        immediate.firstProbeDelayLimit = .zero
        return IPv6Interface(configuration: immediate, mac: Self.mac, mtu: 1500, now: at(0), seed: 1)
    }

    func advertisement(prefix: IPv6Address = Self.prefix, valid: UInt32 = 86400, preferred: UInt32 = 14400,
                       routerLifetime: UInt16 = 1800) -> ICMPv6Message.RouterAdvertisement {
        ICMPv6Message.RouterAdvertisement(routerLifetime: routerLifetime, options: [
            .prefixInformation(.init(prefix: prefix, prefixLength: 64, onLink: true, autonomous: true,
                                     validLifetime: valid, preferredLifetime: preferred)),
            .mtu(1400),
        ])
    }

    @Test("the link-local address is fe80:: and the modified EUI-64 (RFC 4291 appendix A); tentative until one probe goes unanswered for a second")
    func linkLocalAfterDuplicateAddressDetection() {
        var interface = immediateInterface()
        let linkLocal = IPv6Address("fe80::5054:ff:fe12:3456")!
        #expect(interface.takeEvents() == [.added(linkLocal)])
        #expect(interface.linkLocalAddress == nil)
        #expect(interface.reception(of: linkLocal) == nil)
        #expect(interface.reception(of: linkLocal.solicitedNode) == .multicast)
        interface.handleTimers(now: at(0))
        #expect(interface.takeEvents() == [.reportAgain(linkLocal), .probe(linkLocal)])
        interface.handleTimers(now: at(1))
        #expect(interface.takeEvents() == [.ready(linkLocal), .solicitRouters])
        #expect(interface.linkLocalAddress == linkLocal)
        #expect(interface.reception(of: linkLocal) == .unicast)
    }

    @Test("each first probe waits a random delay under a second after its group is joined, drawn from the seed (RFC 4862 section 5.4.2)")
    func firstProbeDelay() {
        let fixed = IPv6Prefix(address: IPv6Address("2001:db8::2")!, length: 64)
        var delays: Set<Instant> = []
        for seed in UInt64(1) ... 20 {
            var interface = IPv6Interface(configuration: IPv6Configuration(mode: .fixed(fixed)), mac: Self.mac, mtu: 1500, now: at(5), seed: seed)
            #expect(interface.takeEvents().count == 2) // both groups joined at once
            let due = interface.nextDeadline!
            #expect(due >= at(5) && due < at(6))
            delays.insert(due)
            var probed: [IPv6Address] = []
            var now = at(5)
            while probed.count < 2, now < at(6) {
                interface.handleTimers(now: now)
                for event in interface.takeEvents() {
                    if case let .probe(address) = event { probed.append(address) }
                    if case .reportAgain = event { #expect(probed.count < 2) }
                }
                now = now + .milliseconds(1)
            }
            #expect(Set(probed) == [fixed.address, IPv6Address("fe80::5054:ff:fe12:3456")!])
            interface.handleTimers(now: at(7))
            #expect(interface.addresses.allSatisfy { !$0.isTentative })
        }
        #expect(delays.count > 10, "the delays differ with the seed")
        var again = IPv6Interface(configuration: IPv6Configuration(mode: .fixed(fixed)), mac: Self.mac, mtu: 1500, now: at(5), seed: 3)
        var first = IPv6Interface(configuration: IPv6Configuration(mode: .fixed(fixed)), mac: Self.mac, mtu: 1500, now: at(5), seed: 3)
        #expect(again.nextDeadline == first.nextDeadline, "the same seed, the same delays")
    }

    @Test("a router advertisement gives a default router, the link MTU, an on-link prefix and a SLAAC address from it")
    func slaac() {
        var interface = immediateInterface()
        interface.handleTimers(now: at(0))
        interface.handleTimers(now: at(1))
        _ = interface.takeEvents()
        interface.receiveRouterAdvertisement(advertisement(), from: Self.router, now: at(2))
        let formed = IPv6Address("2001:db8:1::5054:ff:fe12:3456")!
        #expect(interface.takeEvents() == [.added(formed)])
        #expect(interface.linkMTU == 1400)
        #expect(interface.routers.map(\.address) == [Self.router])
        #expect(interface.nextHop(for: IPv6Address("2001:db8:1::9")!) == IPv6Address("2001:db8:1::9")!)
        #expect(interface.nextHop(for: IPv6Address("2001:db8:99::9")!) == Self.router)
        interface.handleTimers(now: at(2))
        interface.handleTimers(now: at(3))
        #expect(interface.takeEvents() == [.reportAgain(formed), .probe(formed), .ready(formed)])
        #expect(interface.sourceAddress(for: IPv6Address("2001:db8:99::9")!, now: at(4)) == formed)
        #expect(interface.sourceAddress(for: Self.router, now: at(4)) == interface.linkLocalAddress)
        // Router lifetime 0: no longer a default router.
        interface.receiveRouterAdvertisement(advertisement(routerLifetime: 0), from: Self.router, now: at(5))
        #expect(interface.route(to: IPv6Address("2001:db8:99::9")!, now: at(5)) == nil)
    }

    @Test("the default router is the most preferred one advertised (RFC 4191 section 3.2), the first learnt among equals; the reserved preference counts as medium")
    func routerPreferences() {
        var interface = immediateInterface()
        let low = IPv6Address("fe80::a")!, medium = IPv6Address("fe80::b")!, high = IPv6Address("fe80::c")!, reserved = IPv6Address("fe80::d")!
        func advertise(from router: IPv6Address, preferenceBits: UInt8, lifetime: UInt16 = 1800) {
            var advertisement = ICMPv6Message.RouterAdvertisement(routerLifetime: lifetime)
            advertisement.otherFlags = preferenceBits << 3
            interface.receiveRouterAdvertisement(advertisement, from: router, now: at(1))
        }
        let offLink = IPv6Address("2001:db8:99::9")!
        advertise(from: low, preferenceBits: 0b11)
        #expect(interface.nextHop(for: offLink) == low)
        advertise(from: reserved, preferenceBits: 0b10)
        advertise(from: medium, preferenceBits: 0b00)
        #expect(interface.nextHop(for: offLink) == reserved) // medium, and learnt first
        advertise(from: high, preferenceBits: 0b01)
        #expect(interface.nextHop(for: offLink) == high)
        advertise(from: high, preferenceBits: 0b11) // now low
        #expect(interface.nextHop(for: offLink) == reserved)
        advertise(from: reserved, preferenceBits: 0b10, lifetime: 0)
        #expect(interface.nextHop(for: offLink) == medium)
    }

    @Test("a short valid lifetime in an advertisement cuts an address's only down to two hours (RFC 4862 section 5.5.3 e)")
    func twoHourRule() {
        var interface = immediateInterface()
        interface.receiveRouterAdvertisement(advertisement(), from: Self.router, now: at(0))
        interface.receiveRouterAdvertisement(advertisement(valid: 10, preferred: 0), from: Self.router, now: at(10))
        let entry = interface.addresses.first { $0.origin == .autoconfigured }
        #expect(entry?.validUntil == at(10 + 7200))
        interface.handleTimers(now: at(10 + 7200))
        #expect(!interface.addresses.contains { $0.origin == .autoconfigured })
    }

    @Test("advertised prefixes, SLAAC addresses and routers are capped: forged advertisements cannot grow them")
    func bounded() {
        var interface = immediateInterface()
        for index in 0 ..< 500 {
            let router = IPv6Address(0xfe80, 0, 0, 0, 0, 0, 1, UInt16(index))
            interface.receiveRouterAdvertisement(advertisement(prefix: IPv6Address(0x2001, 0xdb8, UInt16(index), 0, 0, 0, 0, 0)),
                                                 from: router, now: at(Double(index)))
        }
        #expect(interface.prefixes.count == 8)
        #expect(interface.routers.count == 4)
        #expect(interface.addresses.filter { $0.origin == .autoconfigured }.count == 4)
        #expect(interface.refusedAdvertisements > 0)
    }

    @Test("a duplicate tentative address is given up; one already in use is not")
    func duplicates() {
        let fixed = IPv6Prefix(address: IPv6Address("2001:db8::2")!, length: 64)
        var interface = immediateInterface(IPv6Configuration(mode: .fixed(fixed)))
        _ = interface.takeEvents()
        let given = interface.duplicateDetected(fixed.address)
        #expect(given)
        #expect(interface.takeEvents() == [.duplicate(fixed.address), .removed(fixed.address)])
        interface.handleTimers(now: at(0))
        interface.handleTimers(now: at(1))
        let linkLocal = interface.linkLocalAddress!
        let inUse = interface.duplicateDetected(linkLocal)
        #expect(!inUse)
        #expect(interface.duplicateAddresses == 1)
    }

    @Test("a fixed address puts its prefix on the link; a gateway given by hand routes the rest; disabled means no route at all")
    func fixedAndDisabled() {
        let fixed = IPv6Prefix(address: IPv6Address("2001:db8::2")!, length: 64)
        var interface = immediateInterface(IPv6Configuration(mode: .fixed(fixed), gateway: Self.router))
        interface.handleTimers(now: at(0))
        interface.handleTimers(now: at(1))
        #expect(interface.route(to: IPv6Address("2001:db8::7")!, now: at(1))?.hop == IPv6Address("2001:db8::7")!)
        #expect(interface.route(to: IPv6Address("2001:db9::7")!, now: at(1))?.hop == Self.router)
        let disabled = IPv6Interface(configuration: IPv6Configuration(mode: .disabled), mac: Self.mac, mtu: 1500, now: at(0), seed: 1)
        #expect(disabled.addresses.isEmpty)
        #expect(disabled.route(to: IPv6Address("fe80::1")!, now: at(1)) == nil)
    }

    @Test("RDNSS servers are kept for their lifetime, withdrawn with lifetime 0, at most three, the newest first (RFC 8106 section 5.3.1)")
    func recursiveDNSServers() {
        var interface = immediateInterface()
        func advertise(_ servers: [String], lifetime: UInt32, at seconds: Double) {
            interface.receiveRouterAdvertisement(ICMPv6Message.RouterAdvertisement(routerLifetime: 1800, options: [
                .recursiveDNSServers(lifetime: lifetime, servers: servers.map { IPv6Address($0)! }),
            ]), from: Self.router, now: at(seconds))
        }
        var servers: [String] { interface.dnsServers.map(\.address.description) }
        advertise(["2001:db8::53", "ff02::1", "::", "fe80::1"], lifetime: 600, at: 1)
        #expect(servers == ["2001:db8::53", "fe80::1"])
        #expect(interface.nextDeadline.map { $0 <= at(601) } == true)
        advertise(["2001:db8::54"], lifetime: 100, at: 2)
        #expect(servers == ["2001:db8::54", "2001:db8::53", "fe80::1"])
        // A fourth pushes out the one that expires first.
        advertise(["2001:db8::55"], lifetime: UInt32.max, at: 3)
        #expect(servers == ["2001:db8::55", "2001:db8::53", "fe80::1"])
        advertise(["fe80::1"], lifetime: 0, at: 4)
        #expect(servers == ["2001:db8::55", "2001:db8::53"])
        interface.handleTimers(now: at(601))
        #expect(servers == ["2001:db8::55"])
    }
}
