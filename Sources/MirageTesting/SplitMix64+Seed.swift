import MirageCore

extension SplitMix64 {
    /// A generator from a random seed, printed with `test`'s name so that a failure can be
    /// replayed: a random-input test prints its seed, and `SplitMix64(seed:)` with it gives the
    /// same inputs again.
    public static func printingSeed(for test: String) -> SplitMix64 {
        let seed = UInt64.random(in: 0...UInt64.max)
        print("\(test) seed \(seed)")
        return SplitMix64(seed: seed)
    }
}
