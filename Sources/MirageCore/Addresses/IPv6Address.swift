/// An IPv6 address (RFC 4291, section 2): 128 bits, written as eight groups of 16 bits.
///
/// The bits are kept as two host-order integers, ``high`` for groups 0 to 3 and ``low`` for
/// groups 4 to 7, so addresses compare and mask as integers. ``bytes``, ``init(bytes:)`` and
/// ``copyBytes(to:)`` give network byte order.
public struct IPv6Address: Hashable, Comparable, Sendable, CustomStringConvertible,
    LosslessStringConvertible
{
    /// The first 64 bits: groups 0 to 3, group 0 in the most significant 16 bits.
    public var high: UInt64
    /// The last 64 bits: groups 4 to 7, group 7 in the least significant 16 bits.
    public var low: UInt64

    /// The address with the 128 bits `high` followed by `low`.
    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// The address `g0:g1:g2:g3:g4:g5:g6:g7`.
    public init(
        _ g0: UInt16, _ g1: UInt16, _ g2: UInt16, _ g3: UInt16,
        _ g4: UInt16, _ g5: UInt16, _ g6: UInt16, _ g7: UInt16
    ) {
        high = UInt64(g0) << 48 | UInt64(g1) << 32 | UInt64(g2) << 16 | UInt64(g3)
        low = UInt64(g4) << 48 | UInt64(g5) << 32 | UInt64(g6) << 16 | UInt64(g7)
    }

    /// The address made of the sixteen bytes in memory at `bytes`, in network byte order: two
    /// loads, inlined into callers in other modules, for which the generic
    /// ``init(bytes:)-(some Collection<UInt8>)`` is not specialised (a socket address read 200
    /// instructions through the collection's witnesses).
    ///
    /// - Precondition: `bytes.count == 16`.
    @inlinable
    public init(bytes: UnsafeRawBufferPointer) {
        precondition(bytes.count == 16, "an IPv6 address has 16 bytes")
        self.init(high: UInt64(bigEndian: bytes.loadUnaligned(as: UInt64.self)),
                  low: UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: 8, as: UInt64.self)))
    }

    /// The address made of exactly sixteen bytes in network byte order, as an IPv6 header
    /// carries it.
    ///
    /// - Precondition: `bytes.count == 16`.
    public init(bytes: some Collection<UInt8>) {
        precondition(bytes.count == 16, "an IPv6 address has 16 bytes")
        // Two loads where the bytes lie together (a socket address, a header): the generic loop
        // below goes through the collection's iterator byte by byte.
        if let (high, low) = bytes.withContiguousStorageIfAvailable({ buffer in
            let raw = UnsafeRawBufferPointer(buffer)
            return (UInt64(bigEndian: raw.loadUnaligned(as: UInt64.self)), UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self)))
        }) {
            self.init(high: high, low: low)
            return
        }
        var high: UInt64 = 0
        var low: UInt64 = 0
        for byte in bytes {
            high = high << 8 | low >> 56
            low = low << 8 | UInt64(byte)
        }
        self.init(high: high, low: low)
    }

    /// The sixteen bytes in network byte order.
    public var bytes: [UInt8] {
        (0..<16).map(byte(at:))
    }

    /// Writes the sixteen bytes in network byte order to the start of `buffer`.
    ///
    /// - Precondition: `buffer.count >= 16`.
    public func copyBytes(to buffer: UnsafeMutableRawBufferPointer) {
        precondition(buffer.count >= 16, "an IPv6 address needs 16 bytes")
        for index in 0..<16 {
            buffer[index] = byte(at: index)
        }
    }

    /// Byte `index` (0 to 15) in network byte order.
    private func byte(at index: Int) -> UInt8 {
        let word = index < 8 ? high : low
        return UInt8(truncatingIfNeeded: word >> (56 - 8 * (index % 8)))
    }

    /// Group `index` (0 to 7), as written in the text form.
    func group(at index: Int) -> UInt16 {
        let word = index < 4 ? high : low
        return UInt16(truncatingIfNeeded: word >> (48 - 16 * (index % 4)))
    }

    public static func < (lhs: IPv6Address, rhs: IPv6Address) -> Bool {
        (lhs.high, lhs.low) < (rhs.high, rhs.low)
    }
}

// MARK: - Well-known addresses (RFC 4291, section 2.4)

extension IPv6Address {
    /// `::`, the unspecified address (RFC 4291, section 2.5.2).
    public static let any = IPv6Address(high: 0, low: 0)

    /// `::1`, the loopback address (RFC 4291, section 2.5.3).
    public static let loopback = IPv6Address(high: 0, low: 1)

    /// The IPv4-mapped address `::ffff:a.b.c.d` of `address` (RFC 4291, section 2.5.5.2).
    public init(ipv4Mapped address: IPv4Address) {
        self.init(high: 0, low: 0xffff_0000_0000 | UInt64(address.value))
    }

    /// Whether this is `::`.
    public var isUnspecified: Bool { self == .any }

    /// Whether this is `::1`.
    public var isLoopback: Bool { self == .loopback }

    /// Whether this is in `ff00::/8`, the multicast range (RFC 4291, section 2.7).
    public var isMulticast: Bool { high >> 56 == 0xff }

    /// Whether this is in `fe80::/10`, the link-local unicast range (RFC 4291, section 2.5.6).
    public var isLinkLocal: Bool { high >> 54 == 0xfe80 >> 6 }  // the first 10 bits, 1111111010

    /// The IPv4 address inside an IPv4-mapped address `::ffff:a.b.c.d` (RFC 4291, section
    /// 2.5.5.2), or `nil` for any other address.
    public var ipv4Mapped: IPv4Address? {
        guard high == 0, low >> 32 == 0xffff else { return nil }
        return IPv4Address(value: UInt32(truncatingIfNeeded: low))
    }
}

