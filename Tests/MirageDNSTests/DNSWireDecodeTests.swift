import MirageCore
@testable import MirageDNS
import Testing

@Suite("Decoding messages (RFC 1035 section 4.1)")
struct DNSWireDecodeTests {
    /// The names of RFC 1035 section 4.1.4's example, F.ISI.ARPA, FOO.F.ISI.ARPA and ARPA, in a
    /// response: the question F.ISI.ARPA at offset 12, an A record for FOO.F.ISI.ARPA pointing
    /// to it, and an NS record whose owner ARPA and data F.ISI.ARPA are both pointers.
    static let compressionExample: [UInt8] =
        header(id: 0x1234, flags: 0x8180, counts: [1, 2, 0, 0])
        + [1] + ascii("F") + [3] + ascii("ISI") + [4] + ascii("ARPA") + [0] + [0, 1, 0, 1]  // 12..<28
        + [3] + ascii("FOO") + [0xc0, 12] + [0, 1, 0, 1] + [0, 0, 0x0e, 0x10] + [0, 4, 10, 0, 0, 1]  // 28..<48
        + [0xc0, 18] + [0, 2, 0, 1] + [0, 0, 0, 0] + [0, 2, 0xc0, 12]  // ARPA NS F.ISI.ARPA

    @Test("RFC 1035 4.1.4: pointers to a whole earlier name and to its suffix ARPA")
    func compressionExampleDecodes() throws {
        let message = try DNSMessage.decode(Self.compressionExample)
        #expect(message.id == 0x1234 && message.isResponse && message.recursionDesired && message.recursionAvailable)
        #expect(message.questions == [DNSQuestion(name: name("F.ISI.ARPA"), type: .a)])
        #expect(message.answers.count == 2)
        #expect(message.answers[0] == DNSRecord(name: name("FOO.F.ISI.ARPA"), ttl: 3600, data: .a(IPv4Address(10, 0, 0, 1))))
        #expect(message.answers[1] == DNSRecord(name: name("ARPA"), ttl: 0, data: .ns(name("F.ISI.ARPA"))))
        #expect(message.answers[0].name.description == "FOO.F.ISI.ARPA.")
    }

    @Test("the encoder compresses the same way, byte for byte")
    func compressionExampleEncodes() throws {
        let message = try DNSMessage.decode(Self.compressionExample)
        #expect(message.encoded() == Self.compressionExample)
    }

