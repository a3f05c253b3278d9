/// An IPv6 address with a prefix length, `2001:db8::1/64`: an interface address and its subnet
/// (RFC 4291, section 2.3; RFC 4632, section 3.1).
///
/// As MirageOS's `Ipaddr.V6.Prefix` with an address, the host bits are kept: ``address`` is
/// `2001:db8::1` and ``network`` is `2001:db8::`. Two prefixes are equal when both the address
/// and the length are.
public struct IPv6Prefix: Hashable, Sendable, CustomStringConvertible, LosslessStringConvertible {
    /// The address, host bits included.
    public var address: IPv6Address
    /// The number of leading bits that name the network, 0 to 128.
    public let length: Int

    /// The prefix of `length` bits around `address`.
    ///
    /// - Precondition: `0...128 ~= length`.
    public init(address: IPv6Address, length: Int) {
        precondition(0...128 ~= length, "an IPv6 prefix length is 0 to 128")
        self.address = address
        self.length = length
    }

    /// The mask of the network bits: `ffff:ffff:ffff:ffff::` for `/64`.
    public var netmask: IPv6Address {
        // Shifts of 64 bits or more give zero.
        IPv6Address(
            high: UInt64.max << (64 - min(length, 64)),
            low: UInt64.max << (128 - max(length, 64)))
    }

    /// The first address of the subnet, with the host bits cleared: `2001:db8::` for
    /// `2001:db8::1/64`.
    public var network: IPv6Address {
        let mask = netmask
        return IPv6Address(high: address.high & mask.high, low: address.low & mask.low)
    }

    /// Whether `other` is in the subnet: its first ``length`` bits equal the address's.
    public func contains(_ other: IPv6Address) -> Bool {
        let mask = netmask
        return (other.high ^ address.high) & mask.high == 0
            && (other.low ^ address.low) & mask.low == 0
    }
}

extension IPv6Prefix {
    /// Reads `address/length`: an address as ``IPv6Address/parse(_:)`` reads it, `/`, and a
    /// decimal length of 0 to 128 without leading zeros (RFC 4291, section 2.3).
    ///
    /// - Throws: an ``AddressParseError`` saying what is wrong.
    public static func parse(_ text: some StringProtocol) throws(AddressParseError) -> IPv6Prefix {
        var scanner = try AddressScanner(text.utf8)
        let address = try IPv6Address.parse(from: &scanner)
        guard scanner.consume(UInt8(ascii: "/")) else {
            try scanner.expectEnd()  // text after the address
            throw .missingPrefixLength  // no text after the address
        }
        let length = try scanner.decimal(maximum: 128)
        try scanner.expectEnd()
        return IPv6Prefix(address: address, length: length)
    }

    /// Reads `address/length`, or returns `nil`; see ``parse(_:)``.
    public init?(_ text: some StringProtocol) {
        guard let prefix = try? IPv6Prefix.parse(text) else { return nil }
        self = prefix
    }

    /// `address/length`, the address in the form of RFC 5952.
    public var description: String { "\(address)/\(length)" }
}
