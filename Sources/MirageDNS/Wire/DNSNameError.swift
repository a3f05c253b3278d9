/// Why bytes or text could not be made into a ``DNSName`` (RFC 1035 sections 2.3.4 and 5.1).
public enum DNSNameError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A label is longer than 63 bytes (RFC 1035 section 2.3.4).
    case labelTooLong(length: Int)
    /// The name is longer than 255 bytes in wire form (RFC 1035 section 2.3.4).
    case nameTooLong(length: Int)
    /// An empty label in the middle or at the start of a name, as in `a..b` or `.a`: only the
    /// root label is empty.
    case emptyLabel
    /// A backslash not followed by a character or by three decimal digits of at most 255
    /// (RFC 1035 section 5.1).
    case badEscape
    /// A relative name, or `@`, with no origin to complete it.
    case missingOrigin

    public var description: String {
        switch self {
        case let .labelTooLong(length): "a label of \(length) bytes (at most 63)"
        case let .nameTooLong(length): "a name of \(length) bytes (at most 255)"
        case .emptyLabel: "an empty label"
        case .badEscape: "a bad escape (\\c or \\DDD with DDD at most 255)"
        case .missingOrigin: "a relative name without an origin"
        }
    }
}
