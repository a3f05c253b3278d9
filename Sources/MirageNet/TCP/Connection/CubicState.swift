import MirageCore

/// CUBIC's state (RFC 9438 section 4), in segments.
struct CubicState {
    static let beta = 0.7
    static let c = 0.4
    /// W_max: the window before the last reduction.
    var windowMax: Double = 0
    /// K: the time the cubic function takes to reach W_max again.
    var k: Double = 0
    /// When the current congestion-avoidance epoch began.
    var epochStart: Instant?
    /// W_est: the Reno-friendly estimate (section 4.3).
    var renoEstimate: Double = 0

    mutating func onCongestion(window: Int, mss: Int) {
        let segments = Double(window) / Double(mss)
        // Fast convergence (section 4.7).
        windowMax = segments < windowMax ? segments * (1 + Self.beta) / 2 : segments
        epochStart = nil
    }

    /// The new window after `acknowledged` octets in congestion avoidance (sections 4.2 to 4.4).
    mutating func grow(window: Int, acknowledged: Int, mss: Int, now: Instant, rtt: Duration) -> Int {
        let current = Double(window) / Double(mss)
        if epochStart == nil {
            epochStart = now
            if windowMax < current {
                windowMax = current
                k = 0
            } else {
                k = cubeRoot(windowMax * (1 - Self.beta) / Self.c)
            }
            renoEstimate = current
        }
        let elapsed = seconds(now - epochStart!)
        let rttSeconds = seconds(rtt)
        let target = Swift.min(Swift.max(cubicWindow(elapsed + rttSeconds), current), 1.5 * current)
        let acknowledgedSegments = Double(acknowledged) / Double(mss)
        renoEstimate += (3 * (1 - Self.beta) / (1 + Self.beta)) * acknowledgedSegments / current
        var next = current + (target - current) / current * acknowledgedSegments
        if cubicWindow(elapsed) < renoEstimate { next = Swift.max(next, renoEstimate) }
        return Swift.max(window, Int(next * Double(mss)))
    }

    /// W_cubic(t) = C*(t-K)^3 + W_max (equation 1).
    func cubicWindow(_ t: Double) -> Double {
        let d = t - k
        return Self.c * d * d * d + windowMax
    }

    private func seconds(_ duration: Duration) -> Double {
        Double(duration.totalNanoseconds) / 1e9
    }
}

/// The real cube root of a non-negative number, by Newton's method (no libm in the guest).
func cubeRoot(_ x: Double) -> Double {
    guard x > 0 else { return 0 }
    var y = x > 1 ? x / 3 : 1
    for _ in 0..<60 {
        let next = y - (y * y * y - x) / (3 * y * y)
        if abs(next - y) <= 1e-12 * next { return next }
        y = next
    }
    return y
}
