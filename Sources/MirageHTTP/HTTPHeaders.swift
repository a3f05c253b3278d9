/// The header fields of a request or response (RFC 9110 section 5), in the order received or
/// added. Names compare case-insensitively (section 5.1); values are kept as received, without
/// leading and trailing whitespace (RFC 9112 section 5.1).
public struct HTTPHeaders: Sendable, Equatable {
    public private(set) var fields: [(name: String, value: String)] = []
    /// The fields encoded, once ``prepareEncoding()`` has run and until they next change.
    private(set) var encoding: HTTPEncodedFields?
    /// A one-hash Bloom filter of the names present (``nameBit(_:)`` of each): a lookup of a name
    /// whose bit is clear ends without comparing it with every field, as most of a request's
    /// lookups (`Content-Length`, `Transfer-Encoding`, `Range`, the conditionals) do.
    private var nameBits: UInt64 = 0

    public init() {}

    public init(_ fields: [(String, String)]) {
        for (name, value) in fields { add(name, value) }
    }

    public var count: Int { fields.count }

    /// Encodes the field lines now and keeps them with these headers, until they change: for
    /// headers sent again and again (a static file's), so that each response copies them whole.
    /// - Precondition: each name is a token and no value holds CR, LF or NUL (as for sending).
    public mutating func prepareEncoding() {
        encoding = HTTPEncodedFields(fields)
    }

    /// Appends a field, keeping any others of the same name.
    public mutating func add(_ name: String, _ value: String) {
        fields.append((name, value))
        nameBits |= Self.nameBit(name)
        encoding = nil
    }

    /// Replaces every field named `name` with one of `value`.
    public mutating func set(_ name: String, _ value: String) {
        remove(name)
        add(name, value)
    }

    public mutating func remove(_ name: String) {
        fields.removeAll { Self.namesEqual($0.name, name) }
        nameBits = fields.reduce(0) { $0 | Self.nameBit($1.name) }
        encoding = nil
    }

    /// The values of every field named `name`, in order.
    public func values(_ name: String) -> [String] {
        guard mayContain(name) else { return [] }
        return fields.compactMap { Self.namesEqual($0.name, name) ? $0.value : nil }
    }

    /// How many fields are named `name`.
    public func count(named name: String) -> Int {
        guard mayContain(name) else { return 0 }
        var count = 0
        for field in fields where Self.namesEqual(field.name, name) { count += 1 }
        return count
    }

    /// The first value of the field named `name`.
    public subscript(_ name: String) -> String? {
        guard mayContain(name) else { return nil }
        return fields.first { Self.namesEqual($0.name, name) }?.value
    }

    /// False when no field is named `name`; true when one may be.
    func mayContain(_ name: String) -> Bool {
        nameBits & Self.nameBit(name) != 0
    }

    /// The bits of `Range`, `If-None-Match` and `If-Modified-Since`, computed once: a static
    /// site answers a request with none of them from what it kept (``HTTPStaticSite``).
    static let rangeOrConditionBits = nameBit("Range") | nameBit("If-None-Match") | nameBit("If-Modified-Since")

    /// False when no field has a name of bit `bit` (``nameBit(_:)``, computed once by the caller);
    /// true when one may.
    func mayContain(bit: UInt64) -> Bool {
        nameBits & bit != 0
    }

    /// A name's bit in ``nameBits``, the same for every spelling of the name's case: from its
    /// length and its first byte, lowercased (a String's last byte costs a walk of its indices).
    static func nameBit(_ name: String) -> UInt64 {
        let utf8 = name.utf8
        let first = utf8.isEmpty ? 0 : utf8[utf8.startIndex]
        let mixed = utf8.count &* 31 &+ Int(HTTPText.lower(first)) &* 7
        return 1 << UInt64(mixed & 63)
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
