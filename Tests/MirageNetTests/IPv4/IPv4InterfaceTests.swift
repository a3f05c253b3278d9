import MirageCore
import MirageNet
import Testing

@Suite("IPv4 interface: input, routing and path MTU (RFC 791, RFC 1122 section 3, RFC 1191)")
struct IPv4InterfaceTests {
    static let gateway = IPv4Address(10, 0, 0, 254)
    let now = Instant(nanoseconds: 1_000_000_000)

    func interface(gateway: IPv4Address? = IPv4InterfaceTests.gateway) -> IPv4Interface {
        IPv4Interface(network: IPv4Prefix(address: hostB, length: 24), gateway: gateway, mtu: 1500,
                      reassembly: IPv4Reassembler.Configuration(), firstIdentification: 100)
    }

    /// The golden ping with its destination (and checksum) changed.
    func ping(to destination: IPv4Address, from source: IPv4Address = hostA) -> PacketBuffer {
        var header = try! goldenPing.withUnsafeBytes { try IPv4Header.parse($0) }
        header.destination = destination
        header.source = source
        var bytes = goldenPing
        bytes.withUnsafeMutableBytes { header.emit(into: $0) }
        return PacketBuffer(bytes)
    }

    @Test("a packet to our address is delivered with its payload")
    func delivered() throws {
        var ipv4 = interface()
        guard case let .deliver(header, payload, isBroadcast, isReassembled) = ipv4.receive(PacketBuffer(goldenPing), now: now) else {
            Issue.record("not delivered")
            return
        }
        #expect(header.protocol == .icmp && header.source == hostA)
        #expect(payload.bytes == Array(goldenPing[20...]))
        #expect(!isBroadcast && !isReassembled)
    }

    @Test("packets to the network's broadcast address are delivered as broadcast; to others, not at all")
    func addressing() {
        var ipv4 = interface()
        guard case let .deliver(_, _, isBroadcast, _) = ipv4.receive(ping(to: IPv4Address(10, 0, 0, 255)), now: now) else {
            Issue.record("not delivered")
            return
        }
        #expect(isBroadcast)
        #expect(ipv4.receive(ping(to: IPv4Address(10, 0, 0, 3)), now: now) == .dropped(.notForUs))
        #expect(ipv4.receive(ping(to: hostB, from: IPv4Address(10, 0, 0, 255)), now: now) == .dropped(.badSource))
        #expect(ipv4.receive(PacketBuffer(goldenPing.prefix(19)), now: now) == .dropped(.invalid(.truncated(needed: 20, available: 19))))
    }

    @Test("routes: on-link to the host, else to the gateway, else none; each datagram a new identification")
    func routing() throws {
        var ipv4 = interface()
        let onLink = ipv4.route(.udp, to: hostA, dontFragment: false)
        let first = try #require(onLink)
        #expect(first.hop == hostA && first.mtu == 1500 && !first.isBroadcast)
        #expect(first.header.identification == 100 && first.header.source == hostB && first.header.protocol == .udp)
        let offLink = ipv4.route(.tcp, to: IPv4Address(192, 0, 2, 1), dontFragment: true)
        let second = try #require(offLink)
        #expect(second.hop == Self.gateway && second.header.dontFragment)
        #expect(second.header.identification == 101)
        #expect(ipv4.route(.udp, to: .broadcast, dontFragment: false)?.isBroadcast == true)
        var isolated = interface(gateway: nil)
        #expect(isolated.route(.udp, to: IPv4Address(192, 0, 2, 1), dontFragment: false) == nil)
    }

    @Test("a next-hop MTU lowers the path MTU towards its destination; a larger or missing one is ignored, a tiny one raised to 552")
    func pathMTU() {
        var ipv4 = interface()
        let far = IPv4Address(192, 0, 2, 1)
        #expect(ipv4.learnPathMTU(1400, towards: far, now: now) == 1400)
        #expect(ipv4.mtu(towards: far) == 1400 && ipv4.mtu(towards: hostA) == 1500)
        #expect(ipv4.learnPathMTU(1450, towards: far, now: now) == nil)
        #expect(ipv4.learnPathMTU(0, towards: far, now: now) == nil)
        #expect(ipv4.route(.tcp, to: far, dontFragment: true)?.mtu == 1400)
        #expect(ipv4.learnPathMTU(68, towards: far, now: now) == IPv4Interface.minimumPathMTU)
        #expect(ipv4.learnPathMTU(300, towards: far, now: now) == nil)
        #expect(ipv4.mtu(towards: far) == 552)
    }

    @Test("a learnt path MTU expires after 10 minutes (RFC 1191 section 6.3)")
    func pathMTUExpires() {
        var ipv4 = interface()
        let far = IPv4Address(192, 0, 2, 1)
        _ = ipv4.learnPathMTU(1400, towards: far, now: now)
        #expect(ipv4.nextDeadline == now + .seconds(600))
        ipv4.handleTimers(now: now + .seconds(599))
        #expect(ipv4.mtu(towards: far) == 1400)
        ipv4.handleTimers(now: now + .seconds(600))
        #expect(ipv4.mtu(towards: far) == 1500 && ipv4.pathMTUCount == 0 && ipv4.nextDeadline == nil)
    }

    @Test("the path MTU table holds at most its limit: the entry that expires first makes room")
    func pathMTUTableIsBounded() {
        var ipv4 = IPv4Interface(network: IPv4Prefix(address: hostB, length: 24), gateway: Self.gateway, mtu: 1500,
                                 reassembly: IPv4Reassembler.Configuration(), firstIdentification: 100, pathMTUEntryLimit: 2)
        for index in 0..<1000 {
            _ = ipv4.learnPathMTU(1400, towards: IPv4Address(192, 0, UInt8(index / 250), UInt8(1 + index % 250)), now: now + .seconds(Int64(index)))
            #expect(ipv4.pathMTUCount <= 2)
        }
        #expect(ipv4.mtu(towards: IPv4Address(192, 0, 3, 250)) == 1400 && ipv4.mtu(towards: IPv4Address(192, 0, 3, 249)) == 1400)
        #expect(ipv4.mtu(towards: IPv4Address(192, 0, 0, 1)) == 1500)
    }
}
