import MirageRuntime

/// The classic test services on one stack (mirage-skeleton's `device-usage/network`): TCP echo on
/// port 7 (RFC 862), TCP discard on port 9 (RFC 863), TCP chargen on port 19 (RFC 864) and UDP
/// echo on port 7. With
/// `--connect=ADDRESS:PORT` it is a client instead: it sends `--bytes` of a pattern to an echo
/// server, reads the echo back at the same time, and checks every byte.
///
/// The same code runs over our stack (`--net=direct`, on unix or hvt) and the host's sockets
/// (`--net=socket`).
struct Echo<Stack: TCPStack & UDPStack>: Unikernel {
    typealias Failure = EchoFailure

    let log = LogSource("application", documentation: "the echo services")
    let stack: Stack
    let connect: String
    let bytes: Int

    init(_ stack: Stack, connect: String, bytes: Int) {
        self.stack = stack
        self.connect = connect
        self.bytes = bytes
    }

    func start() async throws(Failure) {
        if connect.isEmpty {
            try serve()
            // The services run until the unikernel is stopped.
            while true { try? await sleep(for: .seconds(3600)) }
        } else {
            try await runClient()
        }
    }

    // MARK: Server

    private func serve() throws(Failure) {
        let echo: Stack.Listener
        let discard: Stack.Listener
        let chargen: Stack.Listener
        let udp: Stack.Socket
        do {
            echo = try stack.listen(port: 7)
            discard = try stack.listen(port: 9)
            chargen = try stack.listen(port: 19)
            udp = try stack.bind(port: 7)
        } catch {
            throw .network(error)
        }
        log.info("echo on TCP and UDP port 7, discard on TCP port 9, chargen on TCP port 19")
        Task { await acceptLoop(echo, name: "echo") { connection in await Self.echo(connection) } }
        Task { await acceptLoop(discard, name: "discard") { connection in await Self.discard(connection) } }
        Task { await acceptLoop(chargen, name: "chargen") { connection in await Self.chargen(connection) } }
        Task { await udpEcho(udp) }
    }

    private func acceptLoop(_ listener: Stack.Listener, name: String,
                            _ serve: @escaping (Stack.Connection) async -> Void) async {
        while true {
            do {
                let connection = try await listener.accept()
                log.debug("\(name): connection from \(connection.remote)")
                Task { await serve(connection) }
            } catch {
                log.error("\(name): accept failed: \(error)")
                return
            }
        }
    }

    /// Sends back everything received, then closes when the peer does.
    private static func echo(_ connection: Stack.Connection) async {
        do {
            while let data = try await connection.read() { try await connection.write(data) }
            await connection.shutdownWrite()
        } catch {}
        await connection.close()
    }

    /// Reads and drops everything.
    private static func discard(_ connection: Stack.Connection) async {
        do {
            while try await connection.read() != nil {}
        } catch {}
        await connection.close()
    }

    /// Sends RFC 864's lines until the peer goes away: 72 printable characters each, starting one
    /// character further along the 95 printable ASCII characters than the line before.
    private static func chargen(_ connection: Stack.Connection) async {
        var cycle = PacketBuffer(capacity: 95 * 74)
        for line in 0..<95 {
            for column in 0..<72 { cycle.append(contentsOf: CollectionOfOne(UInt8(32 + (line + column) % 95))) }
            cycle.append(contentsOf: [13, 10])
        }
        do {
            while true { try await connection.write(cycle) }
        } catch {}
        await connection.close()
    }

    private func udpEcho(_ socket: Stack.Socket) async {
        while true {
            do {
                let datagram = try await socket.receive()
                try await socket.send(datagram.payload, to: datagram.source)
            } catch {
                log.error("udp echo: \(error)")
                return
            }
        }
    }

    // MARK: Client

    /// The byte at `offset` of the stream the client sends.
    static func patternByte(_ offset: Int) -> UInt8 { UInt8(truncatingIfNeeded: offset &* 7 &+ offset >> 10) }

    private func runClient() async throws(Failure) {
        let remote = try parseEndpoint(connect)
        let connection: Stack.Connection
        do {
            connection = try await stack.connect(to: remote)
        } catch {
            throw .network(error)
        }
        log.info("connected to \(remote): sending \(bytes) bytes")
        let total = bytes
        let writer = Task { await Self.sendPatternReportingError(total, over: connection) }
        var received = 0
        while true {
            let data: PacketBuffer?
            do { data = try await connection.read() } catch { throw .network(error) }
            guard let data else { break }
            let mismatch = data.withUnsafeBytes { bytes in
                bytes.indices.first { bytes[$0] != Self.patternByte(received + $0) }
            }
            if let mismatch { throw .mismatch(offset: received + mismatch) }
            received += data.count
        }
        if let error = await writer.value { throw .network(error) }
        await connection.close()
        guard received == total else { throw .short(received: received, expected: total) }
        log.info("echo of \(total) bytes from \(remote) verified")
    }

    private static func sendPatternReportingError(_ total: Int, over connection: Stack.Connection) async -> FlowError? {
        do {
            try await sendPattern(total, over: connection)
            return nil
        } catch {
            return error
        }
    }

    /// Writes `total` bytes of the pattern, then closes the sending side.
    private static func sendPattern(_ total: Int, over connection: Stack.Connection) async throws(FlowError) {
        var offset = 0
        while offset < total {
            let count = min(32 * 1024, total - offset)
            var chunk = PacketBuffer(capacity: count)
            chunk.appendZeros(count)
            let start = offset
            chunk.withUnsafeMutableBytes { bytes in
                for index in 0..<count { bytes[index] = patternByte(start + index) }
            }
            try await connection.write(chunk)
            offset += count
        }
        await connection.shutdownWrite()
    }
}

/// Why the echo client failed.
enum EchoFailure: Error, CustomStringConvertible {
    case network(FlowError)
    case badEndpoint(String)
    case mismatch(offset: Int)
    case short(received: Int, expected: Int)

    var description: String {
        switch self {
        case let .network(error): "network: \(error)"
        case let .badEndpoint(text): "'\(text)' is not ADDRESS:PORT"
        case let .mismatch(offset): "the echo differs from what was sent at byte \(offset)"
        case let .short(received, expected): "the echo ended after \(received) of \(expected) bytes"
        }
    }
}

/// `ADDRESS:PORT` as an endpoint.
func parseEndpoint(_ text: String) throws(EchoFailure) -> Endpoint {
    // Split on the byte: splitting a String on a Character needs Unicode's grapheme-break tables,
    // which an Embedded image then carries (about 50 KB).
    let parts = text.utf8.split(separator: UInt8(ascii: ":")).map { String(decoding: $0, as: UTF8.self) }
    guard parts.count == 2, let address = IPv4Address(parts[0]), let port = UInt16(parts[1]) else {
        throw .badEndpoint(text)
    }
    return Endpoint(.v4(address), port: port)
}
