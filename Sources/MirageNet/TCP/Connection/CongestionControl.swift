import MirageCore

/// The congestion window of one connection: slow start and congestion avoidance (RFC 5681), and
/// CUBIC's window growth (RFC 9438) when chosen. Loss recovery itself (which segments to resend)
/// is the connection's; this type only says how much may be in flight.
///
/// Windows are in octets; CUBIC's formulas are in segments, converted at the edges.
struct CongestionControl {
    let algorithm: CongestionAlgorithm
    private(set) var mss: Int
    /// cwnd.
    private(set) var window: Int
    /// ssthresh: arbitrarily high at first (RFC 5681 section 3.1).
    private(set) var slowStartThreshold = Int.max
    /// Octets acknowledged in congestion avoidance not yet turned into window (RFC 5681's
    /// byte counting, section 3.1 and RFC 3465).
    private var acknowledgedInAvoidance = 0
    private var cubic = CubicState()

    init(algorithm: CongestionAlgorithm, mss: Int) {
        self.algorithm = algorithm
        self.mss = mss
        window = Self.initialWindow(mss: mss)
    }

    /// The initial window of RFC 6928: min(10*MSS, max(2*MSS, 14600)).
    static func initialWindow(mss: Int) -> Int { Swift.min(10 * mss, Swift.max(2 * mss, 14600)) }

    var inSlowStart: Bool { window < slowStartThreshold }

    /// Grows the window for `acknowledged` new octets (not during fast recovery).
    mutating func onAcknowledgment(_ acknowledged: Int, now: Instant, smoothedRTT: Duration?) {
        guard acknowledged > 0 else { return }
        if inSlowStart {
            // RFC 3465 section 2.2: at most L = 2*SMSS per ACK.
            window += Swift.min(acknowledged, 2 * mss)
            return
        }
        switch algorithm {
        case .newReno:
            acknowledgedInAvoidance += acknowledged
            if acknowledgedInAvoidance >= window {
                acknowledgedInAvoidance -= window
                window += mss
            }
        case .cubic:
            window = cubic.grow(window: window, acknowledged: acknowledged, mss: mss, now: now,
                                rtt: smoothedRTT ?? .milliseconds(100))
        }
    }

    /// A loss detected by duplicate ACKs or SACK: ssthresh drops (RFC 5681 equation 4, or CUBIC's
    /// beta of 0.7) and the window follows it for fast recovery (RFC 6582 section 3.2 step 2 without
    /// the inflation; the connection limits sending by its pipe estimate).
    mutating func onFastRetransmit(flight: Int) {
        slowStartThreshold = reducedThreshold(flight: flight)
        window = slowStartThreshold
        acknowledgedInAvoidance = 0
    }

    /// A retransmission timeout: ssthresh drops and the window falls to one segment (RFC 5681
    /// equations 4 and the loss window).
    mutating func onTimeout(flight: Int) {
        slowStartThreshold = reducedThreshold(flight: flight)
        window = mss
        acknowledgedInAvoidance = 0
        cubic.epochStart = nil
    }

    /// Sets the window when fast recovery ends (RFC 6582 section 3.2 step 3, the first option).
    mutating func onRecoveryEnd(flight: Int) {
        window = Swift.min(slowStartThreshold, Swift.max(flight, mss) + mss)
    }

    /// Clamps the window after an idle period or when the MSS changes (path MTU).
    mutating func setMSS(_ newMSS: Int) {
        mss = newMSS
        window = Swift.max(window, mss)
    }

    private mutating func reducedThreshold(flight: Int) -> Int {
        switch algorithm {
        case .newReno:
            return Swift.max(flight / 2, 2 * mss)
        case .cubic:
            cubic.onCongestion(window: window, mss: mss)
            return Swift.max(Int(Double(window) * CubicState.beta), 2 * mss)
        }
    }
}
