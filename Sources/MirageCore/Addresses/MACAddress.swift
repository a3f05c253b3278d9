/// An IEEE 802 MAC address: the six bytes that name an Ethernet interface.
///
/// The first byte carries two flag bits: bit 0 marks a group (multicast) address and bit 1 a
/// locally administered one (IEEE 802-2014, section 8.2; RFC 7042, section 2.1).
/// The text form is six two-digit hexadecimal bytes, `aa:bb:cc:dd:ee:ff`.
public struct MACAddress: Hashable, Comparable, Sendable, CustomStringConvertible,
    LosslessStringConvertible
{
    /// The six bytes, first byte in the most significant of the low 48 bits.
    @usableFromInline var value: UInt64

    /// The address with bytes `b0` to `b5`, in transmission order.
    @inlinable
    public init(_ b0: UInt8, _ b1: UInt8, _ b2: UInt8, _ b3: UInt8, _ b4: UInt8, _ b5: UInt8) {
        value = UInt64(b0) << 40 | UInt64(b1) << 32 | UInt64(b2) << 24
            | UInt64(b3) << 16 | UInt64(b4) << 8 | UInt64(b5)
    }

    /// The address made of exactly six bytes, in transmission order.
    ///
    /// - Precondition: `bytes.count == 6`.
    public init(bytes: some Collection<UInt8>) {
        precondition(bytes.count == 6, "a MAC address has 6 bytes")
        value = bytes.reduce(0) { $0 << 8 | UInt64($1) }
    }

    /// The six bytes, in transmission order.
    public var bytes: [UInt8] {
        (0..<6).map { UInt8(truncatingIfNeeded: value >> (40 - 8 * $0)) }
    }

    /// Writes the six bytes to the start of `buffer`.
    ///
    /// - Precondition: `buffer.count >= 6`.
    @inlinable
    public func copyBytes(to buffer: UnsafeMutableRawBufferPointer) {
        precondition(buffer.count >= 6, "a MAC address needs 6 bytes")
        // Two stores, not six (each header a frame sends writes two addresses).
        buffer.storeBytes(of: UInt32(truncatingIfNeeded: value >> 16).bigEndian, toByteOffset: 0, as: UInt32.self)
        buffer.storeBytes(of: UInt16(truncatingIfNeeded: value).bigEndian, toByteOffset: 4, as: UInt16.self)
    }

    /// The address in the six bytes at `offset` of `bytes`, in transmission order: two loads,
    /// for a parser reading a header's addresses.
    ///
    /// - Precondition: the six bytes lie within `bytes`.
    @inlinable
    public init(loadingFrom bytes: UnsafeRawBufferPointer, at offset: Int) {
        precondition(offset >= 0 && offset + 6 <= bytes.count, "a MAC address needs 6 bytes")
        let high = UInt32(bigEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
        let low = UInt16(bigEndian: bytes.loadUnaligned(fromByteOffset: offset + 4, as: UInt16.self))
        value = UInt64(high) << 16 | UInt64(low)
    }

    /// `ff:ff:ff:ff:ff:ff`, which every station on the link receives.
    public static let broadcast = MACAddress(0xff, 0xff, 0xff, 0xff, 0xff, 0xff)

    /// `00:00:00:00:00:00`.
    public static let zero = MACAddress(0, 0, 0, 0, 0, 0)

    /// Whether this is `ff:ff:ff:ff:ff:ff`.
    public var isBroadcast: Bool { self == .broadcast }

    /// Whether the group bit is set: a multicast address (the broadcast address is one too).
    public var isMulticast: Bool { value >> 40 & 0x01 != 0 }

    /// Whether the locally administered bit is set: an address not assigned by the manufacturer.
    public var isLocallyAdministered: Bool { value >> 40 & 0x02 != 0 }

    public static func < (lhs: MACAddress, rhs: MACAddress) -> Bool { lhs.value < rhs.value }
}

extension MACAddress {
    /// Reads `aa:bb:cc:dd:ee:ff` or `aa-bb-cc-dd-ee-ff`: six bytes of two hexadecimal digits each,
    /// in either case, with one kind of separator throughout.
    ///
    /// - Throws: an ``AddressParseError`` saying what is wrong.
    public static func parse(_ text: some StringProtocol) throws(AddressParseError) -> MACAddress {
        var scanner = try AddressScanner(text.utf8)
        var value: UInt64 = 0
        var separator: UInt8? = nil
        for index in 0..<6 {
            if index > 0 {
                guard let byte = scanner.current else { throw .tooFewFields }
                separator = separator ?? byte  // the first separator decides
                guard byte == separator, byte == UInt8(ascii: ":") || byte == UInt8(ascii: "-") else {
                    throw .badCharacter(byte, offset: scanner.offset)
                }
                scanner.advance()
            }
            value = value << 8 | UInt64(try scanner.hexadecimal(digits: 2...2))
        }
        try scanner.expectEnd(fieldSeparator: separator)
        return MACAddress(value: value)
    }

    /// Reads `aa:bb:cc:dd:ee:ff` or `aa-bb-cc-dd-ee-ff`, or returns `nil`; see ``parse(_:)``.
    public init?(_ text: some StringProtocol) {
        guard let address = try? MACAddress.parse(text) else { return nil }
        self = address
    }

    private init(value: UInt64) {
        self.value = value
    }

    /// The lowercase colon form, `aa:bb:cc:dd:ee:ff`.
    public var description: String {
        var text = ""
        for index in 0..<6 {
            let byte = UInt8(truncatingIfNeeded: value >> (40 - 8 * index))
            if index > 0 { text += ":" }
            if byte < 0x10 { text += "0" }
            text += String(byte, radix: 16)
        }
        return text
    }
}
