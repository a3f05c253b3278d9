import MirageCore
@testable import MirageDNS

extension FuzzTargets {
    /// DNS messages (RFC 1035 section 4, name compression, EDNS of RFC 6891): a message that
    /// decodes is encoded again and must decode to the same message.
    static let dnsMessage = FuzzTarget("dns-message", "DNSMessage.decode, encoded again") { bytes in
        guard let message = try? DNSMessage.decode(bytes, allowingTrailingBytes: bytes.first.map { $0 & 1 == 1 } ?? false) else { return }
        let again = try? DNSMessage.decode(message.encoded())
        require(again == message, "a message changes when encoded and decoded again")
    }

    /// Queries to an authority: a plain query (``DNSPlainQuery``) is answered straight from the
    /// zone's RRsets, and must get the bytes that decoding it in full and answering with records
    /// gives. The first byte picks the transport and a size limit; the rest is the message.
    static let dnsQuery = FuzzTarget("dns-query", "DNSAuthority: plain queries answered from RRsets against full decoding") { input in
        guard input.count >= 13 else { return }
        let transport: DNSTransport = input[0] & 1 == 0 ? .udp : .tcp
        let maximumSize: Int? = input[0] & 2 == 0 ? nil : 12 + Int(input[0] >> 2) * 8
        let bytes = Array(input[1...])
        guard bytes[2] & 0x80 == 0 else { return }
        let plain = bytes.withUnsafeBytes { fuzzAuthority.plainResponse(to: $0, transport: transport, maximumSize: maximumSize) }
        guard let plain else { return }
        let decoded = fuzzAuthority.decodedResponses(to: bytes, transport: transport, maximumSize: maximumSize, allowingZoneTransfer: false)
        require(decoded == [plain], "a plain query answered otherwise than decoded in full")
    }

    /// Master files (RFC 1035 section 5): directives, escapes, parentheses, every record type.
    static let dnsZone = FuzzTarget("dns-zone", "DNSZone(parsing:) on master-file text") { bytes in
        let text = String(decoding: bytes, as: UTF8.self)
        _ = try? DNSZone(parsing: text, origin: try? DNSName(parsing: "example.org"))
    }
}

extension FuzzTargets {
    /// The stub resolver's reading of a response (RFC 5452 checks, CNAME chains, RFC 2308
    /// negative TTLs) and its cache: the query is the one the bytes claim to answer, so that the
    /// fuzzer passes the checks; an answer read must stay on its chain and within the chain's
    /// length, and the cache within its entries and bytes.
    static let dnsAnswer = FuzzTarget("dns-answer", "DNSStubQuery.check, DNSAnswer and DNSResolverCache on a response") { bytes in
        let server = Endpoint(.v4(IPv4Address(192, 0, 2, 53)), port: 53)
        let claimed = try? DNSMessage.decode(bytes)
        let question = claimed?.questions.first ?? DNSQuestion(name: try! DNSName(parsing: "www.example.org"), type: .a)
        let query = DNSStubQuery(question: question, id: claimed?.id ?? 0, server: server)
        guard case let .answer(response) = query.check(bytes, from: server),
              let answer = try? DNSAnswer(question: question, response: response) else { return }
        require(answer.aliases.count <= DNSAnswer.maximumChainLength, "a chain longer than its bound")
        require(answer.records.allSatisfy { $0.name == answer.canonicalName }, "a record off the end of the chain")
        require(answer.ttl <= 0x7fff_ffff, "a TTL with its top bit set")
        var limits = DNSResolverCache.Limits()
        limits.entries = 4
        limits.bytes = 2048
        var cache = DNSResolverCache(limits: limits)
        for step in 0..<6 {
            var copy = answer
            copy.question.name = (try? DNSName(parsing: "n\(step).example")) ?? answer.question.name
            cache.insert(copy, now: Instant(nanoseconds: UInt64(step) * 1_000_000_000))
            require(cache.count <= limits.entries && cache.bytes <= limits.bytes, "the cache past its bounds")
        }
        if let kept = cache.answer(to: DNSQuestion(name: (try? DNSName(parsing: "n5.example"))!, type: question.type, recordClass: question.recordClass),
                                   now: Instant(nanoseconds: 5_000_000_000)) {
            require(kept.ttl <= limits.maximumTTL, "a kept answer outliving the cache's longest TTL")
        }
    }
}

/// The zone the query target asks: a delegation with glue, a wildcard, empty non-terminals, a
/// CNAME chain, data long enough to truncate.
private let fuzzAuthority: DNSAuthority = {
    let text = """
        $ORIGIN example.org.
        @ 3600 IN SOA ns1 hostmaster 1 7200 3600 1209600 300
        @ NS ns1
        @ NS ns.example.net.
        @ MX 10 mail
        ns1 A 192.0.2.53
        ns1 AAAA 2001:db8::53
        mail A 192.0.2.25
        www A 192.0.2.80
        www A 192.0.2.81
        alias CNAME www
        chain CNAME alias
        *.wild A 192.0.2.99
        *.wild TXT "wildcard"
        a.b.deep A 192.0.2.7
        sub NS ns1.sub
        sub NS ns.elsewhere.net.
        ns1.sub A 192.0.2.100
        big TXT "\(String(repeating: "x", count: 250))" "\(String(repeating: "y", count: 250))"
        """
    return DNSAuthority(zones: [try! DNSZone(parsing: text)])
}()
