@testable import MirageHTTP
import Testing

@Suite("The message buffer's lines, however the bytes arrive")
struct HTTPMessageBufferTests {
    /// The lines of `bytes` as RFC 9112 section 2.2 reads them (CRLF or a bare LF ends one, any
    /// other CR fails), or where it fails: the reference the buffer is compared with.
    static func reference(_ bytes: [UInt8]) -> (lines: [[UInt8]], failed: Bool) {
        var lines: [[UInt8]] = [], current: [UInt8] = []
        for byte in bytes {
            if byte == 10 {
                if current.last == 13 { current.removeLast() }
                if current.contains(13) { return (lines, true) }
                lines.append(current)
                current = []
            } else {
                current.append(byte)
            }
        }
        return (lines, false)
    }

    @Test("random bytes of CR, LF and letters, split at random, give the reference's lines and its bare-CR failure (the seed is printed)")
    func randomSplits() {
        var generator = SystemRandomNumberGenerator()
        let seed = UInt64.random(in: 0...UInt64.max, using: &generator)
        print("HTTPMessageBufferTests.randomSplits seed \(seed)")
        var state = seed
        func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }
        let alphabet: [UInt8] = [13, 10, 97, 98, 99, 100]
        for round in 0..<2000 {
            let bytes = (0..<next(40)).map { _ in alphabet[next(alphabet.count)] }
            let expected = Self.reference(bytes)
            var buffer = HTTPMessageBuffer()
            var lines: [[UInt8]] = [], failed = false, offset = 0
            feeding: while offset < bytes.count {
                let piece = 1 + next(5)
                buffer.append(bytes[offset..<Swift.min(offset + piece, bytes.count)])
                offset += piece
                while true {
                    do {
                        guard let line = try buffer.nextLine(limit: 1000, tooLong: .headerFieldsTooLarge) else { break }
                        lines.append(Array(line))
                        // Now and then a body's bytes are taken between lines, as a chunked body's are.
                        if next(4) == 0, !buffer.isEmpty { _ = buffer.take(upTo: 1) ; lines.append([0]) }
                    } catch {
                        failed = true
                        break feeding
                    }
                }
            }
            if lines.contains([0]) { continue } // a take changes the lines; the next check covers it
            #expect(lines == expected.lines && failed == expected.failed, "seed \(seed), round \(round): \(bytes)")
        }
    }

    @Test("a CR taken with a body's bytes is not a bare CR of the next line; one left behind is")
    func takenCarriageReturns() throws {
        var buffer = HTTPMessageBuffer()
        buffer.append(Array("a\rb".utf8))
        #expect(try buffer.nextLine(limit: 100, tooLong: .headerFieldsTooLarge) == nil) // scanned, no LF yet
        #expect(buffer.take(upTo: 2).bytes == Array("a\r".utf8))
        buffer.append(Array("c\r\n".utf8))
        #expect(try buffer.nextLine(limit: 100, tooLong: .headerFieldsTooLarge).map(Array.init) == Array("bc".utf8))

        var other = HTTPMessageBuffer()
        other.append(Array("ab\rc".utf8))
        #expect(try other.nextLine(limit: 100, tooLong: .headerFieldsTooLarge) == nil)
        #expect(other.take(upTo: 1).bytes == Array("a".utf8))
        other.append(Array("\r\n".utf8))
        #expect(throws: HTTPParseError.malformed("a bare CR")) { try other.nextLine(limit: 100, tooLong: .headerFieldsTooLarge) }
    }
}
