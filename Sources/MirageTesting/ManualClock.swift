import MirageCore

/// A monotonic clock that moves only when told to: time in tests is chosen, not waited for.
public final class ManualClock: MonotonicClock {
    /// The current instant.
    public private(set) var instant: Instant

    public init(_ start: Instant = .zero) { instant = start }

    public func now() -> Instant { instant }

    /// Moves the clock forward by `duration`.
    public func advance(by duration: Duration) { advance(to: instant + duration) }

    /// Moves the clock to `target`; earlier targets are ignored, as a monotonic clock never goes back.
    public func advance(to target: Instant) {
        if target > instant { instant = target }
    }
}

/// A wall clock that stands still at a chosen time unless set.
public final class ManualWallClock: WallClock {
    public var time: WallTime

    public init(_ time: WallTime = WallTime(seconds: 0)) { self.time = time }

    public func now() -> WallTime { time }
}
