import MirageCore
@testable import MirageNet
import Testing

/// Hostile IPv6 input to a stack core: neighbour discovery spoofed from off the link, forged
/// router advertisements and solicitations in floods, extension-header-heavy and refused packets.
/// Every table stays within its cap and every drop is counted.
struct IPv6HostileTests {
    static let mac = MACAddress(2, 0, 0, 0, 0, 2)
    static let attackerMAC = MACAddress(2, 0, 0, 0, 0, 66)
    static let ours = IPv6Address("2001:db8::2")!
    static let attacker = IPv6Address("2001:db8::66")!

    func at(_ seconds: Double) -> Instant { Instant(nanoseconds: UInt64(seconds * 1e9)) }

    /// A core with 2001:db8::2/64 past duplicate address detection (its probe sent at once).
    func core() -> StackCore {
        var configuration = StackConfiguration(address: IPv4Prefix(address: IPv4Address(10, 0, 0, 2), length: 24))
        configuration.ipv6 = IPv6Configuration(mode: .fixed(IPv6Prefix(address: Self.ours, length: 64)))
        configuration.ipv6.firstProbeDelayLimit = .zero
        var core = StackCore(configuration: configuration, mac: Self.mac, mtu: 1500, key: (1, 2), now: at(0))
        core.start(now: at(0))
        core.handleTimers(now: at(0))
        core.handleTimers(now: at(1))
        _ = core.takeFrames()
        return core
    }

    /// An Ethernet frame carrying an IPv6 packet of `payload` after `nextHeader`.
    static func frame(_ payload: [UInt8], nextHeader: IPProtocol, from source: IPv6Address, to destination: IPv6Address,
                      hopLimit: UInt8 = 255, macDestination: MACAddress? = nil) -> PacketBuffer {
        var header = IPv6Header(payloadLength: UInt16(payload.count), nextHeader: nextHeader, source: source, destination: destination)
        header.hopLimit = hopLimit
        var bytes = [UInt8](repeating: 0, count: EthernetHeader.untaggedLength + IPv6Header.length) + payload
        bytes.withUnsafeMutableBytes { raw in
            EthernetHeader(destination: macDestination ?? (destination.isMulticast ? destination.multicastMAC : mac),
                           source: attackerMAC, etherType: .ipv6).emit(into: raw)
            header.emit(into: UnsafeMutableRawBufferPointer(rebasing: raw[EthernetHeader.untaggedLength...]))
        }
        return PacketBuffer(bytes)
    }

    static func icmp(_ message: ICMPv6Message, from source: IPv6Address, to destination: IPv6Address, hopLimit: UInt8 = 255) -> PacketBuffer {
        frame(message.encoded(source: source, destination: destination), nextHeader: .icmpv6, from: source, to: destination, hopLimit: hopLimit)
    }

    static func advertisement(prefix index: Int) -> ICMPv6Message {
        ICMPv6Message(.routerAdvertisement(.init(routerLifetime: 1800, options: [
            .prefixInformation(.init(prefix: IPv6Address(0x2001, 0xdb8, 0x100, UInt16(index), 0, 0, 0, 0), prefixLength: 64,
                                     onLink: true, autonomous: true, validLifetime: 86400, preferredLifetime: 14400)),
        ])))
    }

    @Test("neighbour discovery from off the link (hop limit below 255) and router advertisements from global sources are dropped and counted")
    func offLinkSpoofing() {
        var core = IPv6HostileTests().core()
        var ra = StackConfiguration(address: StackCore.unconfigured)
        ra.ipv6 = IPv6Configuration()
        ra.ipv6.firstProbeDelayLimit = .zero
        var auto = StackCore(configuration: ra, mac: Self.mac, mtu: 1500, key: (1, 2), now: at(0))
        auto.start(now: at(0))
        auto.handleTimers(now: at(0))
        auto.handleTimers(now: at(1))
        let router = IPv6Address("fe80::1")!
        auto.receive(Self.icmp(Self.advertisement(prefix: 1), from: router, to: .allNodes, hopLimit: 64), now: at(2))
        auto.receive(Self.icmp(Self.advertisement(prefix: 2), from: Self.attacker, to: .allNodes), now: at(2))
        #expect(auto.statistics.ndpInvalid == 2)
        #expect(auto.ipv6Addresses.count == 1) // the link-local one only
        let solicitation = ICMPv6Message(.neighborSolicitation(target: Self.ours, options: [.sourceLinkLayerAddress(Self.attackerMAC)]))
        core.receive(Self.icmp(solicitation, from: Self.attacker, to: Self.ours.solicitedNode, hopLimit: 254), now: at(2))
        #expect(core.statistics.ndpInvalid == 1)
        #expect(core.takeFrames().isEmpty)
        #expect(core.holdings.neighborEntries == 0)
    }

