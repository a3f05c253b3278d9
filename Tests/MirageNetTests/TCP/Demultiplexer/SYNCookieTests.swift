import MirageCore
import MirageNet
import Testing

@Suite("SYN cookies: a SYN flood fills no memory (RFC 4987 section 3.6)")
struct SYNCookieTests {
    @Test("past the half-open limit, SYNs are answered with cookies and no state; the table stays at the limit")
    func floodGetsCookies() {
        var bench = CookieBench(halfOpenLimit: 4)
        for port in UInt16(40000)..<40100 {
            let replies = bench.send(CookieBench.syn(from: port, sequence: UInt32(port) * 1000))
            #expect(replies.count == 1 && replies.first?.flags == [.syn, .ack], "port \(port)")
            #expect(replies.first?.acknowledgmentNumber == UInt32(port) * 1000 + 1)
        }
        #expect(bench.core.connectionCount == 4)
        #expect(bench.core.statistics.synCookiesSent == 96)
    }

    @Test("the ACK of a cookie makes an established connection with the SYN's options; a forged one gets a reset")
    func cookieCompletes() throws {
        var bench = CookieBench(halfOpenLimit: 0)
        let answers = bench.send(CookieBench.syn(from: 40001, sequence: 9000))
        let synACK = try #require(answers.first)
        #expect(bench.core.connectionCount == 0)
        let echo = try #require(synACK.options.timestamps?.value)
        #expect(synACK.options.maximumSegmentSize == 1460)
        #expect(synACK.options.sackPermitted && synACK.options.windowScale != nil)

        // A guessed ACK for another port: no connection, a reset.
        let forged = bench.send(CookieBench.ack(from: 40002, sequence: 9001, acknowledging: synACK.sequenceNumber &+ 1, echo: echo))
        #expect(forged.count == 1 && forged.first?.flags.contains(.rst) == true)
        #expect(bench.core.connectionCount == 0)

        let replies = bench.send(CookieBench.ack(from: 40001, sequence: 9001, acknowledging: synACK.sequenceNumber &+ 1, echo: echo))
        #expect(replies.isEmpty)
        #expect(bench.core.statistics.synCookiesAccepted == 1)
        let accepted = bench.core.accept(port: 7)
        let id = try #require(accepted)
        #expect(id.remotePort == 40001)
        let connection = try #require(bench.core.connection(id))
        #expect(connection.state == .established)
        #expect(connection.maximumSegmentSize == 1460 - 12) // the MSS less the timestamps option
    }
}
