import MirageCore

/// The platform's own generator (the standard library's `SystemRandomNumberGenerator`), for tests
/// whose keys and nonces meet a peer that is not seeded either; the seed a test prints covers its
/// inputs, not these.
public final class SystemEntropy: EntropySource {
    public init() {}

    public func fill(_ buffer: UnsafeMutableRawBufferPointer) {
        var generator = SystemRandomNumberGenerator()
        var index = 0
        while index < buffer.count {
            var word = generator.next()
            for _ in 0..<min(8, buffer.count - index) {
                buffer[index] = UInt8(truncatingIfNeeded: word)
                word >>= 8
                index += 1
            }
        }
    }
}
