import MirageCore
import MirageNet
import MirageRuntime
import MirageTesting
import Testing

/// Two of our stacks speaking IPv6 to each other on the simulated network: link-local addresses
/// after duplicate address detection, neighbour discovery, TCP and UDP over IPv6.
struct IPv6StackTests {
    /// The server's link-local address: `fe80::` and the EUI-64 of 02:00:00:00:00:02.
    static let serverLinkLocal = IPv6Address(0xfe80, 0, 0, 0, 0, 0x00ff, 0xfe00, 0x0002)
    static let clientGlobal = IPv6Prefix(address: IPv6Address(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1), length: 64)
    static let serverGlobal = IPv6Prefix(address: IPv6Address(0x2001, 0xdb8, 0, 0, 0, 0, 0, 2), length: 64)

    @Test("16 MiB echoed over TCP to the peer's link-local address through 5% loss, reordering and duplication arrive byte-identical")
    func lossyEchoOverLinkLocal() {
        let outcome = Outcome()
        let data = pattern(16 * 1024 * 1024, seed: 6)
        let pair = StackPair(seed: 66, impairments: DirectStackTests.lossy)
        let status = pair.run(limit: .seconds(2000)) { pair in
            try? await sleep(for: .seconds(3)) // duplicate address detection: one probe, one second
            return await DirectStackTests.echoThrough(pair, data, chunk: 65536, outcome: outcome,
                                                      to: Endpoint(.v6(Self.serverLinkLocal), port: 7))
        }
        #expect(status == 0)
        #expect(outcome.errors.isEmpty, "\(outcome.errors)")
        #expect(outcome.echoed.count == data.count)
        #expect(outcome.echoed == data)
        #expect(pair.network.framesLost > 100)
        #expect(pair.server.statistics.ipv6PacketsReceived > 10_000)
        #expect(pair.client.statistics.badChecksums == 0 && pair.server.statistics.badChecksums == 0)
    }

    @Test("UDP over IPv6 between fixed global addresses: datagrams both ways, a large one fragmented and reassembled, a closed port answered with ICMPv6 port unreachable")
    func datagramsBetweenGlobalAddresses() {
        let outcome = Outcome()
        let pair = StackPair(seed: 7, configure: { $0.ipv6 = IPv6Configuration(mode: .fixed(Self.clientGlobal)) },
                             configureServer: { $0.ipv6 = IPv6Configuration(mode: .fixed(Self.serverGlobal)) })
        var received: [Datagram] = []
        let status = pair.run { pair in
            try? await sleep(for: .seconds(3))
            do {
                let server = try pair.server.bind(port: 53)
                let client = try pair.client.bind(port: 0)
                try await client.send(PacketBuffer(Array("hello".utf8)), to: Endpoint(.v6(Self.serverGlobal.address), port: 53))
                let request = try await server.receive()
                received.append(request)
                try await server.send(PacketBuffer([UInt8](repeating: 7, count: 1000)), to: request.source)
                received.append(try await client.receive())
                try await client.send(PacketBuffer([UInt8](repeating: 1, count: 3000)), to: Endpoint(.v6(Self.serverGlobal.address), port: 53))
                received.append(try await server.receive())
                try await client.send(PacketBuffer([1]), to: Endpoint(.v6(Self.serverGlobal.address), port: 54))
                try? await sleep(for: .milliseconds(10))
            } catch {
                outcome.errors.append("\(error)")
            }
            return 0
        }
        #expect(status == 0)
        #expect(outcome.errors.isEmpty, "\(outcome.errors)")
        #expect(received.count == 3)
        #expect(received.first?.source.address == .v6(Self.clientGlobal.address))
        #expect(received.first?.destination.address == .v6(Self.serverGlobal.address))
        #expect(received.first?.payload.bytes == Array("hello".utf8))
        #expect(received[1].payload.count == 1000)
        #expect(received[1].source == Endpoint(.v6(Self.serverGlobal.address), port: 53))
        #expect(received.last?.payload.bytes == [UInt8](repeating: 1, count: 3000))
        #expect(pair.server.statistics.fragmentsDropped == 0)
        #expect(pair.server.statistics.udpNoPort == 1)
        #expect(pair.server.statistics.icmpErrorsSent == 1)
    }

    @Test("without IPv6, a stack takes no IPv6 packets and has no route to an IPv6 address")
    func disabled() {
        let outcome = Outcome()
        let pair = StackPair(seed: 8, configure: { $0.ipv6 = IPv6Configuration(mode: .disabled) })
        let status = pair.run { pair in
            try? await sleep(for: .seconds(2))
            do throws(FlowError) {
                _ = try await pair.client.connect(to: Endpoint(.v6(Self.serverLinkLocal), port: 7))
                outcome.errors.append("connected")
            } catch {
                #expect(error == .unreachable)
            }
            return 0
        }
        #expect(status == 0)
        #expect(outcome.errors.isEmpty)
        #expect(pair.client.statistics.ipv6PacketsReceived == 0)
    }
}
