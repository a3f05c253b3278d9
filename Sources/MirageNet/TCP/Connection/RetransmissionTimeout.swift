/// The retransmission timeout estimator of RFC 6298: smoothed RTT and its variation, with
/// exponential back-off.
struct RetransmissionTimeout {
    private(set) var smoothedRTT: Duration?
    private(set) var rttVariation = Duration.zero
    private var base: Duration
    /// Consecutive back-offs since the last valid sample or new acknowledgment.
    private(set) var backoffs = 0
    let minimum: Duration
    let maximum: Duration

    init(configuration: TCPConfiguration) {
        base = configuration.initialRTO
        minimum = configuration.minimumRTO
        maximum = configuration.maximumRTO
    }

    /// The current RTO, backed off.
    var current: Duration {
        var value = base
        for _ in 0..<backoffs {
            value = value * 2
            if value >= maximum { return maximum }
        }
        return value
    }

    /// Takes an RTT measurement (RFC 6298 sections 2.2 and 2.3, alpha 1/8, beta 1/4, K 4, and a
    /// clock granularity of 1 ms).
    mutating func sample(_ rtt: Duration) {
        let rtt = rtt < .zero ? .zero : rtt
        if let srtt = smoothedRTT {
            let error = srtt > rtt ? srtt - rtt : rtt - srtt
            rttVariation = (rttVariation * 3 + error) / 4
            smoothedRTT = (srtt * 7 + rtt) / 8
        } else {
            smoothedRTT = rtt
            rttVariation = rtt / 2
        }
        let granularity = Duration.milliseconds(1)
        var rto = (smoothedRTT ?? rtt) + Swift.max(granularity, rttVariation * 4)
        if rto < minimum { rto = minimum }
        if rto > maximum { rto = maximum }
        base = rto
        backoffs = 0
    }

    /// Doubles the timeout after an expiry (RFC 6298 section 5.5).
    mutating func backOff() { backoffs += 1 }

    /// RFC 6298 section 5.7: after the SYN timed out, data starts with an RTO of 3 s unless an RTT
    /// sample has set it.
    mutating func restartAfterSYNTimeout() {
        if smoothedRTT == nil { base = .seconds(3) }
        backoffs = 0
    }

    /// Forgets the back-off once new data is acknowledged (RFC 6298 section 5.7 keeps the backed-off
    /// value only until a valid sample; an ACK for new data is as good a sign of life).
    mutating func resetBackoff() { backoffs = 0 }
}