// MARK: - Text

extension IPv6Address {
    /// Reads the text forms of RFC 4291, section 2.2: eight groups of one to four hexadecimal
    /// digits in either case separated by `:`; at most one `::` standing for one or more zero
    /// groups; and optionally the last 32 bits as a dotted-decimal IPv4 address, as in
    /// `::ffff:192.0.2.1`.
    ///
    /// Zone indices (`fe80::1%eth0`, RFC 6874) are not addresses and are rejected.
    ///
    /// - Throws: an ``AddressParseError`` saying what is wrong.
    public static func parse(_ text: some StringProtocol) throws(AddressParseError) -> IPv6Address {
        var scanner = try AddressScanner(text.utf8)
        let address = try parse(from: &scanner)
        try scanner.expectEnd()
        return address
    }

    /// Reads an IPv6 address in a form of RFC 4291, section 2.2, or returns `nil`; see
    /// ``parse(_:)``.
    public init?(_ text: some StringProtocol) {
        guard let address = try? IPv6Address.parse(text) else { return nil }
        self = address
    }

    /// Reads an address at the scanner and stops after its last group: the shared step of the
    /// IPv6 and IPv6-prefix parsers.
    static func parse<Text>(
        from scanner: inout AddressScanner<Text>
    ) throws(AddressParseError) -> IPv6Address {
        let colon = UInt8(ascii: ":")
        var groups = GroupsRead()
        var expectsGroup = true
        if scanner.current == colon {
            let start = scanner.offset
            scanner.advance()
            guard scanner.consume(colon) else { throw .emptyField(offset: start) }
            groups.isCompressed = true
            expectsGroup = scanner.isAtHexadecimalDigit
        }
        while expectsGroup {
            let groupStart = scanner
            let group = try scanner.hexadecimal(digits: 1...4)
            if scanner.current == UInt8(ascii: ".") {
                // The last 32 bits in dotted decimal: read this field again as IPv4.
                scanner = groupStart
                let embedded = try IPv4Address.parse(from: &scanner)
                try groups.append(UInt16(truncatingIfNeeded: embedded.value >> 16))
                try groups.append(UInt16(truncatingIfNeeded: embedded.value))
                break
            }
            try groups.append(group)
            guard scanner.consume(colon) else { break }
            if scanner.current == colon {
                if groups.isCompressed { throw .repeatedCompression(offset: scanner.offset - 1) }
                scanner.advance()
                groups.isCompressed = true
                expectsGroup = scanner.isAtHexadecimalDigit
            }
        }
        return try groups.address()
    }

    /// The text form of RFC 5952, section 4: lowercase hexadecimal without leading zeros, the
    /// longest run of two or more zero groups (the first of equally long runs) written as `::`,
    /// and IPv4-mapped addresses as `::ffff:a.b.c.d` (RFC 5952, section 5).
    public var description: String {
        if let ipv4 = ipv4Mapped { return "::ffff:" + ipv4.description }
        let run = longestZeroRun()
        var text = ""
        var index = 0
        while index < 8 {
            if let run, index == run.lowerBound {
                text += "::"
                index = run.upperBound
                continue
            }
            if index > 0 && index != run?.upperBound { text += ":" }
            text += String(group(at: index), radix: 16)
            index += 1
        }
        return text
    }

    /// The groups that `::` replaces in the text form: the longest run of at least two zero
    /// groups, the first one if several are equally long (RFC 5952, sections 4.2.2 and 4.2.3).
    private func longestZeroRun() -> Range<Int>? {
        var longest: Range<Int>? = nil
        var runStart = 0
        for index in 0..<8 {
            if group(at: index) != 0 {
                runStart = index + 1
                continue
            }
            let run = runStart..<(index + 1)
            if run.count >= 2 && run.count > (longest?.count ?? 0) { longest = run }
        }
        return longest
    }
}

/// The groups of an IPv6 address text read so far, before and after its `::`.
private struct GroupsRead {
    /// The groups before `::`, or all of them when there is none; last read in the low bits.
    private var head = (high: UInt64(0), low: UInt64(0))
    /// The groups after `::`; last read in the low bits.
    private var tail = (high: UInt64(0), low: UInt64(0))
    private var headCount = 0
    private var count = 0
    /// Whether `::` has been read.
    var isCompressed = false

    mutating func append(_ group: UInt16) throws(AddressParseError) {
        guard count < 8 else { throw .tooManyFields }
        if isCompressed {
            GroupsRead.shift(group, into: &tail)
        } else {
            GroupsRead.shift(group, into: &head)
            headCount += 1
        }
        count += 1
    }

    /// The address: `head`, then the zero groups `::` stands for, then `tail`.
    ///
    /// - Throws: `.tooFewFields` for fewer than eight groups without `::`, `.tooManyFields` for
    ///   eight groups with `::`, which stands for at least one zero group (RFC 4291, section 2.2).
    func address() throws(AddressParseError) -> IPv6Address {
        if isCompressed {
            guard count < 8 else { throw .tooManyFields }
        } else {
            guard count == 8 else { throw .tooFewFields }
        }
        var bits = head
        for _ in headCount..<8 { GroupsRead.shift(0, into: &bits) }
        return IPv6Address(high: bits.high | tail.high, low: bits.low | tail.low)
    }

    private static func shift(_ group: UInt16, into bits: inout (high: UInt64, low: UInt64)) {
        bits.high = bits.high << 16 | bits.low >> 48
        bits.low = bits.low << 16 | UInt64(group)
    }
}
