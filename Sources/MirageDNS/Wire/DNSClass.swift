/// The CLASS of a resource record, or the QCLASS of a question (RFC 1035 sections 3.2.4 and
/// 3.2.5). Almost all data is of class IN.
public struct DNSClass: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt16

    public init(rawValue: UInt16) {
        self.rawValue = rawValue
    }

    public init(_ rawValue: UInt16) {
        self.rawValue = rawValue
    }

    /// The Internet.
    public static let `in` = DNSClass(1)
    /// Chaos (RFC 1035 section 3.2.4), used for server identification queries.
    public static let ch = DNSClass(3)
    /// Hesiod.
    public static let hs = DNSClass(4)
    /// NONE, for dynamic updates (RFC 2136 section 2.4).
    public static let none = DNSClass(254)
    /// Any class, a QCLASS only (`*` in RFC 1035 section 3.2.5).
    public static let any = DNSClass(255)

    private static let mnemonics: [(DNSClass, String)] = [
        (.in, "IN"), (.ch, "CH"), (.hs, "HS"), (.none, "NONE"), (.any, "ANY"),
    ]

    /// The class named `mnemonic` in either case (`CS` and `CH` being the same), or written
    /// `CLASSnnn` (RFC 3597 section 5); nil for any other word.
    public init?(mnemonic: some Collection<UInt8>) {
        if DNSText.equalIgnoringCase(mnemonic, "CS".utf8) {
            self = .ch
            return
        }
        for (recordClass, name) in Self.mnemonics where DNSText.equalIgnoringCase(mnemonic, name.utf8) {
            self = recordClass
            return
        }
        guard let number = DNSText.number(afterPrefix: "CLASS", in: mnemonic, maximum: 65535) else { return nil }
        self.init(UInt16(number))
    }

    /// The mnemonic, or `CLASSnnn` for a class without one (RFC 3597 section 5).
    public var description: String {
        for (recordClass, name) in Self.mnemonics where recordClass == self { return name }
        return "CLASS" + String(rawValue)
    }
}
