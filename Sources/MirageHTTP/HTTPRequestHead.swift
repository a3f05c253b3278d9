/// An HTTP version (RFC 9110 section 2.5): only 1.0 and 1.1 are spoken here.
public struct HTTPVersion: Equatable, Sendable, CustomStringConvertible {
    public let major: Int
    public let minor: Int

    public init(major: Int, minor: Int) {
        self.major = major
        self.minor = minor
    }

    public static let http10 = HTTPVersion(major: 1, minor: 0)
    public static let http11 = HTTPVersion(major: 1, minor: 1)

    public var description: String { "HTTP/\(major).\(minor)" }
}

/// How a message's body is delimited (RFC 9112 section 6.3).
public enum HTTPBodyFraming: Equatable, Sendable {
    /// No body.
    case none
    /// `Content-Length` octets.
    case length(Int)
    /// The chunked transfer coding (RFC 9112 section 7.1).
    case chunked
}

/// The request line and header section of a request (RFC 9112 sections 3 and 5).
public struct HTTPRequestHead: Equatable, Sendable {
    /// The method token, case-sensitive (RFC 9110 section 9.1): `GET`, `HEAD`, ...
    public var method: String
    /// The request-target as sent (RFC 9112 section 3.2): usually an absolute path and query.
    public var target: String
    public var version: HTTPVersion
    public var headers: HTTPHeaders
    /// How the body that follows is delimited.
    public var framing: HTTPBodyFraming

    public init(method: String, target: String, version: HTTPVersion = .http11, headers: HTTPHeaders = HTTPHeaders(),
                framing: HTTPBodyFraming = .none) {
        self.method = method
        self.target = target
        self.version = version
        self.headers = headers
        self.framing = framing
    }

    /// Whether the connection stays open after the response (RFC 9112 section 9.3): HTTP/1.1
    /// unless `Connection: close`, HTTP/1.0 only with `Connection: keep-alive`.
    public var keepAlive: Bool {
        let options = headers.tokens("Connection")
        if options.contains("close") { return false }
        return version == .http11 || options.contains("keep-alive")
    }
}
