import MirageCore
import MirageCrypto
import MirageTLS
import MirageTesting
import Testing

/// Session tickets and PSK resumption with (EC)DHE (RFC 8446 sections 2.2, 4.2.11, 4.6.1), the
/// engine against itself: a ticket from a full handshake resumes without a certificate, also
/// through a HelloRetryRequest; a forged, expired or foreign ticket gets a full handshake; a
/// binder that does not verify ends the handshake with decrypt_error.
@Suite("TLS 1.3 session resumption")
struct ResumptionTests {
    /// A new instance at each use, every one with the same key, as in Resumption12Tests: the
    /// sealer's AES-GCM context is not to be shared by cases running in parallel.
    static var tickets: TLSSessionTickets { TLSSessionTickets(random: SeededEntropy(seed: 77), lifetime: 3600, count: 2) }

    static func serverConfiguration(groups: [TLSNamedGroup] = TLSNamedGroup.supported) -> TLSServerConfiguration {
        var configuration = TLSServerConfiguration(chains: [TestKeys.chain(TestKeys.p256)])
        configuration.sessionTickets = tickets
        configuration.groups = groups
        return configuration
    }

    /// A full handshake's tickets.
    static func tickets(suite: TLSCipherSuite = .aes128GCMSHA256) -> [TLSSessionTicket] {
        var client = clientConfiguration()
        client.cipherSuites = [suite]
        var pair = TLSPair(client: client, server: serverConfiguration())
        pair.handshake()
        #expect(!pair.client.isResumed && pair.client.isConnected)
        return pair.clientOutputs.flatMap(\.sessionTickets)
    }

    @Test("a ticket resumes: no certificate, both sides resumed, data flows; each suite's hash", arguments: TLSCipherSuite.tls13Suites)
    func resume(suite: TLSCipherSuite) throws {
        let tickets = Self.tickets(suite: suite)
        #expect(tickets.count == 2)
        var client = clientConfiguration()
        let ticket = try #require(tickets.first)
        client.resumption = ticket
        var pair = TLSPair(client: client, server: Self.serverConfiguration(), seed: 99)
        pair.handshake()
        #expect(pair.errors.isEmpty, "\(pair.errors)")
        #expect(pair.client.isResumed && pair.server.isResumed)
        #expect(pair.client.peerCertificates.isEmpty, "a resumed handshake sends no certificate")
        pair.toServer += pair.client.send([7])
        pair.pump()
        #expect(pair.serverReceived == [7])
        // The resumed connection gives new tickets, and they resume too.
        var again = clientConfiguration()
        let offered = try #require(pair.clientOutputs.flatMap(\.sessionTickets).first)
        again.resumption = offered
        var third = TLSPair(client: again, server: Self.serverConfiguration(), seed: 100)
        third.handshake()
        #expect(third.client.isResumed && third.server.isResumed)
    }

    @Test("resumption through a HelloRetryRequest: the binder is recomputed over the new transcript")
    func resumeAfterRetry() throws {
        var client = clientConfiguration()
        let offered = try #require(Self.tickets().first)
        client.resumption = offered
        client.keyShareGroups = [.x25519]
        var pair = TLSPair(client: client, server: Self.serverConfiguration(groups: [.secp384r1]), seed: 101)
        pair.handshake()
        #expect(pair.errors.isEmpty, "\(pair.errors)")
        #expect(pair.client.isResumed && pair.server.isResumed)
    }

    @Test("a forged ticket, one for another server name, or an expired one: a full handshake instead")
    func fullHandshakeInstead() throws {
        let ticket = try #require(Self.tickets().first)
        var forged = ticket.ticket
        forged[20] ^= 0x01
        let cases: [(String, TLSSessionTicket, String?, Int64)] = [
            ("forged", TLSSessionTicket(ticket: forged, preSharedKey: ticket.preSharedKey, cipherSuite: ticket.cipherSuite, ageAdd: ticket.ageAdd,
                                        lifetime: ticket.lifetime, received: ticket.received, serverName: ticket.serverName), "example.org", 0),
            ("another name", ticket, "other.example", 0),
            ("expired at the server", TLSSessionTicket(ticket: ticket.ticket, preSharedKey: ticket.preSharedKey, cipherSuite: ticket.cipherSuite,
                                                       ageAdd: ticket.ageAdd, lifetime: 100_000, received: ticket.received.advanced(seconds: 5000),
                                                       serverName: ticket.serverName), "example.org", 5000),
        ]
        for (name, offered, serverName, later) in cases {
            var client = clientConfiguration(name: serverName)
            client.resumption = offered
            var pair = TLSPair(client: client, server: Self.serverConfiguration(), seed: 102)
            pair.nowOffset = later
            pair.handshake()
            #expect(pair.errors.isEmpty, "\(name): \(pair.errors)")
            #expect(pair.client.isConnected && !pair.client.isResumed && !pair.server.isResumed, "\(name)")
        }
    }

    @Test("a binder that does not verify (the wrong PSK for the ticket) ends the handshake with decrypt_error")
    func badBinder() throws {
        let ticket = try #require(Self.tickets().first)
        var client = clientConfiguration()
        client.resumption = TLSSessionTicket(ticket: ticket.ticket, preSharedKey: [UInt8](repeating: 1, count: 32), cipherSuite: ticket.cipherSuite,
                                             ageAdd: ticket.ageAdd, lifetime: ticket.lifetime, received: ticket.received,
                                             serverName: ticket.serverName)
        var pair = TLSPair(client: client, server: Self.serverConfiguration(), seed: 103)
        pair.handshake()
        #expect(pair.errors.first?.alert == .decryptError)
    }
}

extension WallTime {
    func advanced(seconds: Int64) -> WallTime { WallTime(seconds: self.seconds + seconds, nanoseconds: nanoseconds) }
}
