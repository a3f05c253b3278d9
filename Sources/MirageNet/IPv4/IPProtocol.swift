import MirageCore

/// The protocol in an IP packet's payload (IANA "Assigned Internet Protocol Numbers").
public struct IPProtocol: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let icmp = IPProtocol(rawValue: 1)
    public static let tcp = IPProtocol(rawValue: 6)
    public static let udp = IPProtocol(rawValue: 17)
    /// IPv6's Hop-by-Hop Options header (RFC 8200 section 4.3).
    public static let hopByHopOptions = IPProtocol(rawValue: 0)
    /// IPv6's Routing header (RFC 8200 section 4.4).
    public static let routing = IPProtocol(rawValue: 43)
    /// IPv6's Fragment header (RFC 8200 section 4.5).
    public static let fragment = IPProtocol(rawValue: 44)
    /// ICMP for IPv6 (RFC 4443).
    public static let icmpv6 = IPProtocol(rawValue: 58)
    /// Nothing follows (RFC 8200 section 4.7).
    public static let noNextHeader = IPProtocol(rawValue: 59)
    /// IPv6's Destination Options header (RFC 8200 section 4.6).
    public static let destinationOptions = IPProtocol(rawValue: 60)

    public var description: String {
        switch self {
        case .icmp: "ICMP"
        case .tcp: "TCP"
        case .udp: "UDP"
        case .hopByHopOptions: "hop-by-hop options"
        case .routing: "routing header"
        case .fragment: "fragment header"
        case .icmpv6: "ICMPv6"
        case .noNextHeader: "no next header"
        case .destinationOptions: "destination options"
        default: String(rawValue)
        }
    }
}
