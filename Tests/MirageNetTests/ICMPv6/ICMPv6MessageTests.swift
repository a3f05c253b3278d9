import MirageCore
@testable import MirageNet
import Testing

/// ICMPv6 (RFC 4443) and neighbour discovery messages (RFC 4861 section 4) and their options
/// (section 4.6): messages scapy builds are read field by field and written back byte for byte,
/// checksums over the IPv6 pseudo-header included; malformed ones are refused naming the field.
@Suite("ICMPv6 and neighbour discovery messages")
struct ICMPv6MessageTests {
    static let routerLinkLocal = IPv6Address("fe80::1")!
    static let hostLinkLocal = IPv6Address("fe80::2")!
    static let allNodes = IPv6Address("ff02::1")!
    static let solicitedNode = IPv6Address("ff02::1:ff00:2")!
    static let routerMAC = MACAddress(2, 0, 0, 0, 0, 1)

    static let solicitation = IPv6HeaderTests.hex("87007a9700000000fe8000000000000000000000000000020101020000000001")
    static let advertisement = IPv6HeaderTests.hex("8600b2774048070800007530000003e8010102000000000105010000000005dc030440c0000151800000384000000000"
                                                   + "20010db8000100000000000000000000")
    static let neighborAdvertisement = IPv6HeaderTests.hex("8800181a60000000fe8000000000000000000000000000020201020000000002")
    static let packetTooBig = IPv6HeaderTests.hex("02002be900000500600000000008114020010db800000000000000000000000220010db8000000000000000000000009"
                                                  + "000100020008a45e")

    static func parse(_ bytes: [UInt8], from source: IPv6Address, to destination: IPv6Address) throws(WireError) -> ICMPv6Message {
        let result: Result<ICMPv6Message, WireError> = bytes.withUnsafeBytes { buffer in
            Result { () throws(WireError) in try ICMPv6Message.parse(buffer, source: source, destination: destination) }
        }
        return try result.get()
    }

    @Test("a neighbour solicitation for fe80::2 with the sender's link-layer address")
    func solicitation() throws {
        let message = try Self.parse(Self.solicitation, from: Self.routerLinkLocal, to: Self.solicitedNode)
        #expect(message.kind == .neighborSolicitation(target: Self.hostLinkLocal, options: [.sourceLinkLayerAddress(Self.routerMAC)]))
        #expect(message.encoded(source: Self.routerLinkLocal, destination: Self.solicitedNode) == Self.solicitation)
    }

    @Test("a router advertisement: flags, lifetimes, link-layer address, MTU and a SLAAC prefix")
    func routerAdvertisement() throws {
        let message = try Self.parse(Self.advertisement, from: Self.routerLinkLocal, to: Self.allNodes)
        let prefix = NDPOption.PrefixInformation(prefix: IPv6Address("2001:db8:1::")!, prefixLength: 64, onLink: true, autonomous: true,
                                                 validLifetime: 86_400, preferredLifetime: 14_400)
        var expected = ICMPv6Message.RouterAdvertisement(
            currentHopLimit: 64, managed: false, otherConfiguration: true, routerLifetime: 1800, reachableTime: 30_000,
            retransmitTimer: 1000, options: [.sourceLinkLayerAddress(Self.routerMAC), .mtu(1500), .prefixInformation(prefix)])
        expected.otherFlags = 0x08  // scapy's default router preference: high (RFC 4191)
        #expect(message.kind == .routerAdvertisement(expected))
        #expect(message.encoded(source: Self.routerLinkLocal, destination: Self.allNodes) == Self.advertisement)
    }

