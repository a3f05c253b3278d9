/// How long a platform keeps polling for work before it sleeps, adapted to what waiting has been
/// worth, as Linux adapts KVM's `halt_poll_ns` (Documentation/virt/kvm/halt-polling.rst): a
/// sleep that work ended sooner than a spin of ``limit`` could have waited grows the spin; a sleep
/// longer than that, or one its deadline ended, shrinks it. A peer that answers within the limit
/// is then met spinning, and a quiet one costs a spin that halves at every sleep.
///
/// Pure: the platform reports what happened, with durations it measured.
public struct PollSpin: Equatable, Sendable {
    /// The longest spin (0: never spin).
    public let limit: Duration
    /// How long the next wait spins before it sleeps.
    public private(set) var current: Duration

    /// The first spin after the spin has shrunk to nothing.
    public static let growthStart = Duration.microseconds(10)

    /// Starts at the limit: the first wait after boot spins its longest.
    public init(limit: Duration) {
        self.limit = max(limit, .zero)
        current = self.limit
    }

    /// A wait spun for `spun` (the ``current`` spin, found nothing), then slept for `slept`,
    /// until work came (`wokenByWork`) or its deadline.
    public mutating func slept(after spun: Duration, for slept: Duration, wokenByWork: Bool) {
        guard limit > .zero else { return }
        if wokenByWork && spun + slept <= limit {
            current = current == .zero ? min(Self.growthStart, limit) : min(current * 2, limit)
        } else {
            current = current / 2 < Self.growthStart ? .zero : current / 2
        }
    }
}
