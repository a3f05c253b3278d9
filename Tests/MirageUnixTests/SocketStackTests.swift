import Glibc
import MirageCore
import MirageRuntime
import MirageUnix
import Testing

/// The host-socket stack against itself over 127.0.0.1, client and server as tasks of one
/// scheduler. Every stack binds to 127.0.0.1 only; listeners take the first free port from
/// `20000 + pid % 10000` on. The suite is serialized so that a port seen free stays free.
@Suite("SocketStack", .serialized)
struct SocketStackTests {
    @Test("a 4 MiB echo round trip comes back byte for byte")
    func echoRoundTrip() {
        let payload = PacketBuffer((0..<(4 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ $0 >> 11) })
        let outcome = runWithStack { stack throws(FlowError) -> Bool in
            let listener = try listenOnFreePort(stack)
            defer { listener.close() }
            let server = Task { await failure { () async throws(FlowError) in try await echo(try await listener.accept()) } }
            let client = try await stack.connect(to: Endpoint(.v4(.loopback), port: listener.port))
            let writer = Task {
                await failure { () async throws(FlowError) in
                    try await client.write(payload)
                    await client.shutdownWrite()
                }
            }
            let received = try await readToEnd(client)
            await client.close()
            if let error = await writer.value { throw error }
            if let error = await server.value { throw error }
            return received == payload.bytes
        }
        #expect(outcome == .success(true))
    }

    @Test("after shutting down writing, the client still reads the server's reply to the end")
    func halfClose() {
        let outcome = runWithStack { stack throws(FlowError) -> [String] in
            let listener = try listenOnFreePort(stack)
            defer { listener.close() }
            let server = Task {
                await failure { () async throws(FlowError) in
                    let connection = try await listener.accept()
                    let request = try await readToEnd(connection)
                    try await connection.write(PacketBuffer(Array("reply to ".utf8) + request))
                    await connection.close()
                }
            }
            let client = try await stack.connect(to: Endpoint(.v4(.loopback), port: listener.port))
            try await client.write(PacketBuffer(Array("hello".utf8)))
            await client.shutdownWrite()
            var events: [String] = []
            do {
                try await client.write(PacketBuffer([1]))
            } catch {
                events.append("write after shutdown: \(error)")
            }
            let reply = try await readToEnd(client)
            events.append(String(decoding: reply, as: UTF8.self))
            await client.close()
            if let error = await server.value { throw error }
            return events
        }
        #expect(outcome == .success(["write after shutdown: the flow is closed", "reply to hello"]))
    }

    @Test("a reader whose peer closed gets nil, again and again; after its own close, .closed")
    func endOfStream() {
        let outcome = runWithStack { stack throws(FlowError) -> [String] in
            let listener = try listenOnFreePort(stack)
            defer { listener.close() }
            let server = Task {
                await failure { () async throws(FlowError) in
                    let connection = try await listener.accept()
                    await connection.close()
                }
            }
            let client = try await stack.connect(to: Endpoint(.v4(.loopback), port: listener.port))
            var events = client.remote == Endpoint(.v4(.loopback), port: listener.port) ? [] : ["remote \(client.remote)"]
            for _ in 0..<2 {
                let data = try await client.read()
                events.append(data.map { "\($0.count) bytes" } ?? "nil")
            }
            await client.close()
            await client.close()
            do {
                _ = try await client.read()
            } catch {
                events.append("\(error)")
            }
            if let error = await server.value { throw error }
            return events
        }
        #expect(outcome == .success(["nil", "nil", "the flow is closed"]))
    }

    @Test("connecting to a port nobody listens on throws .refused")
    func refused() {
        let outcome = runWithStack { stack throws(FlowError) -> FlowError? in
            let listener = try listenOnFreePort(stack)
            let port = listener.port
            listener.close()
            return await failure { () async throws(FlowError) in
                _ = try await stack.connect(to: Endpoint(.v4(.loopback), port: port))
            }
        }
        #expect(outcome == .success(.refused))
    }

    @Test("listening or binding UDP twice on one port throws .addressInUse; after close it is free again")
    func addressInUse() throws {
        let stack = SocketStack(platform: UnixPlatform(bootArguments: [], handlesSignals: false), address: .loopback)
        let listener = try listenOnFreePort(stack)
        let port = listener.port
        #expect(throws: FlowError.addressInUse(port: port)) { try stack.listen(port: port) }
        listener.close()
        try stack.listen(port: port).close()

        let udp = try stack.bind(port: 0)
        #expect(udp.local.address == .v4(.loopback) && udp.port != 0)
        #expect(throws: FlowError.addressInUse(port: udp.port)) { try stack.bind(port: udp.port) }
        udp.close()
    }

