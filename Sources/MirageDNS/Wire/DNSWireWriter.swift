/// Builds a message's bytes, compressing names (RFC 1035 section 4.1.4).
///
/// Every name written with compression allowed is looked up suffix by suffix among the names
/// written before; the longest suffix found becomes a pointer. The suffixes of such names are
/// remembered while their offsets fit a pointer's fourteen bits. A ``Checkpoint`` lets the
/// encoder take back a record that does not fit, pointers to it included.
///
/// A message has a few dozen suffixes at most: they are searched in a list, by length first and
/// then bytes without regard to case, which costs less than hashing each one.
///
/// The writer cannot be copied: the message, the names whose suffixes it remembers, and the
/// list of those suffixes are in buffers it alone holds (``Room``), so a write is a store after a
/// check of room, a remembered suffix holds no reference, and a reset or a rollback sets counts.
/// (In arrays, each write checked the array's uniqueness, 16 times a response, and each suffix
/// retained its name.)
struct DNSWireWriter: ~Copyable {
    /// A suffix written: where its name's wire bytes start in ``names``, how many there are from
    /// the suffix on, and where the suffix starts in the message.
    private struct Suffix {
        let start: Int32
        let length: Int32
        let offset: Int32
    }

    /// The message so far.
    private var message: Room
    /// The wire labels of each name that has suffixes remembered, one after another.
    private var names: Room
    /// The suffixes remembered (``Suffix`` records), in the order written, so that a rollback can
    /// forget the later ones.
    private var suffixes: Room
    /// The bytes written.
    var count: Int { message.count }

    /// - Parameter capacity: the bytes to make room for at first (a message fits in 512 unless
    ///   EDNS or TCP lets it grow).
    ///   With 0 it allocates nothing, to stand in for a writer moved away.
    init(capacity: Int = 512) {
        message = Room(capacity: capacity)
        // A typical answer's names and suffixes: no growth step by step.
        names = Room(capacity: capacity > 0 ? 256 : 0)
        suffixes = Room(capacity: capacity > 0 ? 16 * MemoryLayout<Suffix>.stride : 0)
    }

    /// The message's bytes, copied to an array of their size.
    var bytes: [UInt8] { withWrittenBytes { Array($0) } }

    /// Runs `body` on the message's bytes, in place.
    func withWrittenBytes<Result>(_ body: (UnsafeRawBufferPointer) -> Result) -> Result {
        body(UnsafeRawBufferPointer(start: message.base, count: message.count))
    }

    /// Forgets what was written, keeping the room made for it: a writer used for message after
    /// message allocates nothing after the first.
    mutating func reset() {
        message.count = 0
        names.count = 0
        suffixes.count = 0
    }

    /// The message's bytes.
    consuming func finish() -> [UInt8] {
        bytes
    }

