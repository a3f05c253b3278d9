/// The last status line written (RFC 9112 section 4), kept encoded: a server answers most requests
/// with the same status, as nginx writes its status lines from a table made once.
final class HTTPStatusLineCache {
    private var version = HTTPVersion.http11
    private var status = HTTPStatus(code: 0, reason: "")
    private var line: [UInt8] = []

    /// `HTTP/1.x CODE REASON` and CRLF.
    func line(version: HTTPVersion, status: HTTPStatus) -> [UInt8] {
        if status.code != self.status.code || status.reason != self.status.reason || version != self.version {
            var encoder = HTTPHeadEncoder(capacity: 32 + status.reason.utf8.count)
            encoder.statusLine(version: version, status: status)
            line = encoder.bytes
            self.version = version
            self.status = status
        }
        return line
    }
}
