/// Builds a message's bytes, compressing names (RFC 1035 section 4.1.4).
///
/// Every name written with compression allowed is looked up suffix by suffix among the names
/// written before; the longest suffix found becomes a pointer. The suffixes of such names are
/// remembered while their offsets fit a pointer's fourteen bits. A ``Checkpoint`` lets the
/// encoder take back a record that does not fit, pointers to it included.
///
/// A message has a few dozen suffixes at most: they are searched in a list, by length first and
/// then bytes without regard to case, which costs less than hashing each one.
struct DNSWireWriter {
    /// A suffix written: where it starts in the message, and the name it ends (its wire bytes,
    /// shared with the name, from `start`).
    private struct Suffix {
        let name: [UInt8]
        let start: Int
        let offset: Int
    }

    private(set) var bytes: [UInt8] = []
    /// The suffixes remembered, in the order written, so that a rollback can forget the later ones.
    private var suffixes: [Suffix] = []

    init() {
        bytes.reserveCapacity(512)
        suffixes.reserveCapacity(16)  // a typical answer's names: no growth step by step
    }

    var count: Int { bytes.count }

    mutating func write(_ byte: UInt8) {
        bytes.append(byte)
    }

    mutating func write(_ value: UInt16) {
        bytes.append(UInt8(truncatingIfNeeded: value >> 8))
        bytes.append(UInt8(truncatingIfNeeded: value))
    }

    mutating func write(_ value: UInt32) {
        for shift in stride(from: 24, through: 0, by: -8) {
            bytes.append(UInt8(truncatingIfNeeded: value >> UInt32(shift)))
        }
    }

    mutating func write(bytes more: some Collection<UInt8>) {
        bytes.append(contentsOf: more)
    }

    /// Overwrites the two bytes at `offset`, for counts and RDLENGTH known only afterwards.
    mutating func patch(_ value: UInt16, at offset: Int) {
        bytes[offset] = UInt8(truncatingIfNeeded: value >> 8)
        bytes[offset + 1] = UInt8(truncatingIfNeeded: value)
    }

    /// A character-string: its length byte, then its bytes (RFC 1035 section 3.3).
    ///
    /// - Precondition: `string.count <= 255`.
    mutating func writeCharacterString(_ string: [UInt8]) {
        precondition(string.count <= 255, "a character-string has at most 255 bytes")
        write(UInt8(string.count))
        write(bytes: string)
    }

    /// Writes `name`, ending in a pointer to an earlier copy of its longest known suffix when
    /// `compressing`, and remembers its suffixes for later names. The labels before the
    /// pointer go in with one append.
    mutating func writeName(_ name: DNSName, compressing: Bool) {
        let storage = name.storage
        var labelStart = 0
        var pointer: Int? = nil
        while labelStart < storage.count {
            if compressing, let target = offset(ofSuffix: storage[labelStart...]) {
                pointer = target
                break
            }
            // Where this label will be once the labels before it are written.
            let offset = bytes.count + labelStart
            if compressing, offset < 0x4000 {
                suffixes.append(Suffix(name: storage, start: labelStart, offset: offset))
            }
            labelStart += 1 + Int(storage[labelStart])
        }
        write(bytes: storage[..<labelStart])
        if let pointer {
            write(0xc000 | UInt16(pointer))
        } else {
            write(UInt8(0))
        }
    }

    /// The state to return to if what follows must be taken back.
    struct Checkpoint {
        fileprivate let count: Int
        fileprivate let remembered: Int
    }

    var checkpoint: Checkpoint {
        Checkpoint(count: bytes.count, remembered: suffixes.count)
    }

    /// Takes back everything written since `checkpoint`, with the suffixes it remembered.
    mutating func rollBack(to checkpoint: Checkpoint) {
        bytes.removeLast(bytes.count - checkpoint.count)
        suffixes.removeLast(suffixes.count - checkpoint.remembered)
    }

    /// Where an earlier copy of `suffix` (wire labels ending with the root) starts, if any.
    private func offset(ofSuffix suffix: ArraySlice<UInt8>) -> Int? {
        for remembered in suffixes where remembered.name.count - remembered.start == suffix.count {
            if DNSName.bytesEqualIgnoringCase(remembered.name[remembered.start...], suffix) { return remembered.offset }
        }
        return nil
    }
}
