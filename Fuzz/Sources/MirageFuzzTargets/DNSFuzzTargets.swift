import MirageCore
import MirageDNS

extension FuzzTargets {
    /// DNS messages (RFC 1035 section 4, name compression, EDNS of RFC 6891): a message that
    /// decodes is encoded again and must decode to the same message.
    static let dnsMessage = FuzzTarget("dns-message", "DNSMessage.decode, encoded again") { bytes in
        guard let message = try? DNSMessage.decode(bytes, allowingTrailingBytes: bytes.first.map { $0 & 1 == 1 } ?? false) else { return }
        let again = try? DNSMessage.decode(message.encoded())
        require(again == message, "a message changes when encoded and decoded again")
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
