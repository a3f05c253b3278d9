/// A domain name (RFC 1035 sections 2.3.1, 3.1 and 4.1.4): a sequence of labels of bytes,
/// ending at the root.
///
/// Labels are bytes, not text: any byte may appear in one. Names compare and hash without
/// regard to ASCII case (RFC 4343), byte for byte otherwise, while the case they were written
/// with is kept, so that an answer can repeat a query's spelling (the "0x20" practice).
///
/// The labels are stored in wire form, each a length byte followed by its bytes, without the
/// empty root label at the end. Limits are enforced on construction: labels of at most 63
/// bytes and names of at most 255 bytes in wire form (RFC 1035 section 2.3.4).
public struct DNSName: Hashable, Sendable {
    /// The longest label, in bytes.
    public static let maximumLabelLength = 63
    /// The longest name in wire form, in bytes, counting every length byte and the root label.
    public static let maximumWireLength = 255

    /// The labels in wire form, without the root label: length byte, label bytes, and so on.
    public private(set) var storage: [UInt8]

    /// The root name, `.`.
    public static let root = DNSName(storage: [])

    init(storage: [UInt8]) {
        self.storage = storage
    }

    /// The name made of `labels`, leftmost first, without the root label.
    ///
    /// - Throws: ``DNSNameError`` for an empty label, a label of more than 63 bytes or a name
    ///   of more than 255 bytes.
    public init(labels: some Sequence<some Collection<UInt8>>) throws(DNSNameError) {
        var storage: [UInt8] = []
        for label in labels {
            guard !label.isEmpty else { throw .emptyLabel }
            guard label.count <= Self.maximumLabelLength else { throw .labelTooLong(length: label.count) }
            storage.append(UInt8(label.count))
            storage.append(contentsOf: label)
        }
        guard storage.count + 1 <= Self.maximumWireLength else { throw .nameTooLong(length: storage.count + 1) }
        self.storage = storage
    }

    /// The length in wire form, without compression: every label with its length byte, and the
    /// root label.
    public var wireLength: Int { storage.count + 1 }

    /// Whether this is the root name.
    public var isRoot: Bool { storage.isEmpty }

    /// The offsets in ``storage`` of each label's length byte, leftmost first.
    private var labelOffsets: [Int] {
        var offsets: [Int] = []
        offsets.reserveCapacity(8)  // most names have fewer labels: one allocation, not four
        var offset = 0
        while offset < storage.count {
            offsets.append(offset)
            offset += 1 + Int(storage[offset])
        }
        return offsets
    }

    /// The number of labels, not counting the root label.
    public var labelCount: Int {
        var count = 0
        var offset = 0
        while offset < storage.count {
            count += 1
            offset += 1 + Int(storage[offset])
        }
        return count
    }

    /// The labels, leftmost first, without the root label.
    public var labels: [ArraySlice<UInt8>] {
        labelOffsets.map { storage[($0 + 1)..<($0 + 1 + Int(storage[$0]))] }
    }

    /// The leftmost label, or nil for the root.
    public var firstLabel: ArraySlice<UInt8>? {
        guard let length = storage.first else { return nil }
        return storage[1..<(1 + Int(length))]
    }

    /// Whether the leftmost label is `*`, which makes this a wildcard owner (RFC 4592 section 2.1.1).
    public var isWildcard: Bool {
        storage.count >= 2 && storage[0] == 1 && storage[1] == UInt8(ascii: "*")
    }

    /// The name without its leftmost label, or nil for the root.
    public var parent: DNSName? {
        guard let length = storage.first else { return nil }
        return DNSName(storage: Array(storage[(1 + Int(length))...]))
    }

    /// The ancestor made of the rightmost `count` labels of this name (the root for 0).
    ///
    /// - Precondition: `count <= labelCount`.
    public func suffix(labelCount count: Int) -> DNSName {
        let offsets = labelOffsets
        precondition(count >= 0 && count <= offsets.count, "a name has fewer labels than asked for")
        if count == 0 { return .root }
        return DNSName(storage: Array(storage[offsets[offsets.count - count]...]))
    }

    /// Whether this name is `other` or lies below it (RFC 1034 section 3.1: `other` is an
    /// ancestor or the name itself). Every name is a subdomain of the root.
    public func isSubdomain(of other: DNSName) -> Bool {
        guard other.storage.count <= storage.count else { return false }
        let start = storage.count - other.storage.count
        return storage.withUnsafeBytes { name in
            var offset = 0
            while offset < start { offset += 1 + Int(name[offset]) }
            guard offset == start else { return false }  // the suffix must start at a label
            return other.storage.withUnsafeBytes { DNSName.bytesEqualIgnoringCase(UnsafeRawBufferPointer(rebasing: name[start...]), $0) }
        }
    }

    /// The labels of this name in front of `origin`, leftmost first: empty when the name is
    /// `origin`, nil when it is not a subdomain of `origin`.
    public func labels(relativeTo origin: DNSName) -> [ArraySlice<UInt8>]? {
        guard isSubdomain(of: origin) else { return nil }
        return Array(labels.dropLast(origin.labelCount))
    }

