import MirageCore
import MirageRuntime

/// How patient the server is (RFC 9112 section 9.5 leaves time-outs to the server).
public struct HTTPServerConfiguration: Sendable {
    public var limits = HTTPLimits()
    /// How long a client may take to send a request, head and body, from its first byte: a slow
    /// sender (slowloris) then gets 408 and is closed, and other connections are not held up.
    public var requestTimeout = Duration.seconds(10)
    /// How long a connection may sit idle between requests before it is closed.
    public var idleTimeout = Duration.seconds(60)
    /// How long writing one response may take: a client that stops reading (its window stays
    /// closed) is dropped then, rather than holding the connection and what is queued for it.
    public var writeTimeout = Duration.seconds(30)
    /// The most connections served at once; one beyond them is closed at once (as the DNS server
    /// does, RFC 7766 section 6.2.2), so a flood of connections cannot take all the memory.
    public var maximumConnections = 256

    public init() {}
}

/// What an ``HTTPServer`` counts, shared by its connection tasks.
public final class HTTPServerCounters {
    /// Connections being served now.
    public internal(set) var open = 0
    /// Connections closed at once because ``HTTPServerConfiguration/maximumConnections`` were open.
    public internal(set) var refusedOverLimit = 0
    /// Connections dropped because a response took longer than
    /// ``HTTPServerConfiguration/writeTimeout`` to write.
    public internal(set) var writeTimeouts = 0

    init() {}
}

/// An HTTP/1.1 server (RFC 9112) over any ``TCPListener``: the async shell around
/// ``HTTPRequestParser``. Each connection is a task reading requests in order (keep-alive and
/// pipelining), calling the application's handler, and writing each response before the next is
/// read; a watchdog task enforces the time limits.
public struct HTTPServer<Clock: MonotonicClock, Wall: WallClock> {
    public typealias Handler = (HTTPRequest) async -> HTTPResponse
    /// Answers a request at once when it can (a response kept in memory), nil when the
    /// ``Handler`` must: no task frame for such a request (three a request for the website's
    /// handler and its logging wrapper, Benchmarks/http/instructions.py).
    public typealias ImmediateHandler = (HTTPRequest) -> HTTPResponse?

    public let configuration: HTTPServerConfiguration
    let clock: Clock
    let wallClock: Wall
    /// The `Date` value of the current second.
    let dates = HTTPDateCache()
    /// The status line of the last response.
    let statusLines = HTTPStatusLineCache()
    let handler: Handler
    let immediate: ImmediateHandler?
    /// What the server counts.
    public let counters = HTTPServerCounters()
    /// The configuration's time limits in nanoseconds, converted once (each request sets three
    /// deadlines, and a `Duration`'s conversion divides 128-bit numbers).
    private let limitNanoseconds: (request: Int64, idle: Int64, write: Int64)

    /// A server calling `handler` for each request, or first `immediate`, when given, whose
    /// response (if any) is sent without calling `handler`.
    public init(configuration: HTTPServerConfiguration = HTTPServerConfiguration(), clock: Clock, wallClock: Wall,
                immediate: ImmediateHandler? = nil, handler: @escaping Handler) {
        self.configuration = configuration
        self.clock = clock
        self.wallClock = wallClock
        self.handler = handler
        self.immediate = immediate
        limitNanoseconds = (configuration.requestTimeout.totalNanoseconds, configuration.idleTimeout.totalNanoseconds,
                            configuration.writeTimeout.totalNanoseconds)
    }

    /// Accepts connections from `listener` and serves each in a task of its own, until the
    /// listener is closed. A failed accept (the host out of descriptors, say) is retried after a
    /// pause rather than ending the server.
    public func serve<Listener: TCPListener>(_ listener: Listener) async {
        while true {
            do {
                let connection = try await listener.accept()
                guard counters.open < configuration.maximumConnections else {
                    counters.refusedOverLimit += 1
                    Task { await connection.close() }
                    continue
                }
                counters.open += 1
                Task {
                    await self.serveConnection(connection)
                    self.counters.open -= 1
                }
            } catch {
                if error == .closed { return }
                do { try await sleep(for: .milliseconds(100)) } catch { return }
            }
        }
    }

    /// Serves requests on one connection until either side closes it, a request is malformed or
    /// a time limit passes.
    public func serveConnection<Connection: Flow>(_ connection: Connection) async {
        let watchdog = ConnectionWatchdog()
        watchdog.deadline = clock.now().advanced(byNanoseconds: limitNanoseconds.idle)
        let guardTask = Task { await self.watch(connection, watchdog) }
        await serveRequests(connection, watchdog)
        watchdog.finished = true
        guardTask.cancel()
        await connection.close()
    }

    private func serveRequests<Connection: Flow>(_ connection: Connection, _ watchdog: ConnectionWatchdog) async {
        var parser = HTTPRequestParser(limits: configuration.limits)
        while true {
            let request: HTTPRequest
            do {
                guard let next = try await readRequest(connection, &parser, watchdog) else { return }
                request = next
            } catch {
                if case let .malformed(error) = error {
                    // Answer what can be answered; the framing of anything after it is unknown.
                    await send(.text(error.status, error.description), for: nil, over: connection, closing: true)
                }
                return
            }
            // The application takes the time it takes.
            watchdog.deadline = nil
            watchdog.inRequest = false
            let response: HTTPResponse
            if let immediate, let answered = immediate(request) {
                response = answered
            } else {
                response = await handler(request)
            }
            let keepAlive = request.head.keepAlive
            watchdog.deadline = clock.now().advanced(byNanoseconds: limitNanoseconds.write)
            watchdog.writing = true
            let sent = await send(response, for: request.head, over: connection, closing: !keepAlive)
            watchdog.writing = false
            guard sent, keepAlive, !watchdog.finished else { return }
            watchdog.deadline = clock.now().advanced(byNanoseconds: limitNanoseconds.idle)
            noteRequestStart(parser, watchdog) // a pipelined request may be waiting already
        }
    }