    @Test("a solicited neighbour advertisement with the override flag and the target's link-layer address")
    func neighborAdvertisement() throws {
        let message = try Self.parse(Self.neighborAdvertisement, from: Self.hostLinkLocal, to: Self.routerLinkLocal)
        #expect(message.kind == .neighborAdvertisement(.init(target: Self.hostLinkLocal, router: false, solicited: true, override: true,
                                                             options: [.targetLinkLayerAddress(MACAddress(2, 0, 0, 0, 0, 2))])))
        #expect(message.encoded(source: Self.hostLinkLocal, destination: Self.routerLinkLocal) == Self.neighborAdvertisement)
    }

    @Test("packet too big carries the MTU and the invoking packet; echo round-trips with its data")
    func errorsAndEcho() throws {
        let source = IPv6Address("2001:db8::1")!, destination = IPv6Address("2001:db8::2")!
        let message = try Self.parse(Self.packetTooBig, from: source, to: destination)
        #expect(message.kind == .packetTooBig(mtu: 1280))
        #expect(message.body == Array(Self.packetTooBig.dropFirst(8)))
        #expect(message.encoded(source: source, destination: destination) == Self.packetTooBig)
        let echo = IPv6HeaderTests.echoRequest
        let request = try Self.parse(Array(echo.dropFirst(40)), from: Self.routerLinkLocal, to: Self.hostLinkLocal)
        #expect(request.kind == .echoRequest(identifier: 0x1234, sequence: 1))
        #expect(request.body == Array("abcdefgh".utf8))
        #expect(request.encoded(source: Self.routerLinkLocal, destination: Self.hostLinkLocal) == Array(echo.dropFirst(40)))
    }

    @Test("a checksum over other addresses, a code on an NDP message, a multicast target and bad options are refused")
    func refused() {
        #expect(throws: WireError.badChecksum) { try Self.parse(Self.solicitation, from: Self.hostLinkLocal, to: Self.solicitedNode) }
        func resealed(_ bytes: [UInt8], _ change: (inout [UInt8]) -> Void) -> [UInt8] {
            var bytes = bytes
            change(&bytes)
            // Recompute the checksum over the changed bytes, as a careful attacker would.
            bytes[2] = 0
            bytes[3] = 0
            var sum = IPv6Header.pseudoHeaderChecksum(source: Self.routerLinkLocal, destination: Self.solicitedNode, protocol: .icmpv6,
                                                      length: UInt32(bytes.count))
            bytes.withUnsafeBytes { sum.add($0) }
            bytes[2] = UInt8(sum.checksum >> 8)
            bytes[3] = UInt8(truncatingIfNeeded: sum.checksum)
            return bytes
        }
        let cases: [([UInt8], WireError)] = [
            (resealed(Self.solicitation) { $0[1] = 1 }, .malformed(field: "NDP code", value: 1)),
            (resealed(Self.solicitation) { $0[8] = 0xFF }, .malformed(field: "NDP target (multicast)", value: 0xFF80_0000)),
            (resealed(Self.solicitation) { $0[25] = 0 }, .malformed(field: "NDP option length", value: 0)),
            (resealed(Self.solicitation) { $0[25] = 2 }, .truncated(needed: 16, available: 8)),
            (resealed(Array(Self.solicitation.prefix(20))) { _ in }, .truncated(needed: 24, available: 20)),
            (resealed(Self.solicitation + [1, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]) { _ in },
             .malformed(field: "NDP link-layer address option length", value: 2)),
        ]
        for (bytes, error) in cases {
            #expect(throws: error) { try Self.parse(bytes, from: Self.routerLinkLocal, to: Self.solicitedNode) }
        }
    }

    /// scapy: `ICMPv6ND_RA(routerlifetime=1800)/ICMPv6NDOptRDNSS(lifetime=600, dns=["2001:db8::53", "fe80::1"])`.
    static let advertisementWithResolvers = IPv6HeaderTests.hex("86002d0c000807080000000000000000190500000000025820010db8000000000000000000000053"
                                                               + "fe800000000000000000000000000001")

    @Test("a router advertisement with recursive DNS servers (RDNSS, RFC 8106 section 5.1); an RDNSS option without an address, or of even length, is refused")
    func recursiveDNSServers() throws {
        let message = try Self.parse(Self.advertisementWithResolvers, from: Self.routerLinkLocal, to: Self.allNodes)
        guard case let .routerAdvertisement(advertisement) = message.kind else {
            Issue.record("not a router advertisement: \(message.kind)")
            return
        }
        #expect(advertisement.options == [.recursiveDNSServers(lifetime: 600, servers: [IPv6Address("2001:db8::53")!, Self.routerLinkLocal])])
        #expect(message.encoded(source: Self.routerLinkLocal, destination: Self.allNodes) == Self.advertisementWithResolvers)
        for (option, length) in [([UInt8]([25, 1, 0, 0, 0, 0, 2, 88]), UInt32(1)), ([25, 2] + [UInt8](repeating: 0, count: 14), 2),
                                 ([25, 4] + [UInt8](repeating: 0, count: 30), 4)] {
            let result: Result<[NDPOption], WireError> = option.withUnsafeBytes { buffer in Result { () throws(WireError) in try NDPOption.parse(buffer) } }
            #expect(result == .failure(.malformed(field: "NDP RDNSS option length", value: length)))
        }
    }

    @Test("at most 32 options are read from one message")
    func optionCount() {
        let options = [UInt8]((0 ..< 33).flatMap { _ in [UInt8](arrayLiteral: 9, 1, 0, 0, 0, 0, 0, 0) })
        let result: Result<[NDPOption], WireError> = options.withUnsafeBytes { buffer in Result { () throws(WireError) in try NDPOption.parse(buffer) } }
        #expect(result == .failure(.malformed(field: "NDP option count", value: 33)))
        let fewer = Array(options.dropFirst(8))
        let read: Result<[NDPOption], WireError> = fewer.withUnsafeBytes { buffer in Result { () throws(WireError) in try NDPOption.parse(buffer) } }
        #expect((try? read.get())?.count == 32)
    }
}
