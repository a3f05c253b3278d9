import Glibc
import MirageCore

/// `CLOCK_MONOTONIC`: nanoseconds since boot, never going backwards. The corresponding C function
/// is `clock_gettime`.
public final class UnixMonotonicClock: MonotonicClock {
    public init() {}

    public func now() -> Instant {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Instant(nanoseconds: UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec))
    }
}

/// `CLOCK_REALTIME`: the host's civil time. The corresponding C function is `clock_gettime`.
public final class UnixWallClock: WallClock {
    public init() {}

    public func now() -> WallTime {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return WallTime(seconds: Int64(time.tv_sec), nanoseconds: UInt32(time.tv_nsec))
    }
}
