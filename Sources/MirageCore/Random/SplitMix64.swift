/// A small deterministic generator (SplitMix64, Steele, Lea and Flood, "Fast splittable
/// pseudorandom number generators", OOPSLA 2014) for the jitter pure protocol cores draw:
/// retransmission spread, probe delays, transaction IDs. The core is given a seed from the
/// platform's entropy when it is made, so it reads no randomness of its own and a test can
/// replay it. Not for secrets: keys, sequence numbers and ports use keyed hashes or the
/// platform's entropy.
public struct SplitMix64: Sendable {
    private var state: UInt64

    public init(seed: UInt64) {
        state = seed
    }

    /// The next 64 bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A duration drawn evenly from `0 ..< limit`, to the millisecond; zero when `limit` is
    /// under a millisecond.
    public mutating func duration(below limit: Duration) -> Duration {
        let milliseconds = limit.components.seconds * 1000 + limit.components.attoseconds / 1_000_000_000_000_000
        guard milliseconds > 0 else { return .zero }
        return .milliseconds(Int64(next() % UInt64(milliseconds)))
    }
}
