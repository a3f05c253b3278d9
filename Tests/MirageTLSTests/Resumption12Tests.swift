import MirageCore
import MirageCrypto
import MirageTLS
import MirageTesting
import Testing

/// TLS 1.2 session resumption with tickets (RFC 5077, RFC 5246 section 7.3's abbreviated
/// handshake), the engine against itself: every suite resumes, split at every byte; what does
/// not resume gets a full handshake; a ticket of one version never resumes the other; a client
/// holding the wrong secret for its ticket is stopped at the server's Finished.
@Suite("TLS 1.2 session resumption")
struct Resumption12Tests {
    /// A new instance at each use, every one with the same key (the seeded source's first bytes),
    /// so a ticket one seals another opens: the sealer is one BearSSL AES-GCM context, which the
    /// cases Swift Testing runs in parallel must not share (sharing it, a ticket now and then
    /// failed to open and the handshake was a full one).
    static var tickets: TLSSessionTickets { TLSSessionTickets(random: SeededEntropy(seed: 12), lifetime: 3600) }

    static func server(_ key: PrivateKey = TestKeys.p256, versions: [TLSProtocolVersion] = [.tls12]) -> TLSServerConfiguration {
        var configuration = TLSServerConfiguration(chains: [TestKeys.chain(key)])
        configuration.versions = versions
        configuration.sessionTickets = tickets
        return configuration
    }

    /// A full TLS 1.2 handshake with `suite` and the ticket it gave.
    static func ticket(suite: TLSCipherSuite = .ecdheECDSAWithAES128GCMSHA256, seed: UInt64 = 40) throws -> TLSSessionTicket {
        let key = suite.parameters?.authentication == .rsa ? TestKeys.rsa : TestKeys.p256
        var client = clientConfiguration()
        client.tls12CipherSuites = [suite]
        var pair = TLSPair(client: client, server: server(key), seed: seed)
        pair.handshake()
        #expect(pair.errors.isEmpty, "\(pair.errors)")
        #expect(pair.client.version == .tls12 && !pair.client.isResumed && !pair.server.isResumed)
        let tickets = pair.clientOutputs.flatMap(\.sessionTickets)
        #expect(tickets.count == 1)
        let ticket = try #require(tickets.first)
        #expect(ticket.cipherSuite == suite && ticket.lifetime == 3600 && ticket.preSharedKey.count == 48)
        return ticket
    }

    @Test("a ticket resumes with every suite: the abbreviated handshake, whole and split at every byte; data flows; the ticket serves again",
          arguments: TLSCipherSuite.tls12Suites)
    func resume(suite: TLSCipherSuite) throws {
        let key = suite.parameters?.authentication == .rsa ? TestKeys.rsa : TestKeys.p256
        let ticket = try Self.ticket(suite: suite)
        for piece in [nil, 1] as [Int?] {
            var client = clientConfiguration()
            client.resumption = ticket
            client.logsKeys = true
            var server = Self.server(key)
            server.logsKeys = true
            var pair = TLSPair(client: client, server: server, seed: 41)
            pair.handshake(piece: piece)
            #expect(pair.errors.isEmpty, "\(pair.errors)")
            #expect(pair.client.isResumed && pair.server.isResumed && pair.client.version == .tls12 && pair.client.cipherSuite == suite)
            #expect(pair.client.peerCertificates.isEmpty, "a resumed handshake sends no certificate")
            #expect(pair.clientOutputs.flatMap(\.sessionTickets).isEmpty, "no new ticket on resumption")
            // Both sides derived the keys from the ticket's master secret.
            #expect(pair.client.keyLog == pair.server.keyLog && pair.client.keyLog.first?.hasSuffix(ASCIIDigit.lowercaseHex(ticket.preSharedKey)) == true)
            pair.toServer += pair.client.send(Array("ping".utf8))
            pair.toClient += pair.server.send(Array("pong".utf8))
            pair.pump(piece: piece)
            #expect(pair.serverReceived == Array("ping".utf8) && pair.clientReceived == Array("pong".utf8))
        }
    }

    @Test("a TLS 1.2 ticket resumes with a server of both versions and a client of both versions")
    func resumeWithBothVersions() throws {
        let ticket = try Self.ticket()
        var client = clientConfiguration()
        client.resumption = ticket
        var pair = TLSPair(client: client, server: Self.server(versions: [.tls13, .tls12]), seed: 42)
        pair.handshake()
        // A server of both versions answers TLS 1.3, where a TLS 1.2 ticket does not resume.
        #expect(pair.errors.isEmpty && pair.client.version == .tls13 && !pair.client.isResumed, "\(pair.errors)")
    }

