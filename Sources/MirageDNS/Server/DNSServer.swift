import MirageCore
import MirageRuntime

let dnsLog = LogSource("dns", documentation: "the DNS server: failures and, at debug, each connection")

/// An authoritative DNS server over any stack with UDP and TCP (host sockets or our own): the
/// async shell around ``DNSAuthority``.
///
/// Over UDP each datagram is answered with one datagram to its source, or dropped when the
/// authority drops it. Over TCP (RFC 7766) each connection is a task reading length-framed
/// messages, several per connection, pipelined ones answered in the order they came; zone
/// transfers when ``DNSServerConfiguration/allowsZoneTransfers``; a watchdog closes a connection
/// idle for ``DNSServerConfiguration/idleTimeout``, and connections beyond
/// ``DNSServerConfiguration/maximumTCPConnections`` are closed at once. Nothing a client sends
/// stops the server: failures are logged and counted in ``statistics``.
///
/// ```swift
/// let server = DNSServer(authority: DNSAuthority(zones: zones), stack: stack, clock: clock)
/// await server.serve(udp: try stack.bind(port: 53), tcp: try stack.listen(port: 53))
/// ```
public final class DNSServer<Stack: TCPStack & UDPStack, Clock: MonotonicClock> {
    public let authority: DNSAuthority
    public let configuration: DNSServerConfiguration
    /// What the server has done so far. It and the response cache are touched only on the
    /// scheduler's thread, no access enclosing another (the cache's calls take no closure): no
    /// run-time exclusivity check on every query.
    @exclusivity(unchecked) public private(set) var statistics = DNSServerStatistics()
    /// The TCP connections being served.
    public private(set) var openConnections = 0
    let stack: Stack
    let clock: Clock
    /// The responses to UDP queries, kept to answer the same query again.
    @exclusivity(unchecked) private var responseCache: DNSResponseCache
    /// The writer, plan and question name of plain UDP responses, reset for each (their room
    /// kept: no allocation a query).
    @exclusivity(unchecked) private var udpWorkspace = DNSResponseWorkspace()

    /// Room in front of a UDP answer for the headers below it (Ethernet, IPv4 with options,
    /// UDP), so that our stack sends it without copying.
    static var udpHeadroom: Int { 64 }
    /// The most bytes of answers gathered into one write over TCP.
    static var tcpWriteSize: Int { 65536 }

    public init(authority: DNSAuthority, stack: Stack, clock: Clock,
                configuration: DNSServerConfiguration = DNSServerConfiguration()) {
        self.authority = authority
        self.stack = stack
        self.clock = clock
        self.configuration = configuration
        responseCache = DNSResponseCache(capacity: configuration.udpResponseCacheSize)
    }

    /// Serves UDP on `udp` and TCP on `tcp` until both are closed.
    public func serve(udp: Stack.Socket, tcp: Stack.Listener) async {
        let udpTask = Task { await self.serveUDP(udp) }
        await serveTCP(tcp)
        await udpTask.value
    }

    // MARK: UDP

    /// Answers the datagrams arriving at `socket`, one at a time, until it is closed.
    ///
    /// A burst's datagrams are read where the socket holds them and answered into the socket's
    /// send batch (``UDPSocket/withDatagramIfReady(_:)``, ``UDPSocket/sendIfReady(count:to:writing:)``):
    /// no buffer, suspension point or task switch for each. An answer the socket cannot keep
    /// goes in a buffer of its own and is sent with a wait.
    ///
    /// Generic over the socket's type, not ``Stack``'s associated one: unspecialised (another
    /// module's generic class), each use of an associated type looked its metadata up, twice a
    /// query.
    public func serveUDP<Socket: UDPSocket>(_ socket: Socket) async {
        while true {
            // The answer that needs a buffer and a send of its own, if any: the rest of the burst
            // waits for it, so that answers leave in the order their queries came.
            var unsent: (answer: PacketBuffer, destination: Endpoint)? = nil
            do {
                while unsent == nil, try socket.withDatagramIfReady({ query, source in
                    if let answer = self.answer(query, from: source, on: socket) { unsent = (answer, source) }
                }) {}
                if unsent == nil {
                    // The burst has been read: wait for the next datagram.
                    let datagram = try await socket.receive()
                    if let answer = datagram.payload.withUnsafeBytes({ self.answer($0, from: datagram.source, on: socket) }) {
                        unsent = (answer, datagram.source)
                    }
                }
            } catch {
                if error == .closed { return }
                dnsLog.error("udp: receive failed: \(error)")
                do { try await sleep(for: .milliseconds(100)) } catch { return }
                continue
            }
            // Taken out of the optional and handed on, held nowhere else: our stack then puts its
            // headers in the answer's headroom (a copy still held here made it reallocate).
            guard let (answer, destination) = unsent.take() else { continue }
            do {
                if try !socket.sendIfReady(answer, to: destination) {
                    try await socket.send(consume answer, to: destination)
                }
            } catch {
                statistics.sendFailures += 1
                dnsLog.debug("udp: cannot answer \(destination): \(error)")
            }
        }
    }

