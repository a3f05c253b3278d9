import MirageCore
import MirageDNS
import Testing

@Suite("Zone transfers (RFC 5936, RFC 1995)")
struct DNSZoneTransferTests {
    /// The decoded messages answering an AXFR or IXFR for `zone` over `transport`.
    func transfer(
        _ type: DNSRecordType = .axfr, zone: String = "example.org", transport: DNSTransport = .tcp,
        allowed: Bool = true, authority: DNSAuthority = exampleAuthority
    ) throws -> [DNSMessage] {
        try authority.responses(to: query(zone, type, id: 77).encoded(), transport: transport, allowingZoneTransfer: allowed)
            .map { bytes throws(DNSWireError) in try DNSMessage.decode(bytes) }
    }

    @Test("AXFR over TCP: every record between two copies of the SOA, AA, the id and first question kept")
    func axfr() throws {
        let messages = try transfer()
        try #require(!messages.isEmpty)
        let records = messages.flatMap(\.answers)
        #expect(records.first?.type == .soa && records.last?.type == .soa)
        #expect(records.filter { $0.type == .soa }.count == 2)
        #expect(Array(records.dropLast()) == exampleZone().records)
        #expect(messages.allSatisfy { $0.id == 77 && $0.isAuthoritative && $0.responseCode == .noError })
        #expect(messages[0].questions == [DNSQuestion(name: name("example.org"), type: .axfr)])
    }

    @Test("a large zone goes in several messages, each within the size")
    func axfrInPieces() throws {
        var authority = exampleAuthority
        authority.transferMessageSize = 300
        let bytes = authority.responses(to: query("example.org", .axfr).encoded(), transport: .tcp, allowingZoneTransfer: true)
        #expect(bytes.count > 3 && bytes.allSatisfy { $0.count <= 300 })
        let records = try bytes.flatMap { bytes throws(DNSWireError) in try DNSMessage.decode(bytes).answers }
        #expect(Array(records.dropLast()) == exampleZone().records && records.last?.type == .soa)
        #expect(try DNSMessage.decode(bytes[1]).questions.isEmpty)
    }

    @Test("refused over UDP and for clients not allowed; NOTAUTH below an apex or outside our zones")
    func refusals() throws {
        #expect(try transfer(transport: .udp).map(\.responseCode) == [.refused])
        #expect(try transfer(allowed: false).map(\.responseCode) == [.refused])
        #expect(try transfer(zone: "www.example.org").map(\.responseCode) == [.notAuthoritative])
        #expect(try transfer(zone: "example.com").map(\.responseCode) == [.notAuthoritative])
        // respond(to:) is the one-message form and never transfers.
        let single = try DNSMessage.decode(exampleAuthority.respond(to: query("example.org", .axfr).encoded(), transport: .tcp)!)
        #expect(single.responseCode == .refused)
    }

    @Test("IXFR: the SOA alone over UDP, the whole zone over TCP (RFC 1995 sections 2 and 4)")
    func ixfr() throws {
        let udp = try transfer(.ixfr, transport: .udp)
        #expect(udp.count == 1 && udp[0].answers.map(\.type) == [.soa] && udp[0].isAuthoritative)
        let tcp = try transfer(.ixfr).flatMap(\.answers)
        #expect(tcp.count == exampleZone().records.count + 1)
    }
}