    @Test("a forged ticket, another server name, an expired ticket, a suite no longer offered, a server without tickets: a full handshake")
    func fullHandshakeInstead() throws {
        let ticket = try Self.ticket()
        var forged = ticket.ticket
        forged[20] ^= 0x01
        func offering(_ ticket: TLSSessionTicket, name: String? = "example.org", suites: [TLSCipherSuite] = TLSCipherSuite.tls12Suites,
                      later: Int64 = 0, tickets: Bool = true) -> TLSPair {
            var client = clientConfiguration(name: name)
            client.resumption = ticket
            client.tls12CipherSuites = suites
            var server = Self.server()
            if !tickets { server.sessionTickets = nil }
            var pair = TLSPair(client: client, server: server, seed: 43)
            pair.nowOffset = later
            pair.handshake()
            return pair
        }
        let cases: [(String, TLSPair)] = [
            ("forged", offering(ticket.with(ticket: forged))),
            ("another name", offering(ticket, name: "other.example")),
            ("expired at the server", offering(ticket.with(lifetime: 100_000), later: 3600)),
            ("suite not offered", offering(ticket, suites: [.ecdheECDSAWithAES256GCMSHA384])),
            ("server without tickets", offering(ticket, tickets: false)),
        ]
        for (name, pair) in cases {
            #expect(pair.errors.isEmpty, "\(name): \(pair.errors)")
            #expect(pair.client.isConnected && !pair.client.isResumed && !pair.server.isResumed, "\(name)")
            let renewed = pair.clientOutputs.flatMap(\.sessionTickets)
            #expect(renewed.count == (name == "server without tickets" ? 0 : 1), "\(name): a full handshake gives a new ticket when the server has them")
        }
    }

    @Test("a ticket of one version offered in the other's place does not resume: a full handshake, not a cross-version PSK")
    func versionsKeptApart() throws {
        // A TLS 1.2 ticket's master secret offered as a TLS 1.3 PSK with a TLS 1.3 suite of its hash.
        let ticket12 = try Self.ticket()
        var client = clientConfiguration()
        client.resumption = ticket12.with(cipherSuite: .aes128GCMSHA256)
        var pair = TLSPair(client: client, server: Self.server(versions: [.tls13, .tls12]), seed: 44)
        pair.handshake()
        #expect(pair.errors.isEmpty, "\(pair.errors)")
        #expect(pair.client.version == .tls13 && !pair.client.isResumed && !pair.server.isResumed)
        // A TLS 1.3 ticket offered in a TLS 1.2 session_ticket extension.
        var client13 = clientConfiguration()
        client13.versions = [.tls13]
        var full = TLSPair(client: client13, server: Self.server(versions: [.tls13, .tls12]), seed: 45)
        full.handshake()
        let ticket13 = try #require(full.clientOutputs.flatMap(\.sessionTickets).first)
        var client12 = clientConfiguration()
        client12.resumption = ticket13.with(cipherSuite: .ecdheECDSAWithAES128GCMSHA256)
        var second = TLSPair(client: client12, server: Self.server(versions: [.tls12]), seed: 46)
        second.handshake()
        #expect(second.errors.isEmpty, "\(second.errors)")
        #expect(second.client.version == .tls12 && !second.client.isResumed && !second.server.isResumed)
    }

    @Test("a client holding the wrong master secret for its ticket: the server's Finished does not open (bad_record_mac)")
    func wrongSecret() throws {
        let ticket = try Self.ticket()
        var client = clientConfiguration()
        client.resumption = ticket.with(preSharedKey: [UInt8](repeating: 7, count: 48))
        var pair = TLSPair(client: client, server: Self.server(), seed: 47)
        pair.handshake()
        #expect(pair.errors.first?.alert == .badRecordMAC, "\(pair.errors)")
        #expect(!pair.client.isConnected && !pair.server.isConnected)
    }

