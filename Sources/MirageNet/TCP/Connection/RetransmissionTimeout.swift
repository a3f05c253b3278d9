import MirageCore

/// The retransmission timeout estimator of RFC 6298: smoothed RTT and its variation, with
/// exponential back-off.
struct RetransmissionTimeout {
    // Kept in nanoseconds: `Duration`'s arithmetic goes through 128-bit integers, and this runs on
    // every acknowledgment (3% of a request's time on tap, measured with perf).
    private var smoothed: Int64?
    private var variation: Int64 = 0
    private var base: Int64
    /// Consecutive back-offs since the last valid sample or new acknowledgment.
    private(set) var backoffs = 0
    private let minimum: Int64
    private let maximum: Int64
    /// A sample is taken as at most an hour, so that the smoothing below cannot overflow.
    private static let longestSample: Int64 = 3_600_000_000_000

    init(configuration: TCPConfiguration) {
        base = configuration.initialRTO.totalNanoseconds
        minimum = configuration.minimumRTO.totalNanoseconds
        maximum = configuration.maximumRTO.totalNanoseconds
    }

    var smoothedRTT: Duration? { smoothed.map { .nanoseconds($0) } }

    /// The current RTO, backed off.
    var current: Duration { .nanoseconds(currentNanoseconds) }

    private var currentNanoseconds: Int64 {
        var value = base
        for _ in 0..<backoffs {
            value = value > maximum / 2 ? maximum : value * 2
            if value >= maximum { return maximum }
        }
        return value
    }

    /// When the current RTO, started at `now`, runs out.
    func deadline(from now: Instant) -> Instant {
        let (sum, overflow) = now.nanoseconds.addingReportingOverflow(UInt64(Swift.max(currentNanoseconds, 0)))
        return overflow ? .distantFuture : Instant(nanoseconds: sum)
    }

    /// The time from `sent` to `now` as a sample.
    mutating func sample(sent: Instant, now: Instant) {
        sample(nanoseconds: now >= sent ? Int64(clamping: now.nanoseconds - sent.nanoseconds) : 0)
    }

    /// Takes an RTT measurement in nanoseconds (RFC 6298 sections 2.2 and 2.3, alpha 1/8, beta
    /// 1/4, K 4, and a clock granularity of 1 ms).
    mutating func sample(nanoseconds measured: Int64) {
        let rtt = Swift.min(Swift.max(measured, 0), Self.longestSample)
        if let srtt = smoothed {
            let error = srtt > rtt ? srtt - rtt : rtt - srtt
            variation = (variation * 3 + error) / 4
            smoothed = (srtt * 7 + rtt) / 8
        } else {
            smoothed = rtt
            variation = rtt / 2
        }
        let granularity: Int64 = 1_000_000
        var rto = (smoothed ?? rtt) + Swift.max(granularity, variation * 4)
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
        if smoothed == nil { base = 3_000_000_000 }
        backoffs = 0
    }

    /// Forgets the back-off once new data is acknowledged (RFC 6298 section 5.7 keeps the backed-off
    /// value only until a valid sample; an ACK for new data is as good a sign of life).
    mutating func resetBackoff() { backoffs = 0 }
}
