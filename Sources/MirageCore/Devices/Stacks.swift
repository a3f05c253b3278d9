/// Why a TCP or flow operation failed.
public enum FlowError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The peer reset the connection (RFC 9293 section 3.5.2).
    case reset
    /// The connection timed out: retransmissions went unanswered, or a connect took too long.
    case timedOut
    /// The peer refused the connection.
    case refused
    /// The flow was closed for writing by this side, or closed entirely.
    case closed
    /// The network is unreachable from here.
    case unreachable
    /// The port is already in use.
    case addressInUse(port: UInt16)
    /// The platform reported an error; `code` is its error number (errno on unix).
    case io(code: Int32)
    /// The stack holds as many connections as it may (its connection limit).
    case tooManyConnections

    public var description: String {
        switch self {
        case .reset: "connection reset by peer"
        case .timedOut: "connection timed out"
        case .refused: "connection refused"
        case .closed: "the flow is closed"
        case .unreachable: "network unreachable"
        case let .addressInUse(port): "port \(port) is already in use"
        case let .io(code): "input/output error (error number \(code))"
        case .tooManyConnections: "too many connections"
        }
    }
}

/// A reliable, ordered byte stream in both directions: a TCP connection or a TLS session over one
/// (MirageOS's `Mirage_flow`).
public protocol Flow: AnyObject {
    /// The other end.
    var remote: Endpoint { get }

    /// Waits for data and returns it; returns nil at the end of the stream (the peer closed its side).
    func read() async throws(FlowError) -> PacketBuffer?

    /// Queues `data` for sending, waiting while the send buffer is full (backpressure).
    func write(_ data: PacketBuffer) async throws(FlowError)

    /// Closes this side for writing; reading goes on (half-close, RFC 9293 section 3.6).
    func shutdownWrite() async

    /// Closes both directions and releases the flow.
    func close() async

    /// Resets the connection and releases the flow at once, dropping what was not sent or read
    /// (RFC 9293 section 3.10.5, ABORT): for a peer that stopped reading, whose unsent data a
    /// close would keep for it.
    func abort() async
}

/// Accepts incoming connections on one port.
public protocol TCPListener: AnyObject {
    associatedtype Connection: Flow
    /// Waits for the next established connection.
    func accept() async throws(FlowError) -> Connection
    /// Stops listening; pending connections are reset.
    func close()
}

/// A TCP stack: our own over a network device (`DirectStack`), or the host's sockets.
public protocol TCPStack: AnyObject {
    associatedtype Connection: Flow
    associatedtype Listener: TCPListener where Listener.Connection == Connection

    /// Starts listening on `port` on every local address.
    func listen(port: UInt16) throws(FlowError) -> Listener

    /// Opens a connection to `remote`.
    func connect(to remote: Endpoint) async throws(FlowError) -> Connection
}

/// A received UDP datagram.
public struct Datagram: Sendable {
    public var source: Endpoint
    public var destination: Endpoint
    public var payload: PacketBuffer

    public init(source: Endpoint, destination: Endpoint, payload: PacketBuffer) {
        self.source = source
        self.destination = destination
        self.payload = payload
    }
}

/// A UDP port bound for sending and receiving datagrams.
public protocol UDPSocket: AnyObject {
    /// Waits for the next datagram to this port.
    func receive() async throws(FlowError) -> Datagram
    /// Sends `payload` as one datagram to `destination`; taken, so that a stack that puts its
    /// headers in front of it need not copy a buffer its caller still holds.
    func send(_ payload: consuming PacketBuffer, to destination: Endpoint) async throws(FlowError)
    /// The next datagram when one has already arrived, without waiting; nil when none has (then
    /// ``receive()`` waits for one). A server answering a burst of datagrams reads them this way
    /// with no suspension point, and no task frame, for each (about 250 instructions a DNS
    /// query, Benchmarks/dns/instructions.py).
    func receiveIfReady() throws(FlowError) -> Datagram?
    /// Takes `payload` to send to `destination` as ``send(_:to:)`` would, when that needs no
    /// waiting; false, and nothing taken, when it would wait (then ``send(_:to:)`` sends it).
    func sendIfReady(_ payload: PacketBuffer, to destination: Endpoint) throws(FlowError) -> Bool
    /// Runs `body` on the next datagram when one has already arrived, as ``receiveIfReady()``
    /// would return it, but with its payload borrowed where the socket holds it (valid during
    /// `body` only): no buffer is made for it. False, and `body` not run, when none has.
    func withDatagramIfReady(_ body: (_ payload: UnsafeRawBufferPointer, _ source: Endpoint) -> Void) throws(FlowError) -> Bool
    /// Sends a datagram of `count` bytes to `destination`, which `write` puts straight where the
    /// socket keeps it, as ``sendIfReady(_:to:)`` would send a buffer; false, and `write` not
    /// run, when that would wait or the socket keeps no room of its own (then a buffer goes to
    /// ``sendIfReady(_:to:)`` or ``send(_:to:)``). Host sockets write into their `sendmmsg`
    /// batch: with ``withDatagramIfReady(_:)``, a burst's queries and answers need no buffer
    /// each (about 900 instructions a DNS query, Benchmarks/dns/instructions.py).
    func sendIfReady(count: Int, to destination: Endpoint, writing write: (UnsafeMutableRawBufferPointer) -> Void) throws(FlowError) -> Bool
    /// Releases the port.
    func close()
}

extension UDPSocket {
    /// None ready: ``receive()`` waits.
    public func receiveIfReady() throws(FlowError) -> Datagram? { nil }
    /// Never without waiting: ``send(_:to:)`` sends.
    public func sendIfReady(_ payload: PacketBuffer, to destination: Endpoint) throws(FlowError) -> Bool { false }
    /// The datagram ``receiveIfReady()`` returns, its payload's bytes borrowed from its buffer.
    public func withDatagramIfReady(_ body: (_ payload: UnsafeRawBufferPointer, _ source: Endpoint) -> Void) throws(FlowError) -> Bool {
        guard let datagram = try receiveIfReady() else { return false }
        datagram.payload.withUnsafeBytes { body($0, datagram.source) }
        return true
    }
    /// No room of its own: the caller makes a buffer.
    public func sendIfReady(count: Int, to destination: Endpoint, writing write: (UnsafeMutableRawBufferPointer) -> Void) throws(FlowError) -> Bool { false }
}

/// A UDP stack: our own over a network device, or the host's sockets.
public protocol UDPStack: AnyObject {
    associatedtype Socket: UDPSocket
    /// Binds `port` on every local address; port 0 picks a free ephemeral port.
    func bind(port: UInt16) throws(FlowError) -> Socket
}

/// A stack with one IPv4 address of its own that it can name (our stack; the host's sockets have
/// as many as the host). A service that puts its own address in what it sends, as a DHCP server
/// does in its identifier (RFC 2131 section 4.3.1), needs it.
public protocol IPv4AddressedStack: AnyObject {
    /// The address and its network; 0.0.0.0/32 while the stack has none (waiting for DHCP).
    var ipv4Network: IPv4Prefix { get }
    /// Sends what goes to `address` to the link-layer address `hardware` without asking ARP:
    /// a DHCP server's reply to a client that has no address yet goes unicast this way (RFC 2131
    /// section 4.1). Ignored for an address off the stack's network.
    func learnNeighbor(_ address: IPv4Address, at hardware: MACAddress)
}
