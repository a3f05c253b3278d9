/// Why bytes from the network could not be read as a packet of some format. The stack drops such a
/// packet and counts it; it never traps.
public enum WireError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Fewer bytes than the format needs: `needed` for the header, `available` given.
    case truncated(needed: Int, available: Int)
    /// A field holds a value the format does not allow.
    case malformed(field: StaticString, value: UInt32)
    /// The checksum does not match the bytes.
    case badChecksum
    /// A valid packet of a kind this implementation does not handle (another hardware type...).
    case unsupported(field: StaticString, value: UInt32)

    public var description: String {
        switch self {
        case let .truncated(needed, available): "truncated: \(needed) bytes needed, \(available) given"
        case let .malformed(field, value): "malformed \(field): \(value)"
        case .badChecksum: "bad checksum"
        case let .unsupported(field, value): "unsupported \(field): \(value)"
        }
    }

    public static func == (lhs: WireError, rhs: WireError) -> Bool {
        switch (lhs, rhs) {
        case let (.truncated(a, b), .truncated(c, d)): a == c && b == d
        case let (.malformed(f, v), .malformed(g, w)): f.description == g.description && v == w
        case (.badChecksum, .badChecksum): true
        case let (.unsupported(f, v), .unsupported(g, w)): f.description == g.description && v == w
        default: false
        }
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(description)
    }
}
