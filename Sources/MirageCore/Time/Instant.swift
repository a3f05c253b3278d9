/// A point on a monotonic clock, counted in nanoseconds from an arbitrary origin (usually boot).
///
/// Monotonic instants only ever move forward, so they are what timers and timeouts use. They say
/// nothing about the date: for that, see ``WallTime``.
public struct Instant: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Nanoseconds since the clock's origin.
    public var nanoseconds: UInt64

    /// Creates an instant `nanoseconds` after the clock's origin.
    @inlinable
    public init(nanoseconds: UInt64) { self.nanoseconds = nanoseconds }

    /// The clock's origin.
    public static let zero = Instant(nanoseconds: 0)

    /// An instant later than every reachable one; use it for "no deadline".
    public static let distantFuture = Instant(nanoseconds: .max)

    @inlinable
    public static func < (lhs: Instant, rhs: Instant) -> Bool { lhs.nanoseconds < rhs.nanoseconds }

    /// The instant `duration` after `instant`, saturating at ``distantFuture`` and at ``zero``.
    @inlinable
    public static func + (instant: Instant, duration: Duration) -> Instant {
        instant.advanced(byNanoseconds: duration.totalNanoseconds)
    }

    /// The instant `delta` nanoseconds after this one (before it when negative), saturating as
    /// `+` does. For a time limit used again and again: converting a `Duration` to nanoseconds
    /// divides 128-bit numbers, a few hundred instructions, so such a limit is converted once.
    @inlinable
    public func advanced(byNanoseconds delta: Int64) -> Instant {
        if delta >= 0 {
            let (sum, overflow) = nanoseconds.addingReportingOverflow(UInt64(delta))
            return overflow ? .distantFuture : Instant(nanoseconds: sum)
        }
        let magnitude = delta.magnitude
        return magnitude >= nanoseconds ? .zero : Instant(nanoseconds: nanoseconds - magnitude)
    }

    /// The time from `earlier` to `later`, negative when `later` comes first.
    @inlinable
    public static func - (later: Instant, earlier: Instant) -> Duration {
        if later >= earlier {
            return .nanoseconds(Int64(clamping: later.nanoseconds - earlier.nanoseconds))
        }
        return .nanoseconds(-Int64(clamping: earlier.nanoseconds - later.nanoseconds))
    }

    public var description: String {
        let seconds = nanoseconds / 1_000_000_000
        let fraction = nanoseconds % 1_000_000_000
        return "\(seconds).\(String.zeroPadded(fraction, width: 9))s"
    }
}

extension Duration {
    /// The whole duration in nanoseconds, saturated to the range of `Int64`.
    @inlinable
    public var totalNanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return seconds < 0 ? .min : .max }
        let (total, sumOverflow) = scaled.addingReportingOverflow(attoseconds / 1_000_000_000)
        if sumOverflow { return seconds < 0 ? .min : .max }
        return total
    }
}

extension String {
    /// `value` in decimal, left-padded with zeros to `width` digits.
    @usableFromInline
    static func zeroPadded(_ value: some BinaryInteger, width: Int) -> String {
        let digits = String(value)
        if digits.utf8.count >= width { return digits }
        return String(repeating: "0", count: width - digits.utf8.count) + digits
    }
}

extension Optional where Wrapped == Instant {
    /// The earlier of two optional deadlines, nil meaning none; for timers that combine several
    /// without building an array per call.
    @inlinable
    public func earliest(_ other: Instant?) -> Instant? {
        guard let self else { return other }
        guard let other else { return self }
        return Swift.min(self, other)
    }
}
