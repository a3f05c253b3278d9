@testable import MirageHTTP
import Testing

@Suite("Header fields: lookups, the names filter and prepared encodings")
struct HTTPHeadersTests {
    @Test("lookups find a name in any case, and the names filter never hides one that is there")
    func lookupsInAnyCase() {
        var headers = HTTPHeaders([("Host", "a"), ("content-LENGTH", "5"), ("X-Custom", "1"), ("x-custom", "2")])
        #expect(headers["HOST"] == "a" && headers["host"] == "a")
        #expect(headers.values("Content-Length") == ["5"] && headers.count(named: "X-CUSTOM") == 2)
        #expect(headers["Range"] == nil && headers.values("If-None-Match").isEmpty && headers.count(named: "Transfer-Encoding") == 0)
        headers.remove("x-CUSTOM")
        #expect(headers.count(named: "X-Custom") == 0 && headers["Host"] == "a" && headers.count == 2)
        // Every name of a random set, in random case, is found after it is added (the seed is printed).
        var generator = SystemRandomNumberGenerator()
        let seed = UInt64.random(in: 0...UInt64.max, using: &generator)
        print("HTTPHeadersTests.lookupsInAnyCase seed \(seed)")
        var state = seed
        func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        let letters = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-".utf8)
        var many = HTTPHeaders()
        var names: [String] = []
        for _ in 0..<200 {
            let length = Int(next() % 20) + 1
            let name = String(decoding: (0..<length).map { _ in letters[Int(next() % UInt64(letters.count))] }, as: UTF8.self)
            names.append(name)
            many.add(name, "v")
        }
        for name in names {
            let flipped = String(decoding: name.utf8.map { next() % 2 == 0 ? HTTPText.lower($0) : ($0 >= 97 && $0 <= 122 ? $0 - 32 : $0) },
                                 as: UTF8.self)
            #expect(many[flipped] == "v", "seed \(seed): \(name) as \(flipped)")
        }
    }

    @Test("a prepared encoding is the fields' lines, and any change drops it")
    func preparedEncoding() {
        var headers = HTTPHeaders([("Content-Type", "text/plain"), ("ETag", "\"x\"")])
        #expect(headers.encoding == nil)
        headers.prepareEncoding()
        #expect(headers.encoding?.bytes == Array("Content-Type: text/plain\r\nETag: \"x\"\r\n".utf8))
        #expect(headers.encoding?.hasDate == false && headers.encoding?.isFramed == false && headers.encoding?.hasConnection == false)
        var changed = headers
        changed.add("Content-Length", "3")
        #expect(changed.encoding == nil && headers.encoding != nil)
        changed.prepareEncoding()
        #expect(changed.encoding?.isFramed == true)
        changed.remove("ETag")
        #expect(changed.encoding == nil)
        var dated = HTTPHeaders([("date", "yesterday"), ("connection", "keep-alive"), ("transfer-encoding", "chunked")])
        dated.prepareEncoding()
        #expect(dated.encoding?.hasDate == true && dated.encoding?.hasConnection == true && dated.encoding?.isFramed == true)
    }

    @Test("numbers in field values: every digit, from 0 to Int.max")
    func decimalFields() {
        for value in [0, 7, 10, 99, 279, 1_000_000, Int.max] {
            var encoder = HTTPHeadEncoder(capacity: 0)
            encoder.field("Content-Length", decimal: value)
            #expect(encoder.bytes == Array("Content-Length: \(value)\r\n".utf8))
        }
    }
}
