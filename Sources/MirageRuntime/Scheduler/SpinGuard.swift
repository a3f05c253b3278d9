/// Whether a platform's poll spin (``PollSpin``) may run now: only while the host's other tasks
/// are not waiting for a CPU, as Linux's busy polling is worth it only on a CPU nothing else
/// wants. A process that spins on a host whose CPUs are all wanted (a load generator, a bulk
/// sender, other servers) takes the CPU from them, and answers each request as it comes rather
/// than the batch a sleep lets gather: a name server under dnsperf on this project's 2-core
/// machines made a tenth fewer answers spinning; a keep-alive client alone with the server got
/// its answers in a third of the time (docs/ARCHITECTURE.md, "Adaptive polling").
///
/// The measure is Linux's pressure stall information (Documentation/accounting/psi.rst): the
/// total time during which at least one task was runnable and waiting for a CPU ("some"). The
/// guard reads it at most once a ``window``; when tasks waited for more than a fifth of the time
/// since the last reading, the spin stands back for ``backOff`` before it looks again, so that its
/// own look costs a contended host at most one window in a hundred.
///
/// Pure: the platform passes the time and a way to read the stall total.
public struct SpinGuard: Equatable, Sendable {
    /// The least time between two readings of the stall total (a reading costs a system call
    /// that formats text: 1.5 µs here).
    public static let window = Duration.milliseconds(1)
    /// How long the spin stands back once the host was found contended.
    public static let backOff = Duration.milliseconds(100)
    /// Contended: tasks waited for a CPU more than 1/`contendedShare` of the time between readings.
    public static let contendedShare: Int64 = 5

    private var lastTotal: Duration?
    private var lastReading = Instant.zero
    private var standsBackUntil = Instant.zero

    public init() {}

    /// Whether to spin at `now`. `readStallTotal` gives the host's total "some" CPU stall so far,
    /// or nil when it cannot be read: then the spin stands back too, as contention cannot be ruled
    /// out.
    public mutating func allowsSpin(now: Instant, readStallTotal: () -> Duration?) -> Bool {
        if now < standsBackUntil { return false }
        if lastTotal != nil, now - lastReading < Self.window { return true }
        let total = readStallTotal()
        defer {
            lastTotal = total
            lastReading = now
        }
        guard let total else {
            standsBackUntil = now + Self.backOff
            return false
        }
        guard let lastTotal else { return true }  // the first reading: nothing to compare with yet
        if (total - lastTotal) * Self.contendedShare > now - lastReading {
            standsBackUntil = now + Self.backOff
            return false
        }
        return true
    }
}