    /// Answers `query`, a datagram from `source`: into `socket`'s send batch when it keeps it
    /// there, or in a buffer returned to be sent; nil when the answer is kept or the query dropped.
    private func answer<Socket: UDPSocket>(_ query: UnsafeRawBufferPointer, from source: Endpoint, on socket: Socket) -> PacketBuffer? {
        statistics.udpQueries += 1
        let key = responseCache.key(for: query)
        if let key, let kept = responseCache.withResponse(for: key, to: query, { deliver($0, to: source, on: socket, id: query) }) {
            statistics.udpAnsweredFromCache += 1
            return kept
        }
        // Nearly every query is plain: written by the server's own writer, which allocates
        // nothing after the first, and copied once into the datagram.
        if authority.writePlainResponse(to: query, transport: .udp, maximumSize: nil, in: &udpWorkspace) {
            return udpWorkspace.writer.withWrittenBytes { response in
                if let key { responseCache.keep(response, for: key, query: query) }
                return deliver(response, to: source, on: socket)
            }
        }
        guard let answer = authority.respond(to: query, transport: .udp) else {
            statistics.udpDropped += 1
            return nil
        }
        return answer.withUnsafeBytes { response in
            if let key { responseCache.keep(response, for: key, query: query) }
            return deliver(response, to: source, on: socket)
        }
    }

    /// Copies `response` into `socket`'s send batch for `destination`, or into a buffer with
    /// room for our stack's headers, which it returns; the first two bytes replaced by `id`'s
    /// (a kept response answering another query). Counts it answered.
    private func deliver<Socket: UDPSocket>(_ response: UnsafeRawBufferPointer, to destination: Endpoint, on socket: Socket,
                         id: UnsafeRawBufferPointer? = nil) -> PacketBuffer? {
        statistics.udpAnswered += 1
        if (try? socket.sendIfReady(count: response.count, to: destination, writing: { copyResponse(response, id: id, into: $0) })) == true {
            return nil
        }
        var datagram = PacketBuffer(capacity: Self.udpHeadroom + response.count, headroom: Self.udpHeadroom)
        datagram.append(upTo: response.count) { bytes in
            copyResponse(response, id: id, into: bytes)
            return bytes.count
        }
        return datagram
    }

    // MARK: TCP

    /// Accepts connections from `listener` and serves each in a task of its own, until the
    /// listener is closed. A failed accept (the host out of descriptors, say) is retried after a
    /// pause rather than ending the server.
    public func serveTCP(_ listener: Stack.Listener) async {
        while true {
            let connection: Stack.Connection
            do {
                connection = try await listener.accept()
            } catch {
                if error == .closed { return }
                dnsLog.error("tcp: accept failed: \(error)")
                do { try await sleep(for: .milliseconds(100)) } catch { return }
                continue
            }
            guard openConnections < configuration.maximumTCPConnections else {
                statistics.tcpConnectionsOverLimit += 1
                dnsLog.debug("tcp: \(connection.remote) closed: \(openConnections) connections open")
                Task { await connection.close() }
                continue
            }
            openConnections += 1
            statistics.tcpConnections += 1
            Task {
                await self.serveConnection(connection)
                self.openConnections -= 1
            }
        }
    }