    @Test("client authentication: a session that presented a certificate resumes with it; a requiring server does not resume one without")
    func clientCertificates() throws {
        let ca = TestKeys.chain(TestKeys.p384)
        var requiring = Self.server()
        requiring.clientAuthentication = TLSClientAuthentication(verifier: TLSUncheckedCertificates(), isRequired: true)
        var client = clientConfiguration()
        client.versions = [.tls12]
        client.certificate = ca
        var full = TLSPair(client: client, server: requiring, seed: 48)
        full.handshake()
        #expect(full.errors.isEmpty, "\(full.errors)")
        let ticket = try #require(full.clientOutputs.flatMap(\.sessionTickets).first)
        client.resumption = ticket
        var resumed = TLSPair(client: client, server: requiring, seed: 49)
        resumed.handshake()
        #expect(resumed.errors.isEmpty && resumed.server.isResumed, "\(resumed.errors)")
        #expect(resumed.server.peerCertificates == [ca.certificates[0]], "the ticket carries the client's certificate")
        // A ticket from a session without a certificate, offered to a server that requires one.
        var anonymous = clientConfiguration()
        anonymous.resumption = try Self.ticket()
        var refused = TLSPair(client: anonymous, server: requiring, seed: 50)
        refused.handshake()
        #expect(!refused.server.isResumed)
        #expect(refused.errors.first?.alert == .handshakeFailure, "a full handshake, which then wants a certificate: \(refused.errors)")
    }
}

/// A hostile peer around RFC 5077: messages out of their place in the abbreviated and the full
/// handshake end the connection with unexpected_message.
@Suite("TLS 1.2 session resumption against a hostile peer")
struct Resumption12HostileTests {
    static let now = WallTime(seconds: 1_790_000_000)

    /// `flight`'s records, each whole.
    static func records(_ flight: [UInt8]) throws -> [TLSRecord] {
        var framer = TLSRecordFramer(maximumFragment: TLSRecord.maximumPlaintext + 2048)
        framer.append(flight)
        var records: [TLSRecord] = []
        while let record = try framer.next() { records.append(record) }
        return records
    }

    @Test("the client's Finished without its ChangeCipherSpec after a resumption: unexpected_message")
    func finishedWithoutChangeCipherSpec() throws {
        var client = clientConfiguration()
        client.resumption = try Resumption12Tests.ticket()
        var pair = TLSPair(client: client, server: Resumption12Tests.server(), seed: 60)
        let flight = pair.server.receive(pair.client.start(now: Self.now).records, now: Self.now).records
        let answer = try Self.records(pair.client.receive(flight, now: Self.now).records)
        #expect(answer.map(\.type) == [.changeCipherSpec, .handshake])
        // The protected Finished, its ChangeCipherSpec left out: it reads as a plaintext handshake message.
        #expect(pair.server.receive(answer[1].bytes, now: Self.now).error?.alert == .unexpectedMessage)
    }

    @Test("a NewSessionTicket the ServerHello did not announce, or none where it did: unexpected_message")
    func ticketOutOfPlace() throws {
        // A server without tickets, and one slipped in before its ChangeCipherSpec.
        var without = Resumption12Tests.server()
        without.sessionTickets = nil
        var pair = TLSPair(client: clientConfiguration(), server: without, seed: 61)
        var toServer = pair.client.start(now: Self.now).records
        var toClient = pair.server.receive(toServer, now: Self.now).records
        toServer = pair.client.receive(toClient, now: Self.now).records
        toClient = pair.server.receive(toServer, now: Self.now).records
        #expect(try Self.records(toClient).map(\.type) == [.changeCipherSpec, .handshake])
        let slipped = TLSRecord(type: .handshake, fragment: TLS12NewSessionTicket(lifetimeHint: 60, ticket: [1, 2, 3]).message.bytes).bytes
        #expect(pair.client.receive(slipped + toClient, now: Self.now).error?.alert == .unexpectedMessage)

        // A server with tickets whose NewSessionTicket is lost on the way.
        var second = TLSPair(client: clientConfiguration(), server: Resumption12Tests.server(), seed: 62)
        toServer = second.client.start(now: Self.now).records
        toClient = second.server.receive(toServer, now: Self.now).records
        toServer = second.client.receive(toClient, now: Self.now).records
        let last = try Self.records(second.server.receive(toServer, now: Self.now).records)
        #expect(last.map(\.type) == [.handshake, .changeCipherSpec, .handshake])
        #expect(second.client.receive(last[1].bytes + last[2].bytes, now: Self.now).error?.alert == .unexpectedMessage)
    }
}

extension TLSSessionTicket {
    func with(ticket: [UInt8]? = nil, preSharedKey: [UInt8]? = nil, cipherSuite: TLSCipherSuite? = nil, lifetime: UInt32? = nil) -> TLSSessionTicket {
        TLSSessionTicket(ticket: ticket ?? self.ticket, preSharedKey: preSharedKey ?? self.preSharedKey, cipherSuite: cipherSuite ?? self.cipherSuite,
                         ageAdd: ageAdd, lifetime: lifetime ?? self.lifetime, received: received, serverName: serverName)
    }
}