    @Test("a query from dig: header flags, question, EDNS with a cookie option and the DO bit")
    func digQuery() throws {
        // dig +dnssec example.com A, with a client cookie: payload 1232, DO, COOKIE (10) option.
        let bytes = header(id: 0xbeef, flags: 0x0120, counts: [1, 0, 0, 1])
            + wireName("example.com") + [0, 1, 0, 1]
            + [0, 0, 41, 0x04, 0xd0, 0, 0, 0x80, 0, 0, 12, 0, 10, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8]
        let message = try DNSMessage.decode(bytes)
        #expect(message.opcode == .query && !message.isResponse && message.recursionDesired && message.authenticData)
        #expect(message.question == DNSQuestion(name: name("example.com"), type: .a))
        #expect(message.additionals.isEmpty)
        #expect(message.edns == DNSEDNS(udpPayloadSize: 1232, dnssecOK: true,
                                        options: [DNSEDNSOption(code: 10, data: [1, 2, 3, 4, 5, 6, 7, 8])]))
        #expect(message.encoded() == bytes)
    }

    @Test("the extended response code joins the header's four bits with the OPT record's eight")
    func extendedResponseCode() throws {
        // BADVERS (16): header bits 0, OPT TTL high byte 1.
        let bytes = header(flags: 0x8000, counts: [0, 0, 0, 1]) + [0, 0, 41, 2, 0, 1, 0, 0, 0, 0, 0]
        let message = try DNSMessage.decode(bytes)
        #expect(message.responseCode == .badVersion)
        #expect(message.encoded() == bytes)
    }

    @Test("every record type decodes from its RDATA bytes (RFC 1035, 3596, 2782, 8659, 3597)")
    func recordTypes() throws {
        func decode(_ type: DNSRecordType, _ rdata: [UInt8]) throws(DNSWireError) -> DNSRecordData {
            try DNSRecordData.decode(type: type, bytes: rdata)
        }
        #expect(try decode(.a, [192, 0, 2, 1]) == .a(IPv4Address(192, 0, 2, 1)))
        #expect(try decode(.aaaa, [0x20, 0x01, 0x0d, 0xb8] + Array(repeating: 0, count: 11) + [1])
            == .aaaa(IPv6Address(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1)))
        #expect(try decode(.ns, wireName("ns1.example")) == .ns(name("ns1.example")))
        #expect(try decode(.cname, wireName("a.example")) == .cname(name("a.example")))
        #expect(try decode(.ptr, wireName("a.example")) == .ptr(name("a.example")))
        #expect(try decode(.mx, [0, 10] + wireName("mx.example")) == .mx(preference: 10, exchange: name("mx.example")))
        #expect(try decode(.soa, wireName("ns") + wireName("h.m") + [0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0, 5])
            == .soa(DNSSOA(primaryServer: name("ns"), responsibleMailbox: name("h.m"), serial: 1, refresh: 2, retry: 3, expire: 4, minimum: 5)))
        #expect(try decode(.txt, [2] + ascii("hi") + [0] + [1, 0xff]) == .txt([ascii("hi"), [], [0xff]]))
        #expect(try decode(.srv, [0, 1, 0, 2, 0x14, 0x95] + wireName("sip.example"))
            == .srv(DNSSRV(priority: 1, weight: 2, port: 5269, target: name("sip.example"))))
        #expect(try decode(.caa, [128, 5] + ascii("issue") + ascii("ca.example"))
            == .caa(DNSCAA(flags: 128, tag: ascii("issue"), value: ascii("ca.example"))))
        #expect(try decode(DNSRecordType(65280), [1, 2, 3]) == .unknown(DNSRecordType(65280), [1, 2, 3]))
        #expect(try decode(DNSRecordType(65280), []) == .unknown(DNSRecordType(65280), []))
    }

    @Test("RDATA that does not match its type or overruns RDLENGTH is refused")
    func badRecordData() {
        func error(_ type: DNSRecordType, _ rdata: [UInt8]) -> DNSWireError? {
            do {
                _ = try DNSRecordData.decode(type: type, bytes: rdata)
                return nil
            } catch {
                return error
            }
        }
        #expect(error(.a, [1, 2, 3]) == .badRecordData(.a, offset: 0))
        #expect(error(.a, [1, 2, 3, 4, 5]) == .badRecordData(.a, offset: 0))
        #expect(error(.aaaa, [1, 2, 3, 4]) == .badRecordData(.aaaa, offset: 0))
        #expect(error(.mx, [0, 10] + wireName("mx") + [0]) == .badRecordData(.mx, offset: 0))
        #expect(error(.ns, [3] + ascii("ab")) == .badRecordData(.ns, offset: 0))
        #expect(error(.txt, [5] + ascii("abc")) == .badRecordData(.txt, offset: 0))
        #expect(error(.caa, [0, 0] + ascii("x")) == .badRecordData(.caa, offset: 1))
        #expect(error(.srv, [0, 1, 0, 2]) == .badRecordData(.srv, offset: 0))
        #expect(error(.cname, [0xc0, 0]) == .compressionNotAllowed(offset: 0))
    }
}

@Suite("Refusing malformed messages")
struct DNSWireRejectionTests {
    static let question = wireName("a.example") + [0, 1, 0, 1]

    @Test("a header shorter than 12 bytes")
    func truncatedHeader() {
        #expect(wireError(header(counts: [0, 0, 0, 0]).dropLast()) == .truncatedHeader)
        #expect(wireError([]) == .truncatedHeader)
    }

    @Test("a question cut short")
    func truncatedQuestion() {
        let bytes = header(counts: [1, 0, 0, 0]) + Self.question.dropLast(1)
        #expect(wireError(bytes) == .truncated(offset: 12 + 11 + 2))
        let inName = header(counts: [1, 0, 0, 0]) + [7] + ascii("exampl")
        #expect(wireError(inName) == .truncated(offset: 12))
    }

    @Test("RDATA cut short, and a record cut inside its fixed fields")
    func truncatedRecordData() {
        let record: [UInt8] = [0] + [0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 10, 0]
        #expect(wireError(header(counts: [0, 1, 0, 0]) + record) == .truncated(offset: 23))
        let fields = Self.question + [0, 0, 1, 0, 1, 0, 0, 0]
        #expect(wireError(header(counts: [1, 1, 0, 0]) + fields) == .truncated(offset: 32))
    }

