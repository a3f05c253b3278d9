// Embedded Swift needs `_Concurrency` imported explicitly wherever async code is written.
import _Concurrency
import MirageCore

/// The log of TLS sessions: each that fails, with the alert sent or received and why.
let tlsLog = LogSource("tls", documentation: "TLS sessions: each handshake or session that fails, with its alert")

/// A TLS session over a transport flow, itself a ``Flow``: a service written against `Flow`
/// runs over TLS unchanged (MirageOS's `Tls_mirage`). The thin async shell around the pure
/// ``TLSConnection``: it reads the transport, feeds the engine, writes what the engine says to,
/// and hands the application its data. The handshake runs on the first read or write.
public final class TLSFlow<Transport: Flow>: Flow {
    public let transport: Transport
    public private(set) var connection: TLSConnection
    private let now: () -> WallTime
    /// Application data received and not yet read.
    private var received: [UInt8] = []
    private var peerClosed = false
    /// Why the session ended, when TLS ended it: the alert sent or received.
    public private(set) var failure: TLSError?

    /// A server session over an accepted transport flow.
    public init(serving transport: Transport, configuration: TLSServerConfiguration, random: any EntropySource,
                now: @escaping () -> WallTime) {
        self.transport = transport
        connection = TLSConnection(server: configuration, random: random)
        self.now = now
    }

    /// A client session over a connected transport flow. With `sessions`, it offers the ticket
    /// kept there for the server (its name and port), unless the configuration names one, and
    /// keeps the tickets the server gives.
    public init(connectingOver transport: Transport, configuration: TLSClientConfiguration, random: any EntropySource,
                now: @escaping () -> WallTime, sessions: TLSClientSessionCache? = nil) {
        self.transport = transport
        var configuration = configuration
        if let sessions, let name = configuration.serverName {
            let server = name + " " + String(transport.remote.port)
            if configuration.resumption == nil { configuration.resumption = sessions.ticket(for: server, now: now()) }
            self.sessions = (sessions, server)
        }
        connection = TLSConnection(client: configuration, random: random)
        self.now = now
    }

    /// Where the tickets the server gives are kept, and under which key.
    private var sessions: (cache: TLSClientSessionCache, server: String)?

    public var remote: Endpoint { transport.remote }

    /// Runs the handshake now (it otherwise runs on the first read or write).
    /// - Throws: ``FlowError/reset`` when TLS refuses the peer (``failure`` says why), or the
    ///   transport's error.
    public func handshake() async throws(FlowError) {
        if connection.role == .client, !startedClient {
            startedClient = true
            try await deliver(connection.start(now: now()))
        }
        while !connection.isConnected {
            guard !connection.isClosed else { throw failure == nil ? .closed : .reset }
            guard try await pump() else {
                tlsLog.info("handshake with \(remote) failed: the peer closed the connection")
                throw .reset
            }
        }
    }
    /// A client's ClientHello is sent once, on the first handshake step.
    private var startedClient = false
    /// The handshake completed (a failure after it is the session's, not the handshake's).
    private var established = false

    public func read() async throws(FlowError) -> PacketBuffer? {
        try await handshake()
        while received.isEmpty {
            if peerClosed || connection.isClosed { return nil }
            guard try await pump() else { return nil }
        }
        defer { received = [] }
        return PacketBuffer(received)
    }

    public func write(_ data: PacketBuffer) async throws(FlowError) {
        try await handshake()
        guard !connection.writeClosed, !connection.isClosed else { throw .closed }
        let records = connection.send(data.bytes)
        try await transport.write(PacketBuffer(records))
    }

    /// Sends close_notify and shuts the transport for writing.
    public func shutdownWrite() async {
        let records = connection.close()
        if !records.isEmpty { try? await transport.write(PacketBuffer(records)) }
        await transport.shutdownWrite()
    }

    public func close() async {
        let records = connection.close()
        if !records.isEmpty { try? await transport.write(PacketBuffer(records)) }
        await transport.close()
    }

    public func abort() async {
        await transport.abort()
    }

    /// One read of the transport through the engine. False at the end of the transport's stream.
    private func pump() async throws(FlowError) -> Bool {
        guard let bytes = try await transport.read() else {
            peerClosed = true
            return false
        }
        try await deliver(connection.receive(bytes.bytes, now: now()))
        return true
    }

