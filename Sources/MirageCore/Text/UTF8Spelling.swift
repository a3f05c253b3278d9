/// Comparing names by their bytes.
///
/// `==` on strings compares by Unicode canonical equivalence, and hashing a string normalises it
/// first. In Embedded Swift that links the standard library's Unicode normalisation and grapheme
/// tables and the code that reads them (about 50 KB) into every image that compares or hashes a
/// string. The names a unikernel matches at boot (boot argument keys, log sources, level names,
/// device names) are ASCII in practice and are matched as a C program matches its options, byte
/// for byte, so the libraries below the platform line compare them with these instead.
extension StringProtocol {
    /// Whether this string and `other` are spelled with the same UTF-8 bytes.
    ///
    /// Strings that are equal by `==` but spelled differently (`"é"` precomposed or as `e` and a
    /// combining accent) are different names here.
    @inlinable
    public func hasSameSpelling(as other: some StringProtocol) -> Bool {
        utf8.elementsEqual(other.utf8)
    }

    /// Whether this string's UTF-8 bytes begin with those of `prefix`.
    @inlinable
    public func startsWithSpelling(of prefix: some StringProtocol) -> Bool {
        utf8.starts(with: prefix.utf8)
    }
}
