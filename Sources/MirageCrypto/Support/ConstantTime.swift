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

extension ConstantTime {
    /// Called with each value the library derives from a secret but then treats as public (a
    /// tag's verdict, a shared secret's all-zero check, a public key computed from a private one,
    /// a signature), just before it branches on it. A no-op, except in the constant-time test
    /// (`Tests/ctgrind`), which marks the bytes defined for valgrind's memcheck there, so that only
    /// branches and indices on secrets that were never meant to become public are reported.
    public static var declassifyHook: (UnsafeMutableRawBufferPointer) -> Void = { _ in }

    /// `value`, declared public (``declassifyHook``).
    @inline(__always)
    static func declassify<Value>(_ value: Value) -> Value {
        var copy = value
        withUnsafeMutableBytes(of: &copy) { declassifyHook($0) }
        return copy
    }

    /// `bytes`, declared public (``declassifyHook``).
    static func declassify(_ bytes: [UInt8]) -> [UInt8] {
        var copy = bytes
        copy.withUnsafeMutableBytes { declassifyHook($0) }
        return copy
    }
}
