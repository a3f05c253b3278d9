/// The status line and header section of a response (RFC 9112 section 4), serialised for the
/// wire.
public struct HTTPResponseHead: Equatable, Sendable {
    public var status: HTTPStatus
    public var version: HTTPVersion
    public var headers: HTTPHeaders

    public init(status: HTTPStatus, version: HTTPVersion = .http11, headers: HTTPHeaders = HTTPHeaders()) {
        self.status = status
        self.version = version
        self.headers = headers
    }

    /// The status line, the field lines and the empty line that ends them, as sent.
    public var bytes: [UInt8] {
        var text = "\(version) \(status.code) \(status.reason)\r\n"
        for field in headers.fields { text += field.name + ": " + field.value + "\r\n" }
        text += "\r\n"
        return Array(text.utf8)
    }
}
