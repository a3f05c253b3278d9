import MirageCore
import MirageHTTP
import Testing

func request(_ method: String, _ target: String, _ fields: [(String, String)] = [], body: String = "") -> HTTPRequest {
    HTTPRequest(head: HTTPRequestHead(method: method, target: target, headers: HTTPHeaders(fields)), body: Array(body.utf8))
}

func written(_ request: HTTPRequest, host: String = "example.org") -> String {
    String(decoding: HTTPRequestWriter.bytes(of: request, host: host), as: UTF8.self)
}

@Suite("HTTP/1.1 request writer (RFC 9112)")
struct HTTPRequestWriterTests {
    @Test("a GET: request line, Host first, the fields as given, no body framing")
    func get() {
        #expect(written(request("GET", "/a?b=1", [("Accept", "*/*")])) == "GET /a?b=1 HTTP/1.1\r\nHost: example.org\r\nAccept: */*\r\n\r\n")
        #expect(written(request("GET", "/", [("Accept", "*/*"), ("host", "other:8080")])) == "GET / HTTP/1.1\r\nAccept: */*\r\nhost: other:8080\r\n\r\n")
        #expect(HTTPRequestWriter.head(of: request("GET", "/"), host: "a").framing == .none)
    }

    @Test("Content-Length for a body, and for POST, PUT and PATCH even when empty (RFC 9110 section 8.6)")
    func contentLength() {
        #expect(written(request("POST", "/form", body: "a=1")) == "POST /form HTTP/1.1\r\nHost: example.org\r\nContent-Length: 3\r\n\r\na=1")
        #expect(written(request("PUT", "/x")) == "PUT /x HTTP/1.1\r\nHost: example.org\r\nContent-Length: 0\r\n\r\n")
        #expect(written(request("DELETE", "/x")) == "DELETE /x HTTP/1.1\r\nHost: example.org\r\n\r\n")
        #expect(written(request("POST", "/", [("Content-Length", "2")], body: "hi")).hasSuffix("Content-Length: 2\r\n\r\nhi"))
        #expect(HTTPRequestWriter.head(of: request("POST", "/", body: "hi"), host: "a").framing == .length(2))
    }

    @Test("Transfer-Encoding: chunked sends the body as one chunk and the last chunk; an empty body as the last chunk alone")
    func chunked() {
        let fields = [("Transfer-Encoding", "chunked")]
        #expect(written(request("POST", "/up", fields, body: String(repeating: "z", count: 26)))
            == "POST /up HTTP/1.1\r\nHost: example.org\r\nTransfer-Encoding: chunked\r\n\r\n1a\r\n" + String(repeating: "z", count: 26) + "\r\n0\r\n\r\n")
        #expect(written(request("POST", "/up", fields)) == "POST /up HTTP/1.1\r\nHost: example.org\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
        #expect(HTTPRequestWriter.head(of: request("POST", "/", fields), host: "a").framing == .chunked)
    }

    @Test("what the writer writes, the request parser reads back: head, framing and body", arguments: [false, true])
    func roundTrip(chunked: Bool) {
        let body = String(repeating: "0123456789", count: 300)
        let sent = request("PUT", "/files/a%20b", chunked ? [("Transfer-Encoding", "chunked")] : [], body: body)
        let (events, error) = parse(written(sent), split: randomPieces(seed: 3))
        #expect(error == nil)
        #expect(events == [.head(HTTPRequestWriter.head(of: sent, host: "example.org")), .body(PacketBuffer(Array(body.utf8))), .end])
    }
}
