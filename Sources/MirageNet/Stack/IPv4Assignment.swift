import MirageCore
import MirageRuntime

/// How a direct stack gets its IPv4 address: `--ipv4=ADDRESS/PREFIX`, or `--ipv4=dhcp` from a
/// DHCP server (RFC 2131, ``DHCPClient``).
public enum IPv4Assignment: Hashable, Sendable, CustomStringConvertible {
    case dhcp
    case fixed(IPv4Prefix)

    public var description: String {
        switch self {
        case .dhcp: "dhcp"
        case let .fixed(prefix): prefix.description
        }
    }
}

extension IPv4Assignment: BootValue {
    public init?(bootArgument text: String) {
        if text.hasSameSpelling(as: "dhcp") {
            self = .dhcp
        } else if let prefix = IPv4Prefix(text) {
            self = .fixed(prefix)
        } else {
            return nil
        }
    }

    public var bootArgumentText: String { description }
    public static var bootArgumentForm: String { "IPV4/PREFIX|dhcp" }
    public static var bootArgumentExpectation: String {
        "an IPv4 address with a prefix length such as 10.0.0.2/24, or dhcp"
    }
}
