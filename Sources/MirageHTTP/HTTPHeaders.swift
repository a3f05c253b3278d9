/// The header fields of a request or response (RFC 9110 section 5), in the order received or
/// added. Names compare case-insensitively (section 5.1); values are kept as received, without
/// leading and trailing whitespace (RFC 9112 section 5.1).
public struct HTTPHeaders: Sendable, Equatable {
    public private(set) var fields: [(name: String, value: String)] = []

    public init() {}

    public init(_ fields: [(String, String)]) {
        for (name, value) in fields { add(name, value) }
    }

    public var count: Int { fields.count }

    /// Appends a field, keeping any others of the same name.
    public mutating func add(_ name: String, _ value: String) {
        fields.append((name, value))
    }

    /// Replaces every field named `name` with one of `value`.
    public mutating func set(_ name: String, _ value: String) {
        remove(name)
        add(name, value)
    }

    public mutating func remove(_ name: String) {
        fields.removeAll { Self.namesEqual($0.name, name) }
    }

    /// The values of every field named `name`, in order.
    public func values(_ name: String) -> [String] {
        fields.compactMap { Self.namesEqual($0.name, name) ? $0.value : nil }
    }

    /// How many fields are named `name`.
    public func count(named name: String) -> Int {
        var count = 0
        for field in fields where Self.namesEqual(field.name, name) { count += 1 }
        return count
    }

    /// The first value of the field named `name`.
    public subscript(_ name: String) -> String? {
        fields.first { Self.namesEqual($0.name, name) }?.value
    }

    /// The comma-separated list elements of every field named `name`, lowercased and trimmed,
    /// empty elements dropped (RFC 9110 section 5.6.1): for `Connection`, `Transfer-Encoding`.
    public func tokens(_ name: String) -> [String] {
        values(name).flatMap { value in
            value.split(separator: ",").map { HTTPText.lowercased(HTTPText.trimmed(Substring($0))) }.filter { !$0.isEmpty }
        }
    }

    /// Whether a message of `version` with these fields leaves the connection open for another
    /// (RFC 9112 section 9.3): HTTP/1.1 unless `Connection: close`, HTTP/1.0 only with
    /// `Connection: keep-alive`.
    func keepAlive(version: HTTPVersion) -> Bool {
        let options = tokens("Connection")
        if options.contains("close") { return false }
        return version == .http11 || options.contains("keep-alive")
    }

    /// ASCII case-insensitive equality of field names (RFC 9110 section 5.1).
    static func namesEqual(_ a: String, _ b: String) -> Bool {
        guard a.utf8.count == b.utf8.count else { return false }
        let equal = a.utf8.withContiguousStorageIfAvailable { x in
            b.utf8.withContiguousStorageIfAvailable { y in
                for index in 0..<x.count where HTTPText.lower(x[index]) != HTTPText.lower(y[index]) { return false }
                return true
            }
        }
        if let equal = equal ?? nil { return equal }
        return zip(a.utf8, b.utf8).allSatisfy { HTTPText.lower($0) == HTTPText.lower($1) }
    }

    public static func == (lhs: HTTPHeaders, rhs: HTTPHeaders) -> Bool {
        lhs.fields.count == rhs.fields.count && zip(lhs.fields, rhs.fields).allSatisfy { $0.name == $1.name && $0.value == $1.value }
    }
}
