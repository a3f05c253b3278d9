import MirageCore

/// A token bucket (RFC 1812 section 4.3.2.8's rate limit for ICMP errors; RFC 4443 section
/// 2.4 f): up to `burst` tokens, refilled at `perSecond`; each use takes one. Time comes in.
public struct TokenBucket: Sendable {
    public let burst: Int
    public let perSecond: Int
    private var tokens: Double
    private var updated: Instant

    /// A full bucket at `now`.
    public init(burst: Int, perSecond: Int, now: Instant) {
        self.burst = burst
        self.perSecond = perSecond
        tokens = Double(burst)
        updated = now
    }

    /// Takes a token when one is left at `now`.
    /// - Returns: whether one was taken.
    public mutating func take(now: Instant) -> Bool {
        let elapsed = Double((now - updated).totalNanoseconds) / 1e9
        tokens = Swift.min(Double(burst), tokens + Swift.max(elapsed, 0) * Double(perSecond))
        updated = now
        guard tokens >= 1 else { return false }
        tokens -= 1
        return true
    }
}
