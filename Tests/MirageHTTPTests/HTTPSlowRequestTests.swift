import MirageCore
@testable import MirageHTTP
import Testing

/// Issue 13, class 8: a request dribbled in one byte at a time costs work in proportion to its
/// bytes, not to their square (the line search resumes where it stopped).
@Suite("HTTP parser work under a slow client")
struct HTTPSlowRequestTests {
    @Test("an 8000-byte request line and 50 header lines sent one byte at a time are each scanned once")
    func dribbledRequest() throws {
        let request = "GET /" + String(repeating: "a", count: 8000) + " HTTP/1.1\r\n"
            + "Host: example.org\r\n" + (0..<50).map { "X-Header-\($0): " + String(repeating: "v", count: 100) + "\r\n" }.joined() + "\r\n"
        var parser = HTTPRequestParser(limits: HTTPLimits())
        var head: HTTPRequestHead?
        for byte in request.utf8 {
            parser.append([byte])
            while let event = try parser.next() { if case let .head(value) = event { head = value } }
        }
        #expect(head?.target.count == 8001)
        #expect(parser.bytesScanned <= request.utf8.count, "scanned \(parser.bytesScanned) bytes for \(request.utf8.count)")
    }
}
