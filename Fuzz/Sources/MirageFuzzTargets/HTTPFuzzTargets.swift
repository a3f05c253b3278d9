import MirageCore
import MirageHTTP

extension FuzzTargets {
    /// Limits small enough for the fuzzer to reach each of them.
    static let smallLimits: HTTPLimits = {
        var limits = HTTPLimits()
        limits.startLineLength = 256
        limits.headerSectionLength = 512
        limits.headerFieldCount = 8
        limits.bodyLength = 4096
        return limits
    }()

    /// The HTTP/1.1 request parser (RFC 9112), fed in pieces the input chooses, with small limits
    /// so that they are reached.
    static let httpRequest = FuzzTarget("http-request", "HTTPRequestParser, fed in pieces, small limits") { bytes in
        var input = FuzzInput(bytes)
        var parser = HTTPRequestParser(limits: smallLimits)
        var events = 0
        while !input.isAtEnd {
            parser.append(input.piece(maximum: 64))
            do {
                while (try parser.next()) != nil { events += 1 }
            } catch {
                return
            }
        }
        _ = events
    }

    /// The HTTP/1.1 response parser (RFC 9112 section 6.3's message lengths), expecting responses
    /// to methods the input chooses, ending with the connection when it says so.
    static let httpResponse = FuzzTarget("http-response", "HTTPResponseParser, methods and pieces from the input") { bytes in
        var input = FuzzInput(bytes)
        var parser = HTTPResponseParser(limits: smallLimits)
        for _ in 0..<Int(input.byte() % 4) + 1 { parser.expectResponse(toMethod: input.byte() % 2 == 0 ? "GET" : "HEAD") }
        var finished = false
        while !input.isAtEnd, !finished {
            // The connection's end is the last thing a parser is told (appending after it is a
            // caller's mistake the parser traps on).
            if input.byte() == 0xFF {
                parser.finish()
                finished = true
            } else {
                parser.append(input.piece(maximum: 64))
            }
            do {
                while (try parser.next()) != nil {}
            } catch {
                return
            }
        }
    }
}
