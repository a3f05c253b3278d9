import MirageCore
import MirageNet
import MirageRuntime
import MirageTesting
import Testing

/// Our stack's UDP sends without a task frame (`DirectUDPSocket.sendIfReady(count:to:writing:)`,
/// `DirectStack.flushIfReady()`), and what happens when the device cannot send without waiting.
@Suite("Direct UDP sockets sending in place", .serialized)
struct DirectUDPSocketTests {
    final class Seen { var events: [String] = [] }

    @Test("answers written in place leave at once, whole and in order; after close sendIfReady throws closed")
    func inPlaceEcho() {
        let seen = Seen()
        let status = StackPair(seed: 3).run { pair in
            let server = try! pair.server.bind(port: 53)
            let client = try! pair.client.bind(port: 5353)
            let serverEndpoint = Endpoint(.v4(StackPair.serverAddress), port: 53)
            // Neighbours known: ARP would keep only the first four datagrams while it resolves.
            pair.client.learnNeighbor(StackPair.serverAddress, at: MACAddress(2, 0, 0, 0, 0, 2))
            pair.server.learnNeighbor(StackPair.clientAddress, at: MACAddress(2, 0, 0, 0, 0, 1))
            for index in 0..<20 { try! await client.send(PacketBuffer(pattern(index + 1, seed: UInt8(index))), to: serverEndpoint) }
            var answered = 0
            while answered < 20 {
                let query = try! await server.receive()
                let sent = try! server.sendIfReady(count: query.payload.count, to: query.source) { bytes in
                    query.payload.withUnsafeBytes { bytes.copyMemory(from: $0) }
                }
                seen.events.append(sent ? "in place" : "refused")
                answered += 1
            }
            for index in 0..<20 {
                let echo = try! await client.receive()
                if echo.payload.bytes != pattern(index + 1, seed: UInt8(index)) { seen.events.append("echo \(index) differs") }
            }
            server.close()
            do {
                _ = try server.sendIfReady(count: 1, to: Endpoint(.v4(StackPair.clientAddress), port: 5353)) { _ in }
                seen.events.append("sent after close")
            } catch {
                seen.events.append("\(error)")
            }
            return 0
        }
        #expect(status == 0)
        #expect(seen.events == Array(repeating: "in place", count: 20) + ["\(FlowError.closed)"])
    }

    @Test("over a device that only sends by waiting, frames go out through transmit(_:) in order; while one waits for the device, sendIfReady refuses and send queues behind it")
    func deviceThatWaits() {
        let seen = Seen()
        let platform = SimulatedPlatform()
        let network = SimulatedNetwork(seed: 4)
        _ = Mirage.runToCompletion(platform) { () async -> Int32 in
            Task {
                try? await sleep(for: .seconds(100))
                platform.stopRequested = true
            }
            let gated = WaitingDevice(network.attach(mac: MACAddress(2, 0, 0, 0, 0, 2)))
            let server = DirectStack(device: gated, clock: platform.monotonicClock, entropy: SeededEntropy(seed: 1),
                                     configuration: StackConfiguration(address: IPv4Prefix(address: StackPair.serverAddress, length: 24)))
            let client = DirectStack(device: network.attach(mac: MACAddress(2, 0, 0, 0, 0, 1)), clock: platform.monotonicClock,
                                     entropy: SeededEntropy(seed: 2),
                                     configuration: StackConfiguration(address: IPv4Prefix(address: StackPair.clientAddress, length: 24)))
            let serverSocket = try! server.bind(port: 53)
            let clientSocket = try! client.bind(port: 5353)
            let clientEndpoint = Endpoint(.v4(StackPair.clientAddress), port: 5353)
            try? await sleep(for: .milliseconds(10))
            server.learnNeighbor(StackPair.clientAddress, at: MACAddress(2, 0, 0, 0, 0, 1))
            try? await sleep(for: .milliseconds(10))

            // Not blocked: taken, and sent by the timer task's flush through transmit(_:).
            let first = try! serverSocket.sendIfReady(count: 3, to: clientEndpoint) { $0.copyBytes(from: [1, 1, 1]) }
            seen.events.append("first \(first)")
            seen.events.append("received \(try! await clientSocket.receive().payload.bytes)")

            // The device's gate shut: the next frame waits in transmit(_:), and sendIfReady refuses.
            gated.isOpen = false
            _ = try! serverSocket.sendIfReady(count: 3, to: clientEndpoint) { $0.copyBytes(from: [2, 2, 2]) }
            try? await sleep(for: .milliseconds(10))
            let refused = try! serverSocket.sendIfReady(count: 3, to: clientEndpoint) { $0.copyBytes(from: [9, 9, 9]) }
            seen.events.append("while waiting \(refused)")
            Task {
                try? await sleep(for: .milliseconds(10))
                gated.open()
            }
            try! await serverSocket.send(PacketBuffer([3, 3, 3]), to: clientEndpoint)
            for _ in 0..<2 { seen.events.append("received \(try! await clientSocket.receive().payload.bytes)") }
            seen.events.append("UDP frames \(gated.udpFrames), refused \(server.transmitErrors)")
            return 0
        }
        #expect(seen.events == ["first true", "received [1, 1, 1]", "while waiting false",
                                "received [2, 2, 2]", "received [3, 3, 3]", "UDP frames 3, refused 0"])
    }
}

/// A device that sends only through ``transmit(_:)`` (``NetworkDevice/transmitIfReady(_:)``
/// left at its default, false), waiting there while ``isOpen`` is false.
final class WaitingDevice<Base: NetworkDevice>: NetworkDevice {
    let base: Base
    var isOpen = true
    /// The IPv4 UDP frames it has sent (the stack's ARP and IPv6 frames go too).
    private(set) var udpFrames = 0
    private let gate = WaitQueue()

    init(_ base: Base) { self.base = base }

    var mac: MACAddress { base.mac }
    var mtu: Int { base.mtu }
    var statistics: NetworkStatistics { base.statistics }

    func receive(_ handler: (consuming PacketBuffer) -> Void) async throws(NetworkError) {
        try await base.receive(handler)
    }

    func transmit(_ frame: PacketBuffer) async throws(NetworkError) {
        while !isOpen { await gate.wait() }
        if frame.withUnsafeBytes({ $0.count > 23 && $0[12] == 0x08 && $0[13] == 0x00 && $0[23] == 17 }) { udpFrames += 1 }
        try await base.transmit(frame)
    }

    func open() {
        isOpen = true
        gate.wakeAll()
    }
}