    @Test("on all addresses, one listener and one UDP port take IPv4 and IPv6 alike (::1 and 127.0.0.1); IPv4 peers come back as IPv4")
    func bothFamilies() {
        let loopback6 = IPAddress.v6(IPv6Address(0, 0, 0, 0, 0, 0, 0, 1))
        let outcome = runWithStack(address: .any) { stack throws(FlowError) -> [String] in
            let listener = try listenOnFreePort(stack)
            defer { listener.close() }
            var seen: [String] = []
            for address in [loopback6, .v4(.loopback)] {
                let client = try await stack.connect(to: Endpoint(address, port: listener.port))
                let served = try await listener.accept()
                try await client.write(PacketBuffer([1, 2, 3]))
                let data = try await served.read()
                seen.append("\(client.remote.address) \(served.remote.address) \(data?.count ?? 0)")
                await client.close()
                await served.close()
            }
            let server = try stack.bind(port: 0)
            let client = try stack.bind(port: 0)
            defer { server.close(); client.close() }
            for address in [loopback6, .v4(.loopback)] {
                try await client.send(PacketBuffer([9]), to: Endpoint(address, port: server.port))
                let datagram = try await server.receive()
                seen.append("udp \(datagram.source.address)")
            }
            return seen
        }
        #expect(outcome == .success(["::1 ::1 3", "127.0.0.1 127.0.0.1 3", "udp ::1", "udp 127.0.0.1"]))
    }

    @Test("UDP echo keeps datagram boundaries, empty and 65507-byte datagrams included")
    func udpEcho() {
        let sizes = [1, 0, 300, 1200, 9000, 2]
        let outcome = runWithStack { stack throws(FlowError) -> [String] in
            let server = try stack.bind(port: 0)
            let client = try stack.bind(port: 0)
            defer { server.close(); client.close() }
            let echo = Task {
                await failure { () async throws(FlowError) in
                    for _ in 0..<(sizes.count + 1) {
                        let datagram = try await server.receive()
                        try await server.send(datagram.payload, to: datagram.source)
                    }
                }
            }
            var events: [String] = []
            for (index, size) in sizes.enumerated() {
                try await client.send(PacketBuffer((0..<size).map { UInt8(truncatingIfNeeded: index &+ $0) }), to: server.local)
            }
            for (index, size) in sizes.enumerated() {
                let datagram = try await client.receive()
                let expected = (0..<size).map { UInt8(truncatingIfNeeded: index &+ $0) }
                events.append("\(datagram.payload.count)\(datagram.payload.bytes == expected ? "" : " differs")")
                if datagram.source != server.local || datagram.destination != client.local {
                    events.append("from \(datagram.source) to \(datagram.destination)")
                }
            }
            let largest = PacketBuffer((0..<65_507).map { UInt8(truncatingIfNeeded: $0 >> 3) })
            try await client.send(largest, to: server.local)
            let back = try await client.receive()
            events.append("\(back.payload.count)\(back.payload == largest ? "" : " differs")")
            if let error = await echo.value { throw error }
            return events
        }
        #expect(outcome == .success(sizes.map { "\($0)" } + ["65507"]))
    }

    @Test("200 concurrent connections each echo 1 KiB")
    func concurrentConnections() {
        let count = 200
        let outcome = runWithStack { stack throws(FlowError) -> Int in
            let listener = try listenOnFreePort(stack)
            defer { listener.close() }
            let server = Task {
                await failure { () async throws(FlowError) in
                    for _ in 0..<count {
                        let connection = try await listener.accept()
                        Task { _ = await failure { () async throws(FlowError) in try await echo(connection) } }
                    }
                }
            }
            let clients = (0..<count).map { index in
                Task { () async -> Result<Bool, FlowError> in
                    let message = (0..<1024).map { UInt8(truncatingIfNeeded: index &* 31 &+ $0) }
                    do throws(FlowError) {
                        let connection = try await stack.connect(to: Endpoint(.v4(.loopback), port: listener.port))
                        try await connection.write(PacketBuffer(message))
                        await connection.shutdownWrite()
                        let back = try await readToEnd(connection)
                        await connection.close()
                        return .success(back == message)
                    } catch {
                        return .failure(error)
                    }
                }
            }
            var echoed = 0
            for client in clients {
                if try await client.value.get() { echoed += 1 }
            }
            if let error = await server.value { throw error }
            return echoed
        }
        #expect(outcome == .success(count))
    }

