/// Why a connection ends: the alert the engine sends its peer (RFC 8446 section 6.2) and, for
/// logs, what went wrong. Every failure of the engine is one of these, never a trap: the alert is
/// chosen where the fault is found, as section 6.2 asks.
public struct TLSError: Error, Equatable, Sendable {
    /// The alert sent to the peer before the connection closes.
    public let alert: TLSAlertDescription
    /// What went wrong, for the log (never sent).
    public let reason: String

    public init(_ alert: TLSAlertDescription, _ reason: String) {
        self.alert = alert
        self.reason = reason
    }

    /// A message that does not parse: a length that overruns, a field out of its range
    /// (RFC 8446 section 6.2, `decode_error`).
    static func decode(_ reason: String) -> TLSError { TLSError(.decodeError, reason) }

    /// A value that parses but is not allowed here (`illegal_parameter`).
    static func illegal(_ reason: String) -> TLSError { TLSError(.illegalParameter, reason) }
}