    @Test("a flood of router advertisements with new prefixes from many routers forms at most 4 addresses and keeps at most 4 routers")
    func advertisementFlood() {
        var configuration = StackConfiguration(address: StackCore.unconfigured)
        configuration.ipv6 = IPv6Configuration()
        var core = StackCore(configuration: configuration, mac: Self.mac, mtu: 1500, key: (1, 2), now: at(0))
        core.start(now: at(0))
        for index in 0 ..< 2000 {
            let router = IPv6Address(0xfe80, 0, 0, 0, 0, 0, 1, UInt16(index))
            core.receive(Self.icmp(Self.advertisement(prefix: index), from: router, to: .allNodes), now: at(Double(index) / 1000))
        }
        #expect(core.statistics.routerAdvertisements == 2000)
        #expect(core.ipv6Addresses.filter { $0.origin == .autoconfigured }.count == 4)
        #expect(core.holdings.neighborEntries == 0) // no link-layer options in these
        // With link-layer options: the four default routers are entered as routers, the rest only
        // within the share of neighbours heard from.
        for index in 0 ..< 2000 {
            let router = IPv6Address(0xfe80, 0, 0, 0, 0, 0, 2, UInt16(index))
            var message = Self.advertisement(prefix: index)
            if case var .routerAdvertisement(fields) = message.kind {
                fields.options.append(.sourceLinkLayerAddress(Self.attackerMAC))
                message = ICMPv6Message(.routerAdvertisement(fields))
            }
            core.receive(Self.icmp(message, from: router, to: .allNodes), now: at(3 + Double(index) / 1000))
        }
        #expect(core.holdings.neighborEntries <= 512 + 4)
    }

    @Test("a flood of solicitations from 20,000 forged on-link senders: each answered, the neighbour cache held to half its cap")
    func solicitationFlood() {
        var core = IPv6HostileTests().core()
        for index in 0 ..< 20_000 {
            let sender = IPv6Address(0x2001, 0xdb8, 0, 0, 0, 1, UInt16(index >> 16), UInt16(index & 0xffff))
            let solicitation = ICMPv6Message(.neighborSolicitation(target: Self.ours, options: [.sourceLinkLayerAddress(Self.attackerMAC)]))
            core.receive(Self.icmp(solicitation, from: sender, to: Self.ours.solicitedNode), now: at(2 + Double(index) / 10000))
        }
        #expect(core.statistics.neighborAdvertisementsSent == 20_000)
        #expect(core.holdings.neighborEntries == 512)
    }

