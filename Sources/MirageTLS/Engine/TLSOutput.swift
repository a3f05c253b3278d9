/// What one call into a ``TLSConnection`` produced: bytes to send to the peer, application data
/// for the application, and what happened to the connection.
public struct TLSOutput: Equatable, Sendable {
    /// Records to send to the peer, in order.
    public var records: [UInt8] = []
    /// Application data received, in order.
    public var applicationData: [UInt8] = []
    /// The handshake completed during this call.
    public var handshakeComplete = false
    /// The peer sent close_notify: it will send no more (RFC 8446 section 6.1).
    public var peerClosed = false
    /// The peer ended the connection with this fatal alert.
    public var peerAlert: TLSAlertDescription?
    /// We ended the connection: the alert in ``records`` and why.
    public var error: TLSError?
    /// Tickets the server gave (on a client), for a later ``TLSClientConfiguration/resumption``.
    public var sessionTickets: [TLSSessionTicket] = []

    public init() {}
}
