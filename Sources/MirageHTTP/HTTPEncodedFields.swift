/// A header section's field lines encoded once (RFC 9112 section 5): what
/// ``HTTPHeaders/prepareEncoding()`` keeps for fields that go out many times, as a static file's
/// do, so that each response copies them instead of checking and copying each name and value.
final class HTTPEncodedFields: Sendable {
    /// `name: value` CRLF for each field, in order.
    let bytes: [UInt8]
    /// Whether a `Date` field is among them (the server writes its own).
    let hasDate: Bool
    /// Whether a `Connection` field is among them (the server writes its own when it closes).
    let hasConnection: Bool
    /// Whether `Content-Length` or `Transfer-Encoding` is among them: the message is framed.
    let isFramed: Bool

    init(_ fields: [(name: String, value: String)]) {
        var encoder = HTTPHeadEncoder(capacity: fields.reduce(0) { $0 + $1.name.utf8.count + $1.value.utf8.count + 4 })
        for field in fields { encoder.field(field.name, field.value) }
        bytes = encoder.bytes
        func has(_ name: String) -> Bool { fields.contains { HTTPHeaders.namesEqual($0.name, name) } }
        hasDate = has("Date")
        hasConnection = has("Connection")
        isFramed = has("Content-Length") || has("Transfer-Encoding")
    }
}
