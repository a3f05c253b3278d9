/// The kind of query in a message's header (RFC 1035 section 4.1.1; IANA "DNS OpCodes"): four
/// bits.
public struct DNSOpcode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The four bits, 0 to 15.
    public var rawValue: UInt8

    /// - Precondition: `rawValue < 16`.
    public init(rawValue: UInt8) {
        precondition(rawValue < 16, "an opcode has four bits")
        self.rawValue = rawValue
    }

    /// A standard query.
    public static let query = DNSOpcode(rawValue: 0)
    /// An inverse query, obsolete (RFC 3425).
    public static let inverseQuery = DNSOpcode(rawValue: 1)
    /// A server status request.
    public static let status = DNSOpcode(rawValue: 2)
    /// A zone change notification (RFC 1996).
    public static let notify = DNSOpcode(rawValue: 4)
    /// A dynamic update (RFC 2136).
    public static let update = DNSOpcode(rawValue: 5)

    public var description: String {
        switch rawValue {
        case 0: "QUERY"
        case 1: "IQUERY"
        case 2: "STATUS"
        case 4: "NOTIFY"
        case 5: "UPDATE"
        default: "OPCODE" + String(rawValue)
        }
    }
}
