import MirageCore
import MirageNet
import MirageRuntime
import MirageTesting
import Testing

typealias StackPair = SimulatedStackPair

/// A deterministic byte pattern of `count` bytes.
func pattern(_ count: Int, seed: UInt8 = 0) -> [UInt8] {
    (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 8 &+ Int(seed)) }
}

/// Writes `bytes` in chunks of `chunk`, then closes the sending side.
func send<F: Flow>(_ bytes: [UInt8], over flow: F, chunk: Int = 10_000) async throws(FlowError) {
    var offset = 0
    while offset < bytes.count {
        let end = min(offset + chunk, bytes.count)
        try await flow.write(PacketBuffer(bytes[offset..<end]))
        offset = end
    }
    await flow.shutdownWrite()
}

/// Reads until the end of the stream.
func receiveAll<F: Flow>(_ flow: F) async throws(FlowError) -> [UInt8] {
    var received: [UInt8] = []
    while let data = try await flow.read() { received += data.bytes }
    return received
}

final class Outcome: @unchecked Sendable {
    var received: [UInt8] = []
    var echoed: [UInt8] = []
    var errors: [String] = []
}

@Suite("Direct stacks over a simulated network")
struct DirectStackTests {
    /// An echo server on `port` of `stack` that serves one connection.
    static func serveEcho(_ stack: DirectStack<SimulatedNetworkDevice, ManualClock>, port: UInt16, outcome: Outcome) -> Task<Void, Never> {
        let listener = try! stack.listen(port: port)
        return Task {
            do {
                let connection = try await listener.accept()
                while let data = try await connection.read() { try await connection.write(data) }
                await connection.shutdownWrite()
                await connection.close()
            } catch {
                outcome.errors.append("server: \(error)")
            }
        }
    }

    /// Connects the client to an echo server on the other stack, sends `data` in `chunk`s while
    /// reading the echo into `outcome`, and waits for both ends to finish.
    static func echoThrough(_ pair: StackPair, _ data: [UInt8], chunk: Int, outcome: Outcome,
                            to endpoint: Endpoint = Endpoint(.v4(hostB), port: 7)) async -> Int32 {
        let server = serveEcho(pair.server, port: endpoint.port, outcome: outcome)
        do {
            let connection = try await pair.client.connect(to: endpoint)
            if connection.remote != endpoint { outcome.errors.append("connected to \(connection.remote)") }
            let writer = Task { try? await send(data, over: connection, chunk: chunk) }
            outcome.echoed = try await receiveAll(connection)
            await writer.value
            await connection.close()
        } catch {
            outcome.errors.append("client: \(error)")
        }
        await server.value
        return 0
    }

    @Test("a TCP echo round trip of 64 KiB on a clean wire")
    func cleanEcho() {
        let outcome = Outcome()
        let data = pattern(64 * 1024)
        let pair = StackPair(seed: 1)
        let status = pair.run { pair in await Self.echoThrough(pair, data, chunk: 10_000, outcome: outcome) }
        #expect(status == 0)
        #expect(outcome.errors.isEmpty)
        #expect(outcome.echoed.count == data.count)
        #expect(zip(outcome.echoed, data).allSatisfy { $0 == $1 })
    }

    @Test("a receiver that reads at once sends one ACK per two segments, the reopened window on it: no separate window updates")
    func acknowledgmentsCarryTheReopenedWindow() {
        let outcome = Outcome()
        let data = pattern(1 << 20)
        let pair = StackPair(seed: 5)
        let status = pair.run { pair in
            let listener = try! pair.server.listen(port: 9)
            let server = Task {
                do {
                    let connection = try await listener.accept()
                    outcome.received = try await receiveAll(connection)
                    await connection.close()
                } catch {
                    outcome.errors.append("server: \(error)")
                }
            }
            do {
                let connection = try await pair.client.connect(to: Endpoint(.v4(StackPair.serverAddress), port: 9))
                try await send(data, over: connection, chunk: 65536)
                await server.value
                await connection.close()
            } catch {
                outcome.errors.append("client: \(error)")
            }
            return 0
        }
        #expect(status == 0)
        #expect(outcome.errors.isEmpty, "\(outcome.errors)")
        #expect(outcome.received == data)
        let received = pair.server.device.statistics.receivedFrames
        let sent = pair.server.device.statistics.transmittedFrames
        // About 720 data segments of 1460 bytes: an ACK every second one, plus the handshake and FIN.
        #expect(received > 700)
        #expect(sent <= received / 2 + 10, "\(sent) frames sent for \(received) received")
    }

