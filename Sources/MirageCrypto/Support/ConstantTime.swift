/// Comparisons whose running time depends only on the lengths of their inputs, never on their
/// contents: for tags and other secrets, where an early exit would tell an attacker how many
/// leading bytes of a guess were right.
public enum ConstantTime {
    /// Whether `a` and `b` hold the same bytes. Different lengths are unequal (lengths are not
    /// secret). Every byte pair is visited; the answer is formed without a branch on the data.
    public static func equal(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in 0..<a.count { difference |= a[index] ^ b[index] }
        return isZero(difference)
    }

    /// Whether `a` and `b` hold the same bytes, as ``equal(_:_:)-(UnsafeRawBufferPointer,_)``.
    public static func equal(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        a.withUnsafeBytes { a in b.withUnsafeBytes { b in equal(a, b) } }
    }

    /// Whether every byte of `bytes` is zero, visiting all of them.
    public static func isAllZero(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var accumulated: UInt8 = 0
        for byte in bytes { accumulated |= byte }
        return isZero(accumulated)
    }

    /// 1 when `value` is 0, else 0, by arithmetic: (value - 1) borrows into bit 8 only from 0.
    @inline(__always)
    static func isZero(_ value: UInt8) -> Bool {
        (UInt32(value) &- 1) >> 31 == 1
    }
}
