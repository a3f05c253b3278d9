/// Little-endian field reads from an ELF file's bytes, and the bounds check that comes before them.
///
/// A reader checks a structure's whole extent once with ``extent(_:offset:length:)``; after that,
/// its field accessors read inside the checked extent and cannot trap.
struct ELFFileBytes {
    let bytes: UnsafeRawBufferPointer

    var count: Int { bytes.count }

    /// The file offsets `offset..<offset + length`, when they all lie in the file.
    /// - Throws: ``ELFError/truncated(_:offset:length:fileSize:)`` naming `part` when they do not,
    ///   including when `offset + length` wraps around 64 bits.
    func extent(_ part: ELFFilePart, offset: UInt64, length: UInt64) throws(ELFError) -> Range<Int> {
        let fileSize = UInt64(bytes.count)
        guard offset <= fileSize, length <= fileSize - offset else {
            throw .truncated(part, offset: offset, length: length, fileSize: bytes.count)
        }
        // Both are at most the file's size, an `Int`.
        return Int(offset)..<Int(offset + length)
    }

    /// The little-endian `T` at `offset`, which the caller has checked lies in the file.
    func read<T: FixedWidthInteger>(_: T.Type, at offset: Int) -> T {
        var value: T = 0
        for index in 0..<(T.bitWidth / 8) {
            value |= T(truncatingIfNeeded: bytes[offset + index]) << (8 * index)
        }
        return value
    }
}
