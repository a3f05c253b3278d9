import Glibc
import MirageCore
import MirageRuntime
import MirageUnix
import Testing

/// `SocketUDPSocket`'s batches (`recvmmsg`, `sendmmsg`): a burst answered whole and in order,
/// what the kernel refuses in a burst counted rather than thrown, and answers kept at the end of
/// a round sent without another call. Over 127.0.0.1, as `SocketStackTests`.
@Suite("SocketUDPSocket batches", .serialized)
struct SocketUDPBatchTests {
    @Test("a burst of 40 datagrams of random sizes comes back whole and in order")
    func burstEcho() {
        let seed = ProcessInfoSeed.value
        print("SocketUDPBatchTests.burstEcho seed \(seed) (MIRAGE_TEST_SEED repeats it)")
        var generator = SplitMix64(seed: seed)
        // Small enough together for the kernel's default receive buffer, which would drop the rest.
        let sizes = (0..<40).map { _ in Int(generator.next() % 1_401) }
        let outcome = runWithStack { stack throws(FlowError) -> [Int] in
            let server = try stack.bind(port: 0)
            let client = try stack.bind(port: 0)
            defer { server.close(); client.close() }
            try await sendPatterns(sizes, from: client, to: server)
            // All 40 wait at the server: it reads them 16 at a time and answers each batch in one call.
            for _ in sizes {
                let datagram = try await server.receive()
                try await server.send(datagram.payload, to: datagram.source)
            }
            let mismatches = try await echoMismatches(sizes, at: client, from: server)
            return mismatches + [server.unsentDatagrams]
        }
        #expect(outcome == .success([0]))
    }

    @Test("in a burst, a datagram the kernel refuses is counted in unsentDatagrams and the rest go; outside one it is thrown")
    func refusalInBurst() {
        let outcome = runWithStack { stack throws(FlowError) -> [String] in
            let server = try stack.bind(port: 0)
            let client = try stack.bind(port: 0)
            defer { server.close(); client.close() }
            for index in 0..<3 {
                try await client.send(PacketBuffer(pattern(index, 10)), to: server.local)
            }
            // Sending to the limited broadcast address without SO_BROADCAST fails with EACCES
            // before anything leaves the host.
            let broadcast = Endpoint(.v4(IPv4Address(255, 255, 255, 255)), port: 9)
            var events: [String] = []
            for index in 0..<3 {
                let datagram = try await server.receive()
                try await server.send(datagram.payload, to: index == 0 ? broadcast : datagram.source)
            }
            for _ in 0..<2 {
                events.append("\(try await client.receive().payload.bytes.first ?? 255)")
            }
            events.append("unsent \(server.unsentDatagrams)")
            do throws(FlowError) {
                try await server.send(PacketBuffer([1]), to: broadcast)
                events.append("sent to broadcast")
            } catch {
                events.append("\(error)")
            }
            return events
        }
        #expect(outcome == .success(["31", "62", "unsent 1", "\(FlowError.io(code: EACCES))"]))
    }

    @Test("an answer kept in a burst goes out at the end of the round, with no further call on the socket")
    func sentAtRoundEnd() {
        let outcome = runWithStack { stack throws(FlowError) -> String in
            let server = try stack.bind(port: 0)
            let client = try stack.bind(port: 0)
            defer { server.close(); client.close() }
            try await client.send(PacketBuffer([7]), to: server.local)
            try await client.send(PacketBuffer([8]), to: server.local)
            let first = try await server.receive()
            // One more datagram waits in the batch, so this answer is kept, not sent.
            try await server.send(first.payload, to: first.source)
            let answer = try await client.receive()
            return "\(answer.payload.bytes) unsent \(server.unsentDatagrams)"
        }
        #expect(outcome == .success("[7] unsent 0"))
    }

