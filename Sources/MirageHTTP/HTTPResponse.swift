import MirageCore

/// A response from the application. The server adds `Date`, `Content-Length` (unless the
/// application set framing itself) and `Connection: close` when the connection ends, and sends no
/// body for `HEAD` or a status that has none (RFC 9110 sections 6.4.1, 9.3.2).
public struct HTTPResponse: Sendable {
    public var status: HTTPStatus
    public var headers: HTTPHeaders
    public var body: PacketBuffer

    public init(status: HTTPStatus, headers: HTTPHeaders = HTTPHeaders(), body: PacketBuffer = PacketBuffer(capacity: 0)) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A short plain-text response, as for errors.
    public static func text(_ status: HTTPStatus, _ text: String) -> HTTPResponse {
        var headers = HTTPHeaders()
        headers.add("Content-Type", "text/plain; charset=utf-8")
        return HTTPResponse(status: status, headers: headers, body: PacketBuffer(Array((text + "\n").utf8)))
    }

    /// A permanent redirect to `location` (RFC 9110 section 15.4.9, 10.2.2).
    public static func redirect(to location: String) -> HTTPResponse {
        var response = text(.permanentRedirect, "moved to " + location)
        response.headers.add("Location", location)
        return response
    }
}
