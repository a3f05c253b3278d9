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