    /// Serves the queries on one connection until the client closes it, it fails, or it is idle
    /// for too long; then closes it.
    public func serveConnection(_ connection: Stack.Connection) async {
        dnsLog.debug("tcp: connection from \(connection.remote)")
        let watchdog = DNSConnectionWatchdog(deadline: clock.now() + configuration.idleTimeout)
        let guardTask = Task { await self.watch(connection, watchdog) }
        await serveMessages(connection, watchdog)
        watchdog.finished = true
        guardTask.cancel()
        await connection.close()
    }

    /// Reads messages and writes their answers, in order, until the connection ends.
    private func serveMessages(_ connection: Stack.Connection, _ watchdog: DNSConnectionWatchdog) async {
        var framer = DNSStreamFramer()
        while true {
            let data: PacketBuffer?
            do {
                data = try await connection.read()
            } catch {
                if !watchdog.finished { dnsLog.debug("tcp: \(connection.remote): \(error)") }
                return
            }
            guard let data else {
                if framer.isInsideMessage { statistics.tcpDropped += 1 }
                return
            }
            data.withUnsafeBytes { framer.append($0) }
            // Everything answerable from what arrived goes out in as few writes as it takes.
            var output: [UInt8] = []
            while let message = framer.nextMessage() {
                watchdog.deadline = clock.now() + configuration.idleTimeout
                statistics.tcpQueries += 1
                let answers = authority.responses(
                    to: message, transport: .tcp, allowingZoneTransfer: configuration.allowsZoneTransfers)
                guard !answers.isEmpty else {
                    statistics.tcpDropped += 1
                    continue
                }
                statistics.tcpAnswered += 1
                for answer in answers {
                    output += DNSStreamFramer.frame(answer)
                    if output.count >= Self.tcpWriteSize {
                        guard await write(output, to: connection, watchdog) else { return }
                        output.removeAll(keepingCapacity: true)
                    }
                }
            }
            if !output.isEmpty {
                guard await write(output, to: connection, watchdog) else { return }
            }
        }
    }

    /// Writes `bytes`; a client that takes them restarts the idle time.
    /// - Returns: whether the connection is still good.
    private func write(_ bytes: [UInt8], to connection: Stack.Connection, _ watchdog: DNSConnectionWatchdog) async -> Bool {
        do {
            try await connection.write(PacketBuffer(bytes))
            watchdog.deadline = clock.now() + configuration.idleTimeout
            return true
        } catch {
            statistics.sendFailures += 1
            if !watchdog.finished { dnsLog.debug("tcp: cannot answer \(connection.remote): \(error)") }
            return false
        }
    }

    /// Closes the connection when its deadline passes without a query arriving or an answer
    /// being taken.
    private func watch(_ connection: Stack.Connection, _ watchdog: DNSConnectionWatchdog) async {
        while !watchdog.finished {
            let deadline = watchdog.deadline
            if clock.now() >= deadline {
                watchdog.finished = true
                statistics.tcpIdleTimeouts += 1
                dnsLog.debug("tcp: \(connection.remote) idle, closed")
                await connection.close()
                return
            }
            do { try await sleep(until: deadline) } catch { return }
        }
    }
}

/// What a connection's task and its watchdog share.
final class DNSConnectionWatchdog {
    /// When the connection is closed unless a query arrives or an answer is taken first.
    var deadline: Instant
    /// Whether the connection is done with, by either.
    var finished = false

    init(deadline: Instant) { self.deadline = deadline }
}

/// Copies `response` to `bytes` (as long), the first two bytes replaced by `id`'s when given: a
/// kept response answering another query (RFC 1035 section 4.1.1).
private func copyResponse(_ response: UnsafeRawBufferPointer, id: UnsafeRawBufferPointer?, into bytes: UnsafeMutableRawBufferPointer) {
    bytes.copyMemory(from: response)
    if let id { bytes.copyMemory(from: UnsafeRawBufferPointer(rebasing: id[..<2])) }
}
