/// A monotonic clock: time since an arbitrary origin that never goes backwards.
///
/// MirageOS calls this `Mirage_mtime`. On unix it is `CLOCK_MONOTONIC`; on hvt the tender's
/// monotonic-clock hypercall. Sleeping is the scheduler's business (`MirageRuntime.sleep(for:)`),
/// which reads the platform's monotonic clock.
public protocol MonotonicClock {
    /// The current instant.
    func now() -> Instant
}

/// A wall clock: the current civil time (MirageOS's `Mirage_ptime`).
public protocol WallClock {
    /// The current time since the Unix epoch.
    func now() -> WallTime
}