    /// Sends what the engine produced and keeps what it received; a fatal alert either way ends
    /// the session.
    private func deliver(_ output: TLSOutput) async throws(FlowError) {
        if !output.records.isEmpty { try await transport.write(PacketBuffer(output.records)) }
        if received.isEmpty { received = output.applicationData } else { received += output.applicationData }
        if output.peerClosed { peerClosed = true }
        if output.handshakeComplete { established = true }
        if let sessions { for ticket in output.sessionTickets { sessions.cache.keep(ticket, for: sessions.server) } }
        if let error = output.error {
            failure = error
            tlsLog.info("\(established ? "session" : "handshake") with \(remote) failed: sent \(error.alert.name): \(error.reason)")
            await transport.close()
            throw .reset
        }
        if let alert = output.peerAlert {
            failure = TLSError(alert, "the peer's alert")
            tlsLog.info("\(established ? "session" : "handshake") with \(remote) failed: received \(alert.name)")
            await transport.close()
            throw .reset
        }
    }
}

/// Accepts TCP connections and hands them out as TLS sessions; each handshake runs when its
/// session is first read or written, so a slow client holds up no other.
public final class TLSListener<Listener: TCPListener>: TCPListener {
    public let listener: Listener
    private let configuration: TLSServerConfiguration
    private let random: any EntropySource
    private let now: () -> WallTime

    public init(_ listener: Listener, configuration: TLSServerConfiguration, random: any EntropySource, now: @escaping () -> WallTime) {
        self.listener = listener
        self.configuration = configuration
        self.random = random
        self.now = now
    }

    public func accept() async throws(FlowError) -> TLSFlow<Listener.Connection> {
        TLSFlow(serving: try await listener.accept(), configuration: configuration, random: random, now: now)
    }

    public func close() { listener.close() }
}

/// A TCP stack whose connections are TLS sessions: ``listen(port:)`` serves with the server
/// configuration, ``connect(to:)`` connects with the client one. An application that takes a
/// `TCPStack` gets TLS by being given this.
public final class TLSStack<Stack: TCPStack>: TCPStack {
    public let stack: Stack
    /// The sessions its client connections resume, when it has a client configuration.
    public let sessions: TLSClientSessionCache?
    private let server: TLSServerConfiguration?
    private let client: TLSClientConfiguration?
    private let random: any EntropySource
    private let now: () -> WallTime

    /// - Parameter sessions: where client connections keep the servers' tickets to resume with;
    ///   nil for none (every handshake a full one).
    public init(_ stack: Stack, server: TLSServerConfiguration?, client: TLSClientConfiguration?, random: any EntropySource,
                now: @escaping () -> WallTime, sessions: TLSClientSessionCache? = TLSClientSessionCache()) {
        self.stack = stack
        self.sessions = client == nil ? nil : sessions
        self.server = server
        self.client = client
        self.random = random
        self.now = now
    }

    /// - Throws: ``FlowError/refused`` when the stack has no server configuration.
    public func listen(port: UInt16) throws(FlowError) -> TLSListener<Stack.Listener> {
        guard let server else { throw .refused }
        return TLSListener(try stack.listen(port: port), configuration: server, random: random, now: now)
    }

    /// - Throws: ``FlowError/refused`` when the stack has no client configuration.
    public func connect(to remote: Endpoint) async throws(FlowError) -> TLSFlow<Stack.Connection> {
        guard let client else { throw .refused }
        let flow = TLSFlow(connectingOver: try await stack.connect(to: remote), configuration: client, random: random, now: now, sessions: sessions)
        try await flow.handshake()
        return flow
    }
}

extension TLSStack: ServerNameConnecting {
    /// ``connect(to:)`` with `serverName` in SNI and as the name the certificate must carry, in
    /// place of the client configuration's: what a client that resolved `serverName` uses.
    public func connect(to remote: Endpoint, serverName: String) async throws(FlowError) -> TLSFlow<Stack.Connection> {
        guard var named = client else { throw .refused }
        named.serverName = serverName
        let flow = TLSFlow(connectingOver: try await stack.connect(to: remote), configuration: named, random: random, now: now, sessions: sessions)
        try await flow.handshake()
        return flow
    }
}
