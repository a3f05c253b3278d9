import MirageCore
import MirageRuntime

/// How a direct stack gets its IPv6 addresses (`--ipv6`): `auto`, the default, a link-local
/// address and addresses from routers' advertised prefixes (SLAAC, RFC 4862); `ADDRESS/PREFIX`,
/// a link-local address and that one; `none`, no IPv6.
public enum IPv6Assignment: Hashable, Sendable, CustomStringConvertible {
    case automatic
    case fixed(IPv6Prefix)
    case disabled

    public var description: String {
        switch self {
        case .automatic: "auto"
        case let .fixed(prefix): prefix.description
        case .disabled: "none"
        }
    }

    /// The interface's mode for this assignment.
    public var mode: IPv6Configuration.Mode {
        switch self {
        case .automatic: .automatic
        case let .fixed(prefix): .fixed(prefix)
        case .disabled: .disabled
        }
    }
}

extension IPv6Assignment: BootValue {
    public init?(bootArgument text: String) {
        if text.hasSameSpelling(as: "auto") {
            self = .automatic
        } else if text.hasSameSpelling(as: "none") {
            self = .disabled
        } else if let prefix = IPv6Prefix(text), !prefix.address.isMulticast, !prefix.address.isUnspecified {
            self = .fixed(prefix)
        } else {
            return nil
        }
    }

    public var bootArgumentText: String { description }
    public static var bootArgumentForm: String { "IPV6/PREFIX|auto|none" }
    public static var bootArgumentExpectation: String {
        "a unicast IPv6 address with a prefix length such as 2001:db8::2/64, auto or none"
    }
}
