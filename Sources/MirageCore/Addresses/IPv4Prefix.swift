/// An IPv4 address with a prefix length, `10.0.0.2/24`: an interface address and its subnet
/// (RFC 4632, section 3.1).
///
/// As MirageOS's `Ipaddr.V4.Prefix` with an address, the host bits are kept: ``address`` is
/// `10.0.0.2` and ``network`` is `10.0.0.0`. Two prefixes are equal when both the address and the
/// length are.
public struct IPv4Prefix: Hashable, Sendable, CustomStringConvertible, LosslessStringConvertible {
    /// The address, host bits included.
    public var address: IPv4Address
    /// The number of leading bits that name the network, 0 to 32.
    public let length: Int

    /// The prefix of `length` bits around `address`.
    ///
    /// - Precondition: `0...32 ~= length`.
    public init(address: IPv4Address, length: Int) {
        precondition(0...32 ~= length, "an IPv4 prefix length is 0 to 32")
        self.address = address
        self.length = length
    }

    /// The mask of the network bits: `255.255.255.0` for `/24`.
    @inlinable
    public var netmask: IPv4Address {
        IPv4Address(value: UInt32.max << (32 - length))
    }

    /// The first address of the subnet, with the host bits cleared: `10.0.0.0` for `10.0.0.2/24`.
    @inlinable
    public var network: IPv4Address {
        IPv4Address(value: address.value & netmask.value)
    }

    /// The last address of the subnet, with the host bits set: `10.0.0.255` for `10.0.0.2/24`
    /// (the directed broadcast address of RFC 919, section 7).
    @inlinable
    public var broadcast: IPv4Address {
        IPv4Address(value: address.value | ~netmask.value)
    }

    /// Whether `other` is in the subnet: its first ``length`` bits equal the address's.
    @inlinable
    public func contains(_ other: IPv4Address) -> Bool {
        (other.value ^ address.value) & netmask.value == 0
    }
}

extension IPv4Prefix {
    /// Reads `a.b.c.d/length`: an address as ``IPv4Address/parse(_:)`` reads it, `/`, and a
    /// decimal length of 0 to 32 without leading zeros (`/08` is rejected, as `08` in an octet).
    ///
    /// - Throws: an ``AddressParseError`` saying what is wrong.
    public static func parse(_ text: some StringProtocol) throws(AddressParseError) -> IPv4Prefix {
        var scanner = try AddressScanner(text.utf8)
        let address = try IPv4Address.parse(from: &scanner)
        guard scanner.consume(UInt8(ascii: "/")) else {
            try scanner.expectEnd(fieldSeparator: UInt8(ascii: "."))  // text after the address
            throw .missingPrefixLength  // no text after the address
        }
        let length = try scanner.decimal(maximum: 32)
        try scanner.expectEnd()
        return IPv4Prefix(address: address, length: length)
    }

    /// Reads `a.b.c.d/length`, or returns `nil`; see ``parse(_:)``.
    public init?(_ text: some StringProtocol) {
        guard let prefix = try? IPv4Prefix.parse(text) else { return nil }
        self = prefix
    }

    /// `a.b.c.d/length`, with the address as given.
    public var description: String { "\(address)/\(length)" }
}