    @Test("nine extension headers are refused, routing type 0 with segments left gets a Parameter Problem, an unknown next header too, and fragments are counted")
    func extensionHeaders() throws {
        var core = IPv6HostileTests().core()
        // Nine Destination Options headers, each of 8 octets of padding, then no next header.
        var chain: [UInt8] = []
        for index in 0 ..< 9 { chain += [index == 8 ? IPProtocol.noNextHeader.rawValue : IPProtocol.destinationOptions.rawValue, 0, 1, 4, 0, 0, 0, 0] }
        core.receive(Self.frame(chain, nextHeader: .destinationOptions, from: Self.attacker, to: Self.ours), now: at(2))
        #expect(core.statistics.unsupported == 1)
        // A routing header of type 0 with one segment left (RFC 5095).
        let routing: [UInt8] = [IPProtocol.noNextHeader.rawValue, 2, 0, 1, 0, 0, 0, 0] + [UInt8](repeating: 0, count: 16)
        core.receive(Self.frame(routing, nextHeader: .routing, from: Self.attacker, to: Self.ours), now: at(2))
        core.receive(Self.frame([1, 2, 3, 4], nextHeader: IPProtocol(rawValue: 253), from: Self.attacker, to: Self.ours), now: at(2))
        #expect(core.statistics.icmpErrorsSent == 2)
        let fragment: [UInt8] = [IPProtocol.udp.rawValue, 0, 0, 1, 0, 0, 0, 7] + [UInt8](repeating: 0, count: 64)
        for _ in 0 ..< 1000 { core.receive(Self.frame(fragment, nextHeader: .fragment, from: Self.attacker, to: Self.ours), now: at(3)) }
        #expect(core.statistics.fragmentsDropped == 1000) // 64-octet middle fragments: too small (RFC 1858)
        let bigger: [UInt8] = [IPProtocol.udp.rawValue, 0, 0, 1, 0, 0, 0, 0] + [UInt8](repeating: 0, count: 1024)
        for index in 0 ..< 5000 {
            var fragment = bigger
            fragment[4] = UInt8(index >> 8)
            fragment[5] = UInt8(index & 0xff) // a new identification each: a new datagram each
            core.receive(Self.frame(fragment, nextHeader: .fragment, from: Self.attacker, to: Self.ours), now: at(3))
        }
        #expect(core.holdings.reassemblyBytes <= StackConfiguration(address: StackCore.unconfigured).reassembly.memoryLimit)
        #expect(core.holdings.reassemblyBytes > 0)
        // Multicast and loopback sources are refused.
        core.receive(Self.frame([], nextHeader: .noNextHeader, from: .allNodes, to: Self.ours), now: at(3))
        core.receive(Self.frame([], nextHeader: .noNextHeader, from: .loopback, to: Self.ours), now: at(3))
        #expect(core.statistics.malformed >= 3)
    }

    @Test("a first fragment without the whole header chain (a TCP header cut short, an extension header cut off) is dropped with Parameter Problem code 3, pointer 0 (RFC 7112 section 5); nothing is held")
    func incompleteHeaderChain() throws {
        var core = IPv6HostileTests().core()
        let fragmentOfTCP: [UInt8] = [IPProtocol.tcp.rawValue, 0, 0, 1, 0, 0, 0, 1] + [UInt8](repeating: 0, count: 16) // 16 of TCP's 20
        let destinationOptions: [UInt8] = [IPProtocol.udp.rawValue, 1, 1, 12] + [UInt8](repeating: 0, count: 12) // 16 octets
        let fragmentOfOptions: [UInt8] = [IPProtocol.destinationOptions.rawValue, 0, 0, 1, 0, 0, 0, 2] + destinationOptions.prefix(8)
        let whole: [UInt8] = [IPProtocol.destinationOptions.rawValue, 0, 0, 1, 0, 0, 0, 3] + destinationOptions + [UInt8](repeating: 0, count: 1016)
        for (index, fragment) in [fragmentOfTCP, fragmentOfOptions].enumerated() {
            let frame = Self.frame(fragment, nextHeader: .fragment, from: Self.attacker, to: Self.ours)
            core.receive(frame, now: at(2))
            #expect(core.statistics.fragmentsDropped == UInt64(index + 1))
            #expect(core.holdings.reassemblyBytes == 0)
            let answer = ICMPv6Message(.neighborAdvertisement(.init(target: Self.attacker, router: false, solicited: true, override: true,
                                                                    options: [.targetLinkLayerAddress(Self.attackerMAC)])))
            core.receive(Self.icmp(answer, from: Self.attacker, to: Self.ours), now: at(2))
            let errors = core.takeFrames().compactMap { frame -> ICMPv6Message? in
                let bytes = frame.bytes
                guard bytes.count > 54, bytes[12] == 0x86, bytes[13] == 0xdd, bytes[20] == IPProtocol.icmpv6.rawValue else { return nil }
                return Array(bytes[54...]).withUnsafeBytes { try? ICMPv6Message.parse($0, source: Self.ours, destination: Self.attacker) }
            }.filter { if case .parameterProblem = $0.kind { true } else { false } }
            let error = try #require(errors.first)
            #expect(errors.count == 1 && error.kind == .parameterProblem(code: 3, pointer: 0))
            #expect(error.body == Array(frame.bytes.dropFirst(EthernetHeader.untaggedLength)))
        }
        // The whole chain and 1016 octets of UDP datagram in the first fragment: held for the rest.
        core.receive(Self.frame(whole, nextHeader: .fragment, from: Self.attacker, to: Self.ours), now: at(2))
        #expect(core.statistics.fragmentsDropped == 2)
        #expect(core.holdings.reassemblyBytes > 0)
    }