    /// This name with `label` in front.
    ///
    /// - Throws: ``DNSNameError`` when the label is empty or too long, or the name too long.
    public func prepending(label: some Collection<UInt8>) throws(DNSNameError) -> DNSName {
        guard !label.isEmpty else { throw .emptyLabel }
        guard label.count <= Self.maximumLabelLength else { throw .labelTooLong(length: label.count) }
        let length = storage.count + 1 + label.count + 1
        guard length <= Self.maximumWireLength else { throw .nameTooLong(length: length) }
        return DNSName(storage: [UInt8(label.count)] + label + storage)
    }

    /// This name followed by the labels of `suffix`: a relative name completed by its origin.
    ///
    /// - Throws: ``DNSNameError/nameTooLong(length:)`` when the result is longer than 255 bytes.
    public func appending(_ suffix: DNSName) throws(DNSNameError) -> DNSName {
        let length = storage.count + suffix.storage.count + 1
        guard length <= Self.maximumWireLength else { throw .nameTooLong(length: length) }
        return DNSName(storage: storage + suffix.storage)
    }

    /// The wildcard name `*.` + this name (RFC 4592 section 2.1.1).
    public var wildcardChild: DNSName? {
        try? prepending(label: CollectionOfOne(UInt8(ascii: "*")))
    }

    /// This name with ASCII capitals made small, the canonical case of RFC 4034 section 6.2.
    public func lowercased() -> DNSName {
        var copy = self
        // Length bytes are at most 63, below "A": lowering every byte leaves them alone.
        for index in copy.storage.indices { copy.storage[index] = DNSName.lower(copy.storage[index]) }
        return copy
    }

    /// Whether this name and `other` have the same bytes, ASCII case included.
    public func hasSameSpelling(as other: DNSName) -> Bool {
        storage == other.storage
    }

    // MARK: Case-insensitive equality (RFC 4343)

    public static func == (lhs: DNSName, rhs: DNSName) -> Bool {
        bytesEqualIgnoringCase(lhs.storage[...], rhs.storage[...])
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(storage.count)
        // Eight lowercased bytes a word: one combine for each, not one a byte.
        var word: UInt64 = 0
        var filled = 0
        for byte in storage {
            word = word << 8 | UInt64(DNSName.lower(byte))
            filled += 1
            if filled == 8 {
                hasher.combine(word)
                word = 0
                filled = 0
            }
        }
        if filled > 0 { hasher.combine(word) }
    }

    /// `byte` with ASCII `A`-`Z` made `a`-`z`; every other byte as it is.
    @inline(__always)
    static func lower(_ byte: UInt8) -> UInt8 {
        byte &- 65 < 26 ? byte | 0x20 : byte
    }

    /// `word` with each byte from `A` to `Z` made `a` to `z`, all eight at once; bytes of 0x80
    /// and above are left alone.
    @inline(__always)
    static func lower(_ word: UInt64) -> UInt64 {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let low = word & (0x7f &* ones)
        // A byte's high bit set where its low seven bits are past "Z", and where they reach "A";
        // neither sum carries into the next byte.
        let pastZ = low &+ (0x25 &* ones)
        let fromA = low &+ (0x3f &* ones)
        let capitals = fromA & ~pastZ & ~word & (0x80 &* ones)
        return word | capitals >> 2
    }

    static func bytesEqualIgnoringCase(_ a: ArraySlice<UInt8>, _ b: ArraySlice<UInt8>) -> Bool {
        guard a.count == b.count else { return false }
        return a.withUnsafeBytes { a in b.withUnsafeBytes { b in bytesEqualIgnoringCase(a, b) } }
    }

    /// Whether `a` and `b` are the same bytes without regard to ASCII case, compared eight
    /// bytes at a time (a tail of fewer than eight with the bytes before it, in one load); words
    /// that are the same as they are (names spelled alike, the usual case) are not lowered.
    static func bytesEqualIgnoringCase(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
        guard a.count == b.count else { return false }
        guard let left = a.baseAddress, let right = b.baseAddress else { return true }
        let count = a.count
        var offset = 0
        while offset &+ 8 <= count {
            guard sameIgnoringCase(left.loadUnaligned(fromByteOffset: offset, as: UInt64.self),
                                   right.loadUnaligned(fromByteOffset: offset, as: UInt64.self)) else { return false }
            offset &+= 8
        }
        guard offset < count else { return true }
        if count >= 8 {
            // The tail within the last eight bytes, compared again with those before it.
            let end = count &- 8
            return sameIgnoringCase(left.loadUnaligned(fromByteOffset: end, as: UInt64.self),
                                    right.loadUnaligned(fromByteOffset: end, as: UInt64.self))
        }
        while offset < count {
            guard lower(left.load(fromByteOffset: offset, as: UInt8.self)) == lower(right.load(fromByteOffset: offset, as: UInt8.self)) else {
                return false
            }
            offset &+= 1
        }
        return true
    }

    /// Whether two words of name bytes are the same without regard to ASCII case.
    @inline(__always)
    private static func sameIgnoringCase(_ a: UInt64, _ b: UInt64) -> Bool {
        a == b || lower(a) == lower(b)
    }
}
