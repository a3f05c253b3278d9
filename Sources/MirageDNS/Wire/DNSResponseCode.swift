/// The outcome of a query (RFC 1035 section 4.1.1; RFC 6891 section 6.1.3): twelve bits, the
/// low four in the header and the high eight in the OPT record, so codes above 15 need EDNS.
public struct DNSResponseCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The twelve bits, 0 to 4095.
    public var rawValue: UInt16

    /// - Precondition: `rawValue < 4096`.
    public init(rawValue: UInt16) {
        precondition(rawValue < 4096, "a response code has twelve bits")
        self.rawValue = rawValue
    }

    /// No error.
    public static let noError = DNSResponseCode(rawValue: 0)
    /// The server could not interpret the query (FORMERR).
    public static let formatError = DNSResponseCode(rawValue: 1)
    /// The server failed (SERVFAIL).
    public static let serverFailure = DNSResponseCode(rawValue: 2)
    /// The name does not exist (NXDOMAIN; RFC 8020).
    public static let nameError = DNSResponseCode(rawValue: 3)
    /// The server does not implement the kind of query (NOTIMP).
    public static let notImplemented = DNSResponseCode(rawValue: 4)
    /// The server will not answer, by policy or for lack of authority (REFUSED).
    public static let refused = DNSResponseCode(rawValue: 5)
    /// The server is not authoritative for the zone (NOTAUTH; RFC 2136 section 2.2, RFC 5936
    /// section 2.2.1).
    public static let notAuthoritative = DNSResponseCode(rawValue: 9)
    /// The query's EDNS version is not supported (BADVERS; RFC 6891 section 6.1.3).
    public static let badVersion = DNSResponseCode(rawValue: 16)

    /// The four bits the header carries.
    public var headerBits: UInt8 { UInt8(truncatingIfNeeded: rawValue & 0xf) }

    /// The eight bits the OPT record carries (RFC 6891 section 6.1.3).
    public var extendedBits: UInt8 { UInt8(truncatingIfNeeded: rawValue >> 4) }

    public var description: String {
        switch rawValue {
        case 0: "NOERROR"
        case 1: "FORMERR"
        case 2: "SERVFAIL"
        case 3: "NXDOMAIN"
        case 4: "NOTIMP"
        case 5: "REFUSED"
        case 9: "NOTAUTH"
        case 16: "BADVERS"
        default: "RCODE" + String(rawValue)
        }
    }
}
