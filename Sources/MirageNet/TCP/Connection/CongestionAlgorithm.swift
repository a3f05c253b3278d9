/// The congestion control algorithm a connection uses.
public enum CongestionAlgorithm: Sendable {
    /// Slow start, congestion avoidance, fast retransmit and NewReno fast recovery
    /// (RFC 5681, RFC 6582).
    case newReno
    /// CUBIC (RFC 9438) with NewReno's slow start and recovery.
    case cubic
}