    /// Why a connection stops being read.
    enum ConnectionEnd: Error {
        /// A malformed request, to be answered with its status.
        case malformed(HTTPParseError)
        /// The connection failed, or was closed under the reader (by the watchdog).
        case failed(FlowError)
    }

    /// Reads until one whole request is parsed; nil when the client closed between requests.
    @inline(__always)
    private func readRequest<Connection: Flow>(_ connection: Connection, _ parser: inout HTTPRequestParser,
                                                _ watchdog: ConnectionWatchdog) async throws(ConnectionEnd) -> HTTPRequest? {
        var head: HTTPRequestHead?
        var body: [UInt8] = []
        while true {
            do {
                while let event = try parser.next() {
                    switch event {
                    case let .head(value): head = value
                    case let .body(piece): body += piece.bytes
                    case .end: if let head { return HTTPRequest(head: head, body: body) }
                    }
                }
            } catch {
                throw .malformed(error)
            }
            let data: PacketBuffer?
            do { data = try await connection.read() } catch { throw .failed(error) }
            guard let data else {
                if parser.isInsideRequest { throw .malformed(.malformed("the connection ended inside a request")) }
                return nil
            }
            data.withUnsafeBytes { parser.append($0) }
            noteRequestStart(parser, watchdog)
        }
    }

    /// Starts the request time limit when the bytes of a new request have begun to arrive.
    private func noteRequestStart(_ parser: HTTPRequestParser, _ watchdog: ConnectionWatchdog) {
        guard parser.isInsideRequest, !watchdog.inRequest else { return }
        watchdog.inRequest = true
        watchdog.deadline = clock.now().advanced(byNanoseconds: limitNanoseconds.request)
    }

    /// Writes `response` to `request` (nil for an error answered before a request was read).
    /// - Returns: whether the connection is still good.
    @discardableResult
    @inline(__always)
    private func send<Connection: Flow>(_ response: HTTPResponse, for request: HTTPRequestHead?, over connection: Connection,
                                         closing: Bool) async -> Bool {
        let hasBody = !response.status.forbidsBody
        let sendsBody = hasBody && request?.method != "HEAD"
        let coalesced = sendsBody && response.body.count <= HTTPMessageWriter.coalescingLimit ? response.body.count : 0
        var head = HTTPHeadEncoder(capacity: 384 + coalesced)
        head.append(statusLines.line(version: .http11, status: response.status))
        var framed = false
        if let encoded = response.headers.encoding, !encoded.hasDate, !(closing && encoded.hasConnection) {
            head.append(encoded.bytes)
            framed = encoded.isFramed
        } else {
            for field in response.headers.fields {
                // The server's own Date, and its Connection when it closes, replace the application's.
                if HTTPHeaders.namesEqual(field.name, "Date") || (closing && HTTPHeaders.namesEqual(field.name, "Connection")) { continue }
                if HTTPHeaders.namesEqual(field.name, "Content-Length") || HTTPHeaders.namesEqual(field.name, "Transfer-Encoding") {
                    framed = true
                }
                head.field(field.name, field.value)
            }
        }
        head.append(dates.fieldLine(secondsSinceEpoch: wallClock.now().seconds))
        if hasBody, !framed { head.contentLength(response.body.count) }
        if closing { head.field("Connection", "close") }
        head.end()
        do {
            try await HTTPMessageWriter.write(head: consume head, body: sendsBody ? response.body : PacketBuffer(capacity: 0),
                                              chunked: false, over: connection)
            return true
        } catch {
            return false
        }
    }

    /// Closes the connection when its deadline passes: with 408 when a request was under way
    /// (RFC 9110 section 15.5.9), silently when it was idle, and with a reset when a response
    /// could not be written in time (the client stopped reading: a close would keep the unsent
    /// response for it until the stack's zero-window or orphan timeout).
    private func watch<Connection: Flow>(_ connection: Connection, _ watchdog: ConnectionWatchdog) async {
        while !watchdog.finished {
            guard let deadline = watchdog.deadline else {
                do { try await sleep(for: .seconds(1)) } catch { return }
                continue
            }
            if clock.now() >= deadline {
                watchdog.finished = true
                if watchdog.writing { counters.writeTimeouts += 1 }
                if watchdog.inRequest {
                    await send(.text(.requestTimeout, "the request took too long"), for: nil, over: connection, closing: true)
                }
                if watchdog.writing { await connection.abort() } else { await connection.close() }
                return
            }
            do { try await sleep(until: deadline) } catch { return }
        }
    }
}

/// What a connection's task and its watchdog share.
final class ConnectionWatchdog {
    /// When the connection is closed unless something happens first; nil while the application
    /// is handling a request.
    var deadline: Instant?
    /// Whether a request has begun and not been answered.
    var inRequest = false
    /// Whether a response is being written.
    var writing = false
    var finished = false
}
