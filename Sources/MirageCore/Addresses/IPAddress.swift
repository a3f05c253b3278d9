/// An IPv4 or an IPv6 address (MirageOS's `Ipaddr.t`).
public enum IPAddress: Hashable, Sendable, CustomStringConvertible {
    case v4(IPv4Address)
    case v6(IPv6Address)

    public var description: String {
        switch self {
        case let .v4(address): address.description
        case let .v6(address): address.description
        }
    }
}

/// An IP address and a transport port: one end of a TCP connection or a UDP exchange.
public struct Endpoint: Hashable, Sendable, CustomStringConvertible {
    public var address: IPAddress
    public var port: UInt16

    public init(_ address: IPAddress, port: UInt16) {
        self.address = address
        self.port = port
    }

    /// `192.0.2.1:80`, or `[2001:db8::1]:80` for IPv6 (RFC 5952 section 6).
    public var description: String {
        switch address {
        case let .v4(address): "\(address):\(port)"
        case let .v6(address): "[\(address)]:\(port)"
        }
    }
}