    @Test("a datagram whose first fragment came but that never completed is answered with Time Exceeded, code 1, quoting that fragment (RFC 8200 section 4.5); one without its first fragment is not")
    func reassemblyTimeout() throws {
        var core = IPv6HostileTests().core()
        let data = (0 ..< 1024).map { UInt8(truncatingIfNeeded: $0) }
        let first: [UInt8] = [IPProtocol.udp.rawValue, 0, 0, 1, 0, 0, 0, 99] + data  // offset 0, more to come
        let last: [UInt8] = [IPProtocol.udp.rawValue, 0, 0x08, 0, 0, 0, 0, 100] + data  // offset 2048, no first ever
        core.receive(Self.frame(first, nextHeader: .fragment, from: Self.attacker, to: Self.ours), now: at(2))
        core.receive(Self.frame(last, nextHeader: .fragment, from: Self.attacker, to: Self.ours), now: at(2))
        _ = core.takeFrames()
        core.handleTimers(now: at(40))
        #expect(core.statistics.reassemblyTimeExceeded == 1 && core.statistics.icmpErrorsSent == 1)
        // The error waits for the attacker's link-layer address: answer the solicitation.
        let answer = ICMPv6Message(.neighborAdvertisement(.init(target: Self.attacker, router: false, solicited: true, override: true,
                                                                options: [.targetLinkLayerAddress(Self.attackerMAC)])))
        core.receive(Self.icmp(answer, from: Self.attacker, to: Self.ours), now: at(40))
        let errors = core.takeFrames().compactMap { frame -> ICMPv6Message? in
            let bytes = frame.bytes
            guard bytes.count > 54, bytes[12] == 0x86, bytes[13] == 0xdd, bytes[20] == IPProtocol.icmpv6.rawValue else { return nil }
            let body = Array(bytes[54...])
            return body.withUnsafeBytes { try? ICMPv6Message.parse($0, source: Self.ours, destination: Self.attacker) }
        }.filter { if case .timeExceeded = $0.kind { true } else { false } }
        let error = try #require(errors.first)
        #expect(errors.count == 1 && error.kind == .timeExceeded(code: 1))
        // The quote: the fragment's IPv6 header, its Fragment header and its data, as they came.
        let quoted = Array(Self.frame(first, nextHeader: .fragment, from: Self.attacker, to: Self.ours).bytes.dropFirst(EthernetHeader.untaggedLength))
        #expect(error.body == quoted)
    }

    @Test("a multicast listener query is answered once, after a random delay within its Maximum Response Delay, however many come meanwhile (RFC 3810 section 6.2)")
    func listenerQueries() {
        var core = IPv6HostileTests().core()
        let querier = IPv6Address("fe80::1")!
        // Maximum Response Code 10000: 10 s.
        let query = ICMPv6Message(.other(type: 130, code: 0, rest: 10000 << 16), body: [UInt8](repeating: 0, count: 20))
        func reports(_ frames: [PacketBuffer]) -> Int {
            frames.filter { frame in
                let bytes = frame.bytes
                return bytes.count > 62 && bytes[20] == IPProtocol.hopByHopOptions.rawValue && bytes[62] == 143
            }.count
        }
        for _ in 0 ..< 1000 { core.receive(Self.icmp(query, from: querier, to: .allNodes, hopLimit: 1), now: at(2)) }
        // Not from the link (hop limit other than 1) or not from a link-local source: ignored.
        core.receive(Self.icmp(query, from: querier, to: .allNodes, hopLimit: 64), now: at(2))
        core.receive(Self.icmp(query, from: Self.attacker, to: .allNodes, hopLimit: 1), now: at(2))
        let due = core.nextDeadline
        #expect(due.map { $0 > at(2) && $0 <= at(12) } == true, "\(String(describing: due))")
        #expect(reports(core.takeFrames()) == 0)
        core.handleTimers(now: at(12))
        #expect(reports(core.takeFrames()) == 1)
        core.handleTimers(now: at(30))
        #expect(reports(core.takeFrames()) == 0)
        #expect(MLD.maximumResponseDelay(code: 0x8000) == 0x1000 << 3 && MLD.maximumResponseDelay(code: 0xFFFF) == 0x1FFF << 10)
    }
}
