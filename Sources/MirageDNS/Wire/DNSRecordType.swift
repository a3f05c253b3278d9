/// The TYPE of a resource record, or the QTYPE of a question (RFC 1035 sections 3.2.2 and
/// 3.2.3): a 16-bit number, with names for the types this library knows. Any other number is a
/// valid type too, written `TYPEnnn` (RFC 3597 section 5).
public struct DNSRecordType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt16

    public init(rawValue: UInt16) {
        self.rawValue = rawValue
    }

    public init(_ rawValue: UInt16) {
        self.rawValue = rawValue
    }

    /// An IPv4 host address (RFC 1035 section 3.4.1).
    public static let a = DNSRecordType(1)
    /// An authoritative name server (RFC 1035 section 3.3.11).
    public static let ns = DNSRecordType(2)
    /// The canonical name of an alias (RFC 1035 section 3.3.1).
    public static let cname = DNSRecordType(5)
    /// The start of a zone of authority (RFC 1035 section 3.3.13).
    public static let soa = DNSRecordType(6)
    /// A domain name pointer (RFC 1035 section 3.3.12).
    public static let ptr = DNSRecordType(12)
    /// A mail exchange (RFC 1035 section 3.3.9).
    public static let mx = DNSRecordType(15)
    /// Text strings (RFC 1035 section 3.3.14).
    public static let txt = DNSRecordType(16)
    /// An IPv6 host address (RFC 3596 section 2.1).
    public static let aaaa = DNSRecordType(28)
    /// The location of a service (RFC 2782).
    public static let srv = DNSRecordType(33)
    /// The EDNS(0) pseudo-record (RFC 6891 section 6.1).
    public static let opt = DNSRecordType(41)
    /// The delegation signer, which lives on the parent side of a zone cut (RFC 4034 section 5).
    public static let ds = DNSRecordType(43)
    /// An incremental zone transfer, a QTYPE only (RFC 1995).
    public static let ixfr = DNSRecordType(251)
    /// A whole zone transfer, a QTYPE only (RFC 5936).
    public static let axfr = DNSRecordType(252)
    /// Mailbox records, an obsolete QTYPE (RFC 1035 section 3.2.3).
    public static let mailb = DNSRecordType(253)
    /// Mail agent records, an obsolete QTYPE (RFC 1035 section 3.2.3).
    public static let maila = DNSRecordType(254)
    /// Every record at a name, a QTYPE only: `*` in RFC 1035 section 3.2.3 (RFC 8482).
    public static let any = DNSRecordType(255)
    /// Certification authority authorization (RFC 8659).
    public static let caa = DNSRecordType(257)

    /// The named types, for reading and writing mnemonics.
    private static let mnemonics: [(DNSRecordType, String)] = [
        (.a, "A"), (.ns, "NS"), (.cname, "CNAME"), (.soa, "SOA"), (.ptr, "PTR"), (.mx, "MX"),
        (.txt, "TXT"), (.aaaa, "AAAA"), (.srv, "SRV"), (.opt, "OPT"), (.ds, "DS"), (.ixfr, "IXFR"),
        (.axfr, "AXFR"), (.mailb, "MAILB"), (.maila, "MAILA"), (.any, "ANY"), (.caa, "CAA"),
    ]

    /// The type named `mnemonic` in either case, or written `TYPEnnn` (RFC 3597 section 5); nil
    /// for any other word.
    public init?(mnemonic: some Collection<UInt8>) {
        for (type, name) in Self.mnemonics where DNSText.equalIgnoringCase(mnemonic, name.utf8) {
            self = type
            return
        }
        guard let number = DNSText.number(afterPrefix: "TYPE", in: mnemonic, maximum: 65535) else { return nil }
        self.init(UInt16(number))
    }

    /// Whether this type is a question-only or pseudo type, never data in a zone: OPT, the
    /// transfer types, MAILA, MAILB and ANY (RFC 6895 section 3.1: 128-255 are meta types).
    public var isMetaType: Bool {
        self == .opt || (rawValue >= 128 && rawValue <= 255)
    }

    /// The mnemonic, or `TYPEnnn` for a type without one (RFC 3597 section 5).
    public var description: String {
        for (type, name) in Self.mnemonics where type == self { return name }
        return "TYPE" + String(rawValue)
    }
}