    @Test("counts larger than the message could hold")
    func countsTooLarge() {
        #expect(wireError(header(counts: [0, 100, 0, 0])) == .countTooLarge(.answer, count: 100))
        #expect(wireError(header(counts: [4, 0, 0, 0]) + Self.question) == .countTooLarge(.question, count: 4))
        #expect(wireError(header(counts: [1, 0, 0, 65535]) + Self.question)
            == .countTooLarge(.additional, count: 65535))
        #expect(wireError(header(counts: [1, 0, 1, 0]) + Self.question)
            == .countTooLarge(.authority, count: 1))
    }

    @Test("a compression pointer to itself")
    func selfPointer() {
        let bytes = header(counts: [1, 0, 0, 0]) + [0xc0, 12, 0, 1, 0, 1]
        #expect(wireError(bytes) == .pointerNotBackward(offset: 12, target: 12))
    }

    @Test("two pointers pointing at each other")
    func twoPointerLoop() {
        // A record of unknown type whose RDATA at 23 holds C0 19 (to 25) and at 25 C0 17 (to 23);
        // the next record's owner, at 27, points to 25, which leads to 23, which leads back to 25.
        let first: [UInt8] = [0] + [0xff, 0x00, 0, 1, 0, 0, 0, 0, 0, 4] + [0xc0, 25, 0xc0, 23]
        let second: [UInt8] = [0xc0, 25] + [0, 1, 0, 1, 0, 0, 0, 0, 0, 4, 1, 2, 3, 4]
        let bytes = header(counts: [0, 2, 0, 0]) + first + second
        #expect(wireError(bytes) == .pointerNotBackward(offset: 23, target: 25))
    }

    @Test("a pointer forwards, and a pointer past the end")
    func forwardAndOutOfBoundsPointers() {
        let forward = header(counts: [1, 0, 0, 0]) + [0xc0, 18, 0, 1, 0, 1] + wireName("a")
        #expect(wireError(forward, allowingTrailingBytes: true) == .pointerNotBackward(offset: 12, target: 18))
        let outside = header(counts: [1, 0, 0, 0]) + [1] + ascii("a") + [0xc3, 0xff, 0, 1, 0, 1]
        #expect(wireError(outside) == .pointerOutOfBounds(offset: 14, target: 0x3ff))
    }

    @Test("a label length byte above 63")
    func labelTooLong() {
        let bytes = header(counts: [1, 0, 0, 0]) + [64] + Array(repeating: UInt8(ascii: "a"), count: 64) + [0, 0, 1, 0, 1]
        #expect(wireError(bytes) == .labelTooLong(lengthByte: 64, offset: 12))
        let extended = header(counts: [1, 0, 0, 0]) + [0x81, 0, 0, 1, 0, 1]
        #expect(wireError(extended) == .labelTooLong(lengthByte: 0x81, offset: 12))
    }

    @Test("a name over 255 bytes, written out or made so by a pointer")
    func nameTooLong() {
        let label: [UInt8] = [63] + Array(repeating: UInt8(ascii: "x"), count: 63)
        let long = header(counts: [1, 0, 0, 0]) + label + label + label + label + [0, 0, 1, 0, 1]
        #expect(wireError(long) == .nameTooLong(offset: 12))
        // A question of 192 bytes of labels, then one whose 64 bytes point to it: 257 in all.
        let first = label + label + label + [0]
        let second: [UInt8] = label + [0xc0, 12]
        let viaPointer = header(counts: [2, 0, 0, 0]) + first + [0, 1, 0, 1] + second + [0, 1, 0, 1]
        #expect(wireError(viaPointer) == .nameTooLong(offset: 12 + first.count + 4))
    }

    @Test("OPT records: in the answer section, twice, or owned by another name than the root")
    func badOPT() {
        let opt: [UInt8] = [0] + [0, 41, 2, 0, 0, 0, 0, 0, 0, 0]
        #expect(wireError(header(counts: [0, 1, 0, 0]) + opt) == .badOPT(offset: 12))
        #expect(wireError(header(counts: [0, 0, 0, 2]) + opt + opt) == .badOPT(offset: 23))
        let named = wireName("a") + [0, 41, 2, 0, 0, 0, 0, 0, 0, 0]
        #expect(wireError(header(counts: [0, 0, 0, 1]) + named) == .badOPT(offset: 12))
        let overrun: [UInt8] = [0] + [0, 41, 2, 0, 0, 0, 0, 0, 0, 6] + [0, 10, 0, 8, 1, 2]
        #expect(wireError(header(counts: [0, 0, 0, 1]) + overrun) == .badOPT(offset: 23))
    }

    @Test("bytes after the last record are refused unless allowed")
    func trailingBytes() throws {
        let bytes = header(counts: [1, 0, 0, 0]) + Self.question + [0, 0]
        #expect(wireError(bytes) == .trailingBytes(count: 2))
        #expect(try DNSMessage.decode(bytes, allowingTrailingBytes: true).questions.count == 1)
    }

    @Test("the prefix of a malformed query still gives its id, opcode and question")
    func prefix() throws {
        let bytes = header(id: 0xabcd, flags: 0x0100, counts: [1, 5, 0, 0]) + Self.question
        #expect(wireError(bytes) != nil)
        let prefix = try #require(DNSMessagePrefix(bytes))
        #expect(prefix.id == 0xabcd && prefix.opcode == .query && prefix.recursionDesired && !prefix.isResponse)
        #expect(prefix.questionCount == 1 && prefix.question == DNSQuestion(name: name("a.example"), type: .a))
        let badQuestion = try #require(DNSMessagePrefix(header(id: 7, flags: 0x2800, counts: [1, 0, 0, 0]) + [0xc0, 12]))
        #expect(badQuestion.id == 7 && badQuestion.opcode == .update && badQuestion.question == nil)
        #expect(DNSMessagePrefix(Array(repeating: 0, count: 11)) == nil)
    }
}
