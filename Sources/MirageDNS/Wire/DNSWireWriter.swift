/// Builds a message's bytes, compressing names (RFC 1035 section 4.1.4).
///
/// Every name written with compression allowed is looked up suffix by suffix among the names
/// written before; the longest suffix found becomes a pointer. The suffixes of such names are
/// remembered while their offsets fit a pointer's fourteen bits. A ``Checkpoint`` lets the
/// encoder take back a record that does not fit, pointers to it included.
///
/// A message has a few dozen suffixes at most: they are searched in a list, by length first and
/// then bytes without regard to case, which costs less than hashing each one.
struct DNSWireWriter: ~Copyable {
    /// A suffix written: where it starts in the message, and the name it ends (its wire bytes,
    /// shared with the name, from `start`).
    private struct Suffix {
        let name: [UInt8]
        let start: Int
        let offset: Int
    }

    /// The message so far: the first ``count`` bytes of a buffer of `capacity` bytes that this
    /// writer alone holds (it cannot be copied), so that a write is a store after one check of
    /// room. In an array each write checked the array's uniqueness first: 16 checks a response.
    private var base: UnsafeMutableRawPointer?
    private var capacity: Int
    private(set) var count = 0
    /// The suffixes remembered, in the order written, so that a rollback can forget the later ones.
    private var suffixes: [Suffix] = []

    /// - Parameter capacity: the bytes to make room for at first (a message fits in 512 unless
    ///   EDNS or TCP lets it grow).
    ///   With 0 it allocates nothing, to stand in for a writer moved away.
    init(capacity: Int = 512) {
        self.capacity = capacity
        base = capacity > 0 ? UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 8) : nil
        if capacity > 0 { suffixes.reserveCapacity(16) }  // a typical answer's names: no growth step by step
    }

    deinit {
        base?.deallocate()
    }

    /// The message's bytes, copied to an array of their size.
    var bytes: [UInt8] { withWrittenBytes { Array($0) } }

    /// Runs `body` on the message's bytes, in place.
    func withWrittenBytes<Result>(_ body: (UnsafeRawBufferPointer) -> Result) -> Result {
        body(UnsafeRawBufferPointer(start: base, count: count))
    }

    /// Forgets what was written, keeping the room made for it: a writer used for message after
    /// message allocates nothing after the first.
    mutating func reset() {
        count = 0
        suffixes.removeAll(keepingCapacity: true)
    }

    /// The message's bytes.
    consuming func finish() -> [UInt8] {
        bytes
    }

    /// Makes room for `more` bytes after ``count`` and runs `body` on them; they count as written.
    @inline(__always)
    private mutating func append(_ more: Int, _ body: (UnsafeMutableRawPointer) -> Void) {
        if count + more > capacity { grow(toHold: count + more) }
        body(base.unsafelyUnwrapped + count)
        count += more
    }

    /// Moves the message to a buffer of at least `needed` bytes (twice the room, as an array grows).
    private mutating func grow(toHold needed: Int) {
        let grown = Swift.max(needed, 2 * capacity, 16)
        let moved = UnsafeMutableRawPointer.allocate(byteCount: grown, alignment: 8)
        if let base {
            moved.copyMemory(from: base, byteCount: count)
            base.deallocate()
        }
        base = moved
        capacity = grown
    }

    mutating func write(_ byte: UInt8) {
        append(1) { $0.storeBytes(of: byte, as: UInt8.self) }
    }

    mutating func write(_ value: UInt16) {
        append(2) { $0.storeBytes(of: value.bigEndian, as: UInt16.self) }
    }

    mutating func write(_ value: UInt32) {
        append(4) { $0.storeBytes(of: value.bigEndian, as: UInt32.self) }
    }

    /// A resource record's TYPE, CLASS and TTL, and an RDLENGTH of 0 to patch (RFC 1035 section
    /// 4.1.3), in one write.
    /// - Returns: the RDLENGTH's offset.
    mutating func writeRecordFields(type: UInt16, recordClass: UInt16, ttl: UInt32) -> Int {
        let fields = UInt64(type) << 48 | UInt64(recordClass) << 32 | UInt64(ttl)
        append(10) { destination in
            destination.storeBytes(of: fields.bigEndian, as: UInt64.self)
            destination.storeBytes(of: UInt16(0), toByteOffset: 8, as: UInt16.self)
        }
        return count - 2
    }

    mutating func write(bytes more: some Collection<UInt8>) {
        let length = more.count
        append(length) { destination in
            if more.withContiguousStorageIfAvailable({ destination.copyMemory(from: $0.baseAddress!, byteCount: length) }) == nil {
                var offset = 0
                for byte in more {
                    destination.storeBytes(of: byte, toByteOffset: offset, as: UInt8.self)
                    offset += 1
                }
            }
        }
    }

    /// Overwrites the two bytes at `offset`, for counts and RDLENGTH known only afterwards.
    mutating func patch(_ value: UInt16, at offset: Int) {
        precondition(offset >= 0 && offset + 2 <= count, "a patch outside what was written")
        base.unsafelyUnwrapped.storeBytes(of: value.bigEndian, toByteOffset: offset, as: UInt16.self)
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
        let labels = name.storage
        var labelStart = 0
        var pointer: Int? = nil
        while labelStart < labels.count {
            if compressing, let target = offset(ofSuffix: labels[labelStart...]) {
                pointer = target
                break
            }
            // Where this label will be once the labels before it are written.
            let offset = count + labelStart
            if compressing, offset < 0x4000 {
                suffixes.append(Suffix(name: labels, start: labelStart, offset: offset))
            }
            labelStart += 1 + Int(labels[labelStart])
        }
        write(bytes: labels[..<labelStart])
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
        Checkpoint(count: count, remembered: suffixes.count)
    }

    /// Takes back everything written since `checkpoint`, with the suffixes it remembered.
    mutating func rollBack(to checkpoint: Checkpoint) {
        count = checkpoint.count
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
