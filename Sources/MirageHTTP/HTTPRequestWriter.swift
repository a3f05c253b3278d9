import MirageCore
import MirageRuntime

extension HTTPRequestHead {
    /// The request line, the field lines and the empty line that ends them, as sent (RFC 9112
    /// sections 3 and 5).
    /// - Precondition: the method is a token, the target has no space or control character,
    ///   every field name is a token and no value holds CR, LF or NUL.
    public var bytes: [UInt8] {
        var encoder = HTTPHeadEncoder(capacity: 256)
        encode(into: &encoder)
        return encoder.bytes
    }

    /// Writes ``bytes`` into `encoder`.
    func encode(into encoder: inout HTTPHeadEncoder) {
        precondition(!method.isEmpty && method.utf8.allSatisfy(HTTPText.isTokenCharacter), "an invalid method")
        precondition(!target.isEmpty && target.utf8.allSatisfy({ $0 > 32 && $0 < 127 }), "an invalid request-target")
        encoder.startLine("\(method) \(target) \(version)")
        encoder.fields(headers)
    }
}

/// How a client puts a request on the wire: the head completed with `Host` and the body's
/// framing, then the body, as it is after `Content-Length` or in the chunked coding (RFC 9112
/// sections 3.2, 6 and 7.1).
public enum HTTPRequestWriter {
    /// The head of `request` as sent. `Host` is added as the first field when missing (RFC 9110
    /// section 7.2). The body goes chunked when the request says `Transfer-Encoding: chunked`;
    /// else `Content-Length` is added when the body is not empty or the method is one that
    /// expects content, `POST`, `PUT` or `PATCH` (RFC 9110 section 8.6). The head's ``framing``
    /// says which.
    /// - Parameter host: the `Host` value: the server's name or address, with the port unless it
    ///   is the default.
    /// - Precondition: a chunked request is HTTP/1.1 with no `Content-Length` and no other
    ///   transfer coding; a `Content-Length` the request sets matches its body.
    public static func head(of request: HTTPRequest, host: String) -> HTTPRequestHead {
        var head = request.head
        if head.headers["Host"] == nil {
            var headers = HTTPHeaders()
            headers.add("Host", host)
            for field in head.headers.fields { headers.add(field.name, field.value) }
            head.headers = headers
        }
        let codings = head.headers.tokens("Transfer-Encoding")
        let length = head.headers.values("Content-Length")
        if !head.headers.values("Transfer-Encoding").isEmpty {
            precondition(codings == ["chunked"], "a transfer coding other than chunked")
            precondition(head.version == .http11, "chunked in an HTTP/1.0 request")
            precondition(length.isEmpty, "both Content-Length and Transfer-Encoding")
            head.framing = .chunked
        } else if !length.isEmpty {
            precondition(length == [String(request.body.count)], "a Content-Length other than the body's")
            head.framing = .length(request.body.count)
        } else if !request.body.isEmpty || ["POST", "PUT", "PATCH"].contains(head.method) {
            head.headers.add("Content-Length", String(request.body.count))
            head.framing = .length(request.body.count)
        } else {
            head.framing = .none
        }
        return head
    }

    /// `request` as sent: ``head(of:host:)`` and the body after it, framed.
    public static func bytes(of request: HTTPRequest, host: String) -> [UInt8] {
        let head = head(of: request, host: host)
        let (before, after) = HTTPMessageWriter.bodyFraming(length: request.body.count, chunked: head.framing == .chunked)
        return head.bytes + before + request.body + after
    }

    /// Writes `request` to `connection` as ``bytes(of:host:)`` has it; a small request in one
    /// write.
    /// - Returns: the head as sent.
    @discardableResult
    public static func write<Connection: Flow>(_ request: HTTPRequest, host: String,
                                               over connection: Connection) async throws(FlowError) -> HTTPRequestHead {
        let head = head(of: request, host: host)
        var encoder = HTTPHeadEncoder(capacity: 256 + Swift.min(request.body.count, HTTPMessageWriter.coalescingLimit))
        head.encode(into: &encoder)
        try await HTTPMessageWriter.write(head: consume encoder, body: PacketBuffer(request.body), chunked: head.framing == .chunked,
                                          over: connection)
        return head
    }
}
