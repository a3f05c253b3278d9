/// A source of cryptographically strong random bytes (MirageOS's `Mirage_crypto_rng` seed).
///
/// Protocol cores never draw randomness themselves: the shell draws from an entropy source and
/// passes the bytes in, so tests can use a seeded source (`MirageTesting.SeededEntropy`).
public protocol EntropySource: AnyObject {
    /// Fills `buffer` with random bytes.
    func fill(_ buffer: UnsafeMutableRawBufferPointer)
}

extension EntropySource {
    /// Returns `count` random bytes.
    public func bytes(count: Int) -> [UInt8] {
        var result = [UInt8](repeating: 0, count: count)
        result.withUnsafeMutableBytes { fill($0) }
        return result
    }

    /// Returns a random 64-bit value.
    public func next() -> UInt64 {
        var value: UInt64 = 0
        withUnsafeMutableBytes(of: &value) { fill($0) }
        return value
    }
}

/// Adapts an ``EntropySource`` to the standard library's `RandomNumberGenerator`, so that
/// `Int.random(in:using:)` and `shuffled(using:)` draw from it.
public struct EntropyRandomNumberGenerator<Source: EntropySource>: RandomNumberGenerator {
    public let source: Source
    public init(_ source: Source) { self.source = source }
    public mutating func next() -> UInt64 { source.next() }
}