    @Test("closing wakes the tasks waiting in read, accept and receive with .closed; the numbers stay usable")
    func closeWakesWaiters() {
        let outcome = runWithStack { stack throws(FlowError) -> [String] in
            let listener = try listenOnFreePort(stack)
            let udp = try stack.bind(port: 0)
            let client = try await stack.connect(to: Endpoint(.v4(.loopback), port: listener.port))
            let accepted = try await listener.accept()
            let waiters = [
                Task { await failure { () async throws(FlowError) in _ = try await client.read() } },
                Task { await failure { () async throws(FlowError) in _ = try await listener.accept() } },
                Task { await failure { () async throws(FlowError) in _ = try await udp.receive() } },
            ]
            try? await sleep(for: .milliseconds(20))
            await client.close()
            listener.close()
            udp.close()
            var events: [String] = []
            for waiter in waiters { events.append(await waiter.value.map { "\($0)" } ?? "no error") }
            await accepted.close()

            // New sockets get the numbers just freed; waiting for them must still work.
            let second = try listenOnFreePort(stack)
            defer { second.close() }
            let server = Task { await failure { () async throws(FlowError) in try await echo(try await second.accept()) } }
            let again = try await stack.connect(to: Endpoint(.v4(.loopback), port: second.port))
            let reader = Task { () async -> [UInt8]? in try? await readToEnd(again) }
            try? await sleep(for: .milliseconds(20))
            try await again.write(PacketBuffer(Array("still watched".utf8)))
            await again.shutdownWrite()
            events.append((await reader.value).map { String(decoding: $0, as: UTF8.self) } ?? "read failed")
            if let error = await server.value { throw error }
            return events
        }
        let closed = "\(FlowError.closed)"
        #expect(outcome == .success([closed, closed, closed, "still watched"]))
    }
}

// MARK: - Helpers

/// Runs `body` as a task on a scheduler over a fresh ``UnixPlatform``, with a ``SocketStack``
/// bound to 127.0.0.1, on the calling thread; nil when it has not finished after `timeout` (the
/// task is then abandoned, still waiting).
func runWithStack<Value>(
    address: IPv4Address = .loopback,
    timeout: Duration = .seconds(30),
    _ body: @escaping (SocketStack) async throws(FlowError) -> Value
) -> Result<Value, FlowError>? {
    let box = OutcomeBox<Value>()
    let platform = UnixPlatform(bootArguments: [], handlesSignals: false)
    let stack = SocketStack(platform: platform, address: address)
    _ = Mirage.runToCompletion(platform) { () async -> Int32 in
        let deadline = platform.monotonicClock.now() + timeout
        Task {
            do throws(FlowError) {
                box.outcome = .success(try await body(stack))
            } catch {
                box.outcome = .failure(error)
            }
        }
        while box.outcome == nil && platform.monotonicClock.now() < deadline {
            try? await sleep(for: .milliseconds(5))
        }
        return 0
    }
    return box.outcome
}

/// Where a task run by ``runWithStack(timeout:_:)`` leaves its outcome.
final class OutcomeBox<Value> {
    var outcome: Result<Value, FlowError>?
}

/// Listens on the first free port from `20000 + pid % 10000` on.
private func listenOnFreePort(_ stack: SocketStack) throws(FlowError) -> SocketListener {
    let first = 20_000 + Int(getpid() % 10_000)
    for port in first..<(first + 500) {
        do {
            return try stack.listen(port: UInt16(port))
        } catch .addressInUse {
            continue
        }
    }
    throw .addressInUse(port: UInt16(first + 500))
}

/// What `body` threw, or nil.
func failure(_ body: () async throws(FlowError) -> Void) async -> FlowError? {
    do {
        try await body()
        return nil
    } catch {
        return error
    }
}

/// Reads `flow` to the end of the stream.
private func readToEnd(_ flow: some Flow) async throws(FlowError) -> [UInt8] {
    var received: [UInt8] = []
    while let data = try await flow.read() {
        data.withUnsafeBytes { received.append(contentsOf: $0) }
    }
    return received
}

/// Writes back what `connection` reads until the peer ends its stream, then closes it.
private func echo(_ connection: SocketConnection) async throws(FlowError) {
    while let data = try await connection.read() {
        try await connection.write(data)
    }
    await connection.close()
}