    @Test("without waiting: the rest of a batch is read, answers in a burst are kept and go out at the round's end, and an answer outside a burst is left to send(_:to:)")
    func withoutWaiting() {
        let outcome = runWithStack { stack throws(FlowError) -> [String] in
            let server = try stack.bind(port: 0)
            let client = try stack.bind(port: 0)
            defer { server.close(); client.close() }
            var events: [String] = []
            events.append("before any: \(try server.receiveIfReady() == nil ? "none" : "one")")
            for index in 0..<3 {
                try await client.send(PacketBuffer(pattern(index, 5)), to: server.local)
            }
            // The first read takes the batch; the two others wait in it.
            var datagrams = [try await server.receive()]
            while let datagram = try server.receiveIfReady() { datagrams.append(datagram) }
            events.append("read \(datagrams.count), then \(try server.receiveIfReady() == nil ? "none" : "one")")
            // The batch is read: no burst, so the answer is not taken.
            events.append("outside a burst taken: \(try server.sendIfReady(datagrams[0].payload, to: datagrams[0].source))")
            for datagram in datagrams { try await server.send(datagram.payload, to: datagram.source) }
            for _ in datagrams { events.append("\(try await client.receive().payload.bytes.first ?? 255)") }
            // Two more: while the second waits in the batch, the first's answer is kept.
            try await client.send(PacketBuffer([9]), to: server.local)
            try await client.send(PacketBuffer([10]), to: server.local)
            let first = try await server.receive()
            events.append("in a burst taken: \(try server.sendIfReady(first.payload, to: first.source))")
            events.append("\(try await client.receive().payload.bytes) unsent \(server.unsentDatagrams)")
            server.close()
            do throws(FlowError) {
                _ = try server.receiveIfReady()
                events.append("read after close")
            } catch {
                events.append("\(error)")
            }
            return events
        }
        #expect(outcome == .success(["before any: none", "read 3, then none", "outside a burst taken: false", "0", "31", "62",
                                     "in a burst taken: true", "[9] unsent 0", "\(FlowError.closed)"]))
    }

    @Test("in place: a burst read where the receive batch holds it and answered into the send batch comes back whole and in order; a datagram longer than a slot goes in a buffer of its own")
    func inPlace() {
        let seed = ProcessInfoSeed.value
        print("SocketUDPBatchTests.inPlace seed \(seed) (MIRAGE_TEST_SEED repeats it)")
        var generator = SplitMix64(seed: seed)
        // Two longer than a slot of the send batch (4 KiB); together within the kernel's receive buffer.
        let sizes = (0..<30).map { index in index == 5 || index == 17 ? 5_000 : Int(generator.next() % 1_401) }
        let outcome = runWithStack { stack throws(FlowError) -> InPlaceEcho in
            let server = try stack.bind(port: 0)
            let client = try stack.bind(port: 0)
            defer { server.close(); client.close() }
            try await sendPatterns(sizes, from: client, to: server)
            var answered = 0, inPlace = 0, inBuffers = 0
            // Echoes `bytes` in place when the socket keeps it; else returns it in a buffer.
            func echo(_ bytes: UnsafeRawBufferPointer, to source: Endpoint) -> PacketBuffer? {
                answered += 1
                if (try? server.sendIfReady(count: bytes.count, to: source, writing: { $0.copyMemory(from: bytes) })) == true {
                    inPlace += 1
                    return nil
                }
                inBuffers += 1
                return PacketBuffer(bytes)
            }
            while answered < sizes.count {
                let first = try await server.receive()
                if let unsent = first.payload.withUnsafeBytes({ echo($0, to: first.source) }) {
                    try await server.send(unsent, to: first.source)
                }
                // As the DNS server does: an answer in a buffer goes before the next is read.
                var unsent: (PacketBuffer, Endpoint)? = nil
                repeat {
                    if let (payload, destination) = unsent.take() { try await server.send(payload, to: destination) }
                } while try server.withDatagramIfReady({ bytes, source in
                    if let payload = echo(bytes, to: source) { unsent = (payload, source) }
                }) || unsent != nil
            }
            let mismatches = try await echoMismatches(sizes, at: client, from: server)
            // Each batch's first datagram read by receive() is answered in place while others wait
            // in the batch; the long two, and any last of a batch read by receive(), in buffers.
            return InPlaceEcho(mismatches: mismatches, unsent: server.unsentDatagrams, inPlace: inPlace, inBuffers: inBuffers)
        }
        guard case .success(let echo) = outcome else {
            Issue.record("the echo did not finish: \(String(describing: outcome))")
            return
        }
        #expect(echo.mismatches == [])
        #expect(echo.unsent == 0)
        #expect(echo.inPlace >= sizes.count - 6)
        #expect(echo.inBuffers >= 2)
    }

    /// What ``inPlace()``'s echo counted.
    struct InPlaceEcho: Equatable {
        let mismatches: [Int]
        let unsent: Int
        let inPlace: Int
        let inBuffers: Int
    }

    @Test("in place, nothing waiting: no datagram is handed out and no answer kept; after close both throw closed")
    func inPlaceOutsideBurst() {
        let outcome = runWithStack { stack throws(FlowError) -> [String] in
            let server = try stack.bind(port: 0)
            var events: [String] = []
            var ran = false
            events.append("read: \(try server.withDatagramIfReady { _, _ in ran = true }), ran \(ran)")
            events.append("kept: \(try server.sendIfReady(count: 4, to: server.local) { _ in ran = true }), ran \(ran)")
            server.close()
            for attempt in 0..<2 {
                do throws(FlowError) {
                    _ = attempt == 0 ? try server.withDatagramIfReady { _, _ in } : try server.sendIfReady(count: 1, to: server.local) { _ in }
                    events.append("no error")
                } catch {
                    events.append("\(error)")
                }
            }
            return events
        }
        #expect(outcome == .success(["read: false, ran false", "kept: false, ran false", "\(FlowError.closed)", "\(FlowError.closed)"]))
    }
}

/// Sends datagram `index` of each size in `sizes` from `client` to `server`, in order.
private func sendPatterns(_ sizes: [Int], from client: SocketUDPSocket, to server: SocketUDPSocket) async throws(FlowError) {
    for (index, size) in sizes.enumerated() {
        try await client.send(PacketBuffer(pattern(index, size)), to: server.local)
    }
}

/// Receives the echoes of ``sendPatterns(_:from:to:)``'s datagrams at `client`; the indices of
/// those not as sent, or not from `server`.
private func echoMismatches(_ sizes: [Int], at client: SocketUDPSocket, from server: SocketUDPSocket) async throws(FlowError) -> [Int] {
    var mismatches: [Int] = []
    for (index, size) in sizes.enumerated() {
        let datagram = try await client.receive()
        if datagram.payload.bytes != pattern(index, size) || datagram.source != server.local { mismatches.append(index) }
    }
    return mismatches
}

/// The bytes of datagram `index`, `size` long.
private func pattern(_ index: Int, _ size: Int) -> [UInt8] {
    (0..<size).map { UInt8(truncatingIfNeeded: index &* 31 &+ $0) }
}

/// The seed of the random sizes: MIRAGE_TEST_SEED when set, else a fresh one.
private enum ProcessInfoSeed {
    static let value: UInt64 = {
        if let text = getenv("MIRAGE_TEST_SEED"), let seed = UInt64(String(cString: text)) { return seed }
        return UInt64.random(in: 0...UInt64.max)
    }()
}