    /// 5% loss, 2% duplication, 5% reordering.
    static var lossy: SimulatedNetwork.Impairments {
        var impairments = SimulatedNetwork.Impairments()
        impairments.loss = 0.05
        impairments.duplication = 0.02
        impairments.reordering = 0.05
        return impairments
    }

    /// Echoes 4 MiB through a lossy network between two stacks and checks that the echo is
    /// byte-identical and came in bounded simulated time; returns the pair for further checks.
    static func lossyRoundTrip(tcp: TCPConfiguration, seed: UInt64, offloads: NetworkOffloads = [],
                               sourceLocation: SourceLocation = #_sourceLocation) -> StackPair {
        let outcome = Outcome()
        let data = pattern(4 * 1024 * 1024, seed: UInt8(truncatingIfNeeded: seed))
        let pair = StackPair(seed: seed, impairments: lossy, tcp: tcp, offloads: offloads)
        pair.network.recordsFrames = !offloads.isEmpty // for checking what went on the wire
        let status = pair.run { pair in await Self.echoThrough(pair, data, chunk: 65536, outcome: outcome) }
        #expect(status == 0, sourceLocation: sourceLocation)
        #expect(outcome.errors.isEmpty, "\(outcome.errors)", sourceLocation: sourceLocation)
        #expect(outcome.echoed.count == data.count, sourceLocation: sourceLocation)
        let firstDifference = outcome.echoed.indices.first { $0 >= data.count || outcome.echoed[$0] != data[$0] }
        #expect(firstDifference == nil, "first differing byte", sourceLocation: sourceLocation)
        #expect(pair.network.framesLost > 100, sourceLocation: sourceLocation)
        #expect(pair.platform.monotonicClock.now() < Instant(nanoseconds: 300_000_000_000), sourceLocation: sourceLocation)
        return pair
    }

    @Test("4 MiB each way with 5% loss, reordering and duplication arrive byte-identical in bounded simulated time",
          arguments: [CongestionAlgorithm.cubic, .newReno], [true, false])
    func lossyEcho(algorithm: CongestionAlgorithm, sack: Bool) {
        var tcp = TCPConfiguration()
        tcp.congestionAlgorithm = algorithm
        tcp.offersSACK = sack
        _ = Self.lossyRoundTrip(tcp: tcp, seed: 42)
    }

    @Test("with checksum and segmentation offloads, the stacks send 64 KiB segments the device cuts, and 4 MiB each way still arrive byte-identical through 5% loss",
          arguments: [true, false])
    func offloadedEcho(sack: Bool) {
        var tcp = TCPConfiguration()
        tcp.offersSACK = sack
        let pair = Self.lossyRoundTrip(tcp: tcp, seed: 43, offloads: [.transmitChecksum, .tcpSegmentation])
        // Every frame on the wire fits the MTU and carries a complete checksum (the stacks check
        // them on receipt: a bad one would be counted and the data would stall).
        #expect(pair.network.transmitted.allSatisfy { $0.count <= 1514 })
        #expect(pair.client.statistics.badChecksums == 0 && pair.server.statistics.badChecksums == 0)
        #expect(pair.client.device.segmentedFrames > 0 && pair.server.device.segmentedFrames > 0)
    }
}
