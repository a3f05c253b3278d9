/// An IPv4 address (RFC 791, section 2.3): 32 bits, written as four decimal octets `a.b.c.d`.
///
/// The value is kept in host byte order, so `10.0.0.1` is `0x0a00_0001` and addresses compare and
/// mask as integers. ``bytes``, ``init(bytes:)`` and ``copyBytes(to:)`` give network byte order.
public struct IPv4Address: Hashable, Comparable, Sendable, CustomStringConvertible,
    LosslessStringConvertible
{
    /// The 32 bits in host byte order: the first octet is the most significant byte.
    public var value: UInt32

    /// The address with the 32 bits `value`, first octet in the most significant byte.
    @inlinable
    public init(value: UInt32) {
        self.value = value
    }

    /// The address `a.b.c.d`.
    public init(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) {
        value = UInt32(a) << 24 | UInt32(b) << 16 | UInt32(c) << 8 | UInt32(d)
    }

    /// The address made of exactly four bytes in network byte order, as an IPv4 header carries it.
    ///
    /// - Precondition: `bytes.count == 4`.
    public init(bytes: some Collection<UInt8>) {
        precondition(bytes.count == 4, "an IPv4 address has 4 bytes")
        value = bytes.reduce(0) { $0 << 8 | UInt32($1) }
    }

    /// The four octets in network byte order.
    public var bytes: [UInt8] {
        (0..<4).map { UInt8(truncatingIfNeeded: value >> (24 - 8 * $0)) }
    }

    /// Writes the four octets in network byte order to the start of `buffer`.
    ///
    /// - Precondition: `buffer.count >= 4`.
    public func copyBytes(to buffer: UnsafeMutableRawBufferPointer) {
        precondition(buffer.count >= 4, "an IPv4 address needs 4 bytes")
        for index in 0..<4 {
            buffer[index] = UInt8(truncatingIfNeeded: value >> (24 - 8 * index))
        }
    }

    public static func < (lhs: IPv4Address, rhs: IPv4Address) -> Bool { lhs.value < rhs.value }
}

// MARK: - Well-known addresses (RFC 1122, section 3.2.1.3; RFC 6890)

extension IPv4Address {
    /// `0.0.0.0`, "this host": the unspecified address, and the wildcard when binding.
    public static let any = IPv4Address(value: 0)

    /// `255.255.255.255`, the limited broadcast address (RFC 919, section 7).
    public static let broadcast = IPv4Address(value: 0xffff_ffff)

    /// `127.0.0.1`, the usual loopback address.
    public static let loopback = IPv4Address(127, 0, 0, 1)

    /// Whether this is `0.0.0.0`.
    public var isUnspecified: Bool { value == 0 }

    /// Whether this is `255.255.255.255`. A subnet's broadcast address is ``IPv4Prefix/broadcast``.
    public var isBroadcast: Bool { value == 0xffff_ffff }

    /// Whether this is in `127.0.0.0/8` (RFC 1122, section 3.2.1.3).
    public var isLoopback: Bool { value >> 24 == 127 }

    /// Whether this is in `224.0.0.0/4`, the multicast range (RFC 5771).
    public var isMulticast: Bool { value >> 28 == 0xe }

    /// Whether this is in `169.254.0.0/16`, the link-local range (RFC 3927, section 2.1).
    public var isLinkLocal: Bool { value >> 16 == 0xa9fe }

    /// Whether this is in a private range of RFC 1918, section 3: `10.0.0.0/8`, `172.16.0.0/12`
    /// or `192.168.0.0/16`.
    public var isPrivate: Bool {
        value >> 24 == 10 || value >> 20 == 0xac1 || value >> 16 == 0xc0a8
    }
}

// MARK: - Text

extension IPv4Address {
    /// Reads the dotted-decimal form `a.b.c.d`: exactly four decimal octets of at most 255,
    /// without leading zeros, signs or spaces.
    ///
    /// Leading zeros are rejected because some parsers read them as octal (`010` as 8).
    ///
    /// - Throws: an ``AddressParseError`` saying what is wrong.
    public static func parse(_ text: some StringProtocol) throws(AddressParseError) -> IPv4Address {
        var scanner = try AddressScanner(text.utf8)
        let address = try parse(from: &scanner)
        try scanner.expectEnd(fieldSeparator: UInt8(ascii: "."))
        return address
    }

    /// Reads `a.b.c.d`, or returns `nil`; see ``parse(_:)``.
    public init?(_ text: some StringProtocol) {
        guard let address = try? IPv4Address.parse(text) else { return nil }
        self = address
    }

    /// Reads four octets at the scanner and stops after the last one: the shared step of the
    /// IPv4, IPv4-prefix and embedded-IPv4 parsers.
    static func parse<Text>(
        from scanner: inout AddressScanner<Text>
    ) throws(AddressParseError) -> IPv4Address {
        var value: UInt32 = 0
        for index in 0..<4 {
            if index > 0 && !scanner.consume(UInt8(ascii: ".")) {
                guard let byte = scanner.current else { throw .tooFewFields }
                throw .badCharacter(byte, offset: scanner.offset)
            }
            value = value << 8 | UInt32(try scanner.decimal(maximum: 255))
        }
        return IPv4Address(value: value)
    }

    /// The dotted-decimal form, `a.b.c.d`.
    public var description: String {
        "\(value >> 24).\(value >> 16 & 0xff).\(value >> 8 & 0xff).\(value & 0xff)"
    }
}