    /// Makes room for `more` bytes after ``count`` and runs `body` on them; they count as written.
    @inline(__always)
    private mutating func append(_ more: Int, _ body: (UnsafeMutableRawPointer) -> Void) {
        body(message.extend(by: more))
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

    /// Writes the bytes `more` points to, with one copy.
    mutating func write(raw more: UnsafeRawBufferPointer) {
        guard let source = more.baseAddress, more.count > 0 else { return }
        message.extend(by: more.count).copyMemory(from: source, byteCount: more.count)
    }

    /// Overwrites the two bytes at `offset`, for counts and RDLENGTH known only afterwards.
    mutating func patch(_ value: UInt16, at offset: Int) {
        precondition(offset >= 0 && offset + 2 <= count, "a patch outside what was written")
        message.base.unsafelyUnwrapped.storeBytes(of: value.bigEndian, toByteOffset: offset, as: UInt16.self)
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
    /// `compressing`, and remembers its suffixes for later names (its labels copied once). The
    /// labels before the pointer go in with one copy.
    ///
    /// Only the suffixes of earlier names are searched (a name's own are all longer than the rest
    /// of it), and the search stops at the first found: the longest, as labels are tried from the
    /// left.
    mutating func writeName(_ name: DNSName, compressing: Bool) {
        name.storage.withUnsafeBytes { labels in
            guard let base = labels.baseAddress else {
                write(UInt8(0))
                return
            }
            let total = labels.count
            var labelStart = 0
            var pointer = -1
            var labelCount = 0
            if compressing {
                let earlier = suffixes.count
                while labelStart < total {
                    if earlier > 0, let target = offset(ofSuffix: UnsafeRawBufferPointer(start: base + labelStart, count: total &- labelStart), among: earlier) {
                        pointer = target
                        break
                    }
                    labelCount &+= 1
                    labelStart &+= 1 &+ Int(base.load(fromByteOffset: labelStart, as: UInt8.self))
                }
                rememberSuffixes(of: base, byteCount: total, labelCount: labelCount)
            } else {
                labelStart = total
            }
            write(raw: UnsafeRawBufferPointer(start: base, count: labelStart))
            if pointer >= 0 {
                write(0xc000 | UInt16(truncatingIfNeeded: pointer))
            } else {
                write(UInt8(0))
            }
        }
    }

    /// Remembers the suffixes starting at the first `labelCount` labels of the name at `base`
    /// (`byteCount` bytes of labels), about to be written at ``count``, whose offsets fit a
    /// pointer; the name's labels copied once.
    private mutating func rememberSuffixes(of base: UnsafeRawPointer, byteCount: Int, labelCount: Int) {
        let nameOffset = count
        guard labelCount > 0, nameOffset < 0x4000 else { return }
        let start = names.count
        names.extend(by: byteCount).copyMemory(from: base, byteCount: byteCount)
        let records = suffixes.extend(by: labelCount &* MemoryLayout<Suffix>.stride)
        var labelStart = 0
        var kept = 0
        while kept < labelCount, nameOffset &+ labelStart < 0x4000 {
            let suffix = Suffix(start: Int32(truncatingIfNeeded: start &+ labelStart),
                                length: Int32(truncatingIfNeeded: byteCount &- labelStart),
                                offset: Int32(truncatingIfNeeded: nameOffset &+ labelStart))
            records.storeBytes(of: suffix, toByteOffset: kept &* MemoryLayout<Suffix>.stride, as: Suffix.self)
            kept &+= 1
            labelStart &+= 1 &+ Int(base.load(fromByteOffset: labelStart, as: UInt8.self))
        }
        // Suffixes past the pointers' reach are not kept.
        suffixes.count &-= (labelCount &- kept) &* MemoryLayout<Suffix>.stride
    }

    /// The state to return to if what follows must be taken back.
    struct Checkpoint {
        fileprivate let count: Int
        fileprivate let names: Int
        fileprivate let suffixes: Int
    }

    var checkpoint: Checkpoint {
        Checkpoint(count: message.count, names: names.count, suffixes: suffixes.count)
    }

    /// Takes back everything written since `checkpoint`, with the suffixes it remembered.
    mutating func rollBack(to checkpoint: Checkpoint) {
        message.count = checkpoint.count
        names.count = checkpoint.names
        suffixes.count = checkpoint.suffixes
    }

    /// Where an earlier copy of `suffix` (wire labels ending with the root) starts, if any,
    /// among the suffixes remembered in the first `recordBytes` bytes of ``suffixes``.
    @inline(__always)
    private func offset(ofSuffix suffix: UnsafeRawBufferPointer, among recordBytes: Int) -> Int? {
        guard let records = suffixes.base, let bytes = names.base else { return nil }
        var position = 0
        while position < recordBytes {
            let remembered = records.load(fromByteOffset: position, as: Suffix.self)
            position &+= MemoryLayout<Suffix>.stride
            guard Int(remembered.length) == suffix.count else { continue }
            if DNSName.bytesEqualIgnoringCase(UnsafeRawBufferPointer(start: bytes + Int(remembered.start), count: suffix.count), suffix) {
                return Int(remembered.offset)
            }
        }
        return nil
    }
}

extension DNSWireWriter {
    /// Bytes in a buffer that only its owner holds: it cannot be copied, so no write checks that
    /// the buffer is shared, and the buffer is freed with it.
    struct Room: ~Copyable {
        private(set) var base: UnsafeMutableRawPointer?
        private var capacity: Int
        /// The bytes in use, from `base`; set lower to forget the rest.
        var count = 0

        /// A buffer of `capacity` bytes; none allocated for 0.
        init(capacity: Int) {
            self.capacity = capacity
            base = capacity > 0 ? UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 8) : nil
        }

        deinit {
            base?.deallocate()
        }

        /// Makes room for `more` bytes after ``count``, which then count as in use; returns where
        /// they start.
        @inline(__always)
        mutating func extend(by more: Int) -> UnsafeMutableRawPointer {
            if count + more > capacity { grow(toHold: count + more) }
            let start = base.unsafelyUnwrapped + count
            count += more
            return start
        }

        /// Moves the bytes to a buffer of at least `needed` bytes (twice the room, as an array grows).
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
    }
}
