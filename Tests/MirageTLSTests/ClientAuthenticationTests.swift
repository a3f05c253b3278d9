import MirageCore
import MirageCrypto
@testable import MirageTLS
import MirageTesting
import Testing

/// Client authentication in TLS 1.3 (RFC 8446 section 4.3.2, 4.4.2.4), the engine against
/// itself: the server asks, the client answers with its chain and CertificateVerify, the server
/// checks both; a client without a certificate gets certificate_required when one is required; a
/// chain the server's verifier refuses, or a signature that does not verify, ends the handshake
/// with its alert; a resumed session keeps the client's identity, and a server requiring
/// certificates does not resume a session that had none. (TLS 1.2 client authentication is
/// proven against OpenSSL's client, as our client speaks TLS 1.3 only.)
@Suite("TLS client authentication")
struct ClientAuthenticationTests {
    static func server(required: Bool = true, verifier: any TLSCertificateVerifier = TLSUncheckedCertificates(),
                       tickets: TLSSessionTickets? = nil) -> TLSServerConfiguration {
        var configuration = TLSServerConfiguration(chains: [TestKeys.chain(TestKeys.p256)])
        configuration.clientAuthentication = TLSClientAuthentication(verifier: verifier, isRequired: required)
        configuration.sessionTickets = tickets
        return configuration
    }

    static func client(_ key: PrivateKey?) -> TLSClientConfiguration {
        var configuration = clientConfiguration()
        configuration.certificate = key.map { TestKeys.chain($0, names: ["client.example"]) }
        return configuration
    }

    @Test("each key kind authenticates the client, records split at every byte or whole",
          arguments: [("P-256", TestKeys.p256), ("P-384", TestKeys.p384), ("RSA", TestKeys.rsa)])
    func authenticates(kind: String, key: PrivateKey) throws {
        for piece in [nil, 1] as [Int?] {
            var pair = TLSPair(client: Self.client(key), server: Self.server())
            pair.handshake(piece: piece)
            #expect(pair.errors.isEmpty, "\(kind): \(pair.errors)")
            #expect(pair.client.isConnected && pair.server.isConnected)
            #expect(pair.server.peerCertificates == [try testCertificate(for: key, name: "client.example")], "\(kind)")
            pair.toServer += pair.client.send(Array("secret?".utf8))
            pair.toClient += pair.server.send([1, 2, 3])
            pair.pump(piece: piece)
            #expect(pair.serverReceived == Array("secret?".utf8) && pair.clientReceived == [1, 2, 3])
        }
    }

    @Test("no certificate: certificate_required when one is required, else connected with none")
    func noCertificate() {
        var refused = TLSPair(client: Self.client(nil), server: Self.server())
        refused.handshake()
        #expect(refused.serverOutputs.compactMap(\.error).map(\.alert) == [.certificateRequired])
        #expect(refused.clientOutputs.compactMap(\.peerAlert) == [.certificateRequired])
        #expect(!refused.server.isConnected)

        var optional = TLSPair(client: Self.client(nil), server: Self.server(required: false))
        optional.handshake()
        #expect(optional.errors.isEmpty && optional.server.isConnected)
        #expect(optional.server.peerCertificates.isEmpty)
    }

    @Test("a client whose key signs with no scheme the server accepts answers with an empty Certificate")
    func noSchemeInCommon() throws {
        // A CertificateRequest accepting RSA-PSS only, to a client with a P-256 key.
        var connection = TLSConnection(client: Self.client(TestKeys.p256), random: SeededEntropy(seed: 5))
        connection.transcript = TLSTranscript(.sha256)
        try connection.queueClientCertificate(context: [], acceptedSchemes: [.rsaPSSRSAESHA256])
        var framer = TLSHandshakeFramer()
        try framer.append(connection.pendingHandshake)
        let message = try #require(try framer.next())
        #expect(try TLSCertificateMessage(message, version: .tls13).entries.isEmpty)
        #expect(try framer.next() == nil, "no CertificateVerify follows an empty Certificate")
    }

    @Test("a chain the verifier refuses ends the handshake with the verifier's alert")
    func refusedChain() {
        final class Refuse: TLSCertificateVerifier {
            var purposes: [TLSCertificatePurpose] = []
            func verify(chain: [[UInt8]], for purpose: TLSCertificatePurpose, now: WallTime) throws(TLSError) -> PublicKey {
                purposes.append(purpose)
                throw TLSError(.unknownCA, "not ours")
            }
        }
        let verifier = Refuse()
        var pair = TLSPair(client: Self.client(TestKeys.p256), server: Self.server(verifier: verifier))
        pair.handshake()
        #expect(pair.serverOutputs.compactMap(\.error).map(\.alert) == [.unknownCA])
        #expect(pair.clientOutputs.compactMap(\.peerAlert) == [.unknownCA])
        #expect(verifier.purposes == [.client])
    }

    @Test("a CertificateVerify that does not verify under the chain's key: decrypt_error")
    func badSignature() {
        // The server's verifier hands back the P-384 key while the client signs with P-256.
        final class WrongKey: TLSCertificateVerifier {
            func verify(chain: [[UInt8]], for purpose: TLSCertificatePurpose, now: WallTime) throws(TLSError) -> PublicKey {
                (try? TestKeys.p384.publicKey()) ?? .x25519([])
            }
        }
        var pair = TLSPair(client: Self.client(TestKeys.p256), server: Self.server(verifier: WrongKey()))
        pair.handshake()
        #expect(pair.serverOutputs.compactMap(\.error).map(\.alert) == [.decryptError])
    }

    @Test("a Finished in place of the client's Certificate is unexpected_message")
    func finishedInsteadOfCertificate() {
        var server = TLSConnection(server: Self.server(), random: SeededEntropy(seed: 9))
        server.phase = .waitClientCertificate
        var output = TLSOutput()
        #expect(throws: TLSError.self) { try server.serverHandle(TLSFinished(verifyData: [0]).message, into: &output) }
        do {
            try server.serverHandle(TLSFinished(verifyData: [0]).message, into: &output)
        } catch {
            #expect(error.alert == .unexpectedMessage)
        }
    }

    @Test("resumption keeps the client's certificate; a requiring server does not resume a session without one")
    func resumption() throws {
        let tickets = TLSSessionTickets(random: SeededEntropy(seed: 31), lifetime: 3600)
        var first = TLSPair(client: Self.client(TestKeys.p256), server: Self.server(tickets: tickets))
        first.handshake()
        #expect(first.errors.isEmpty)
        var resuming = Self.client(nil)
        let ticket = try #require(first.clientOutputs.flatMap(\.sessionTickets).first)
        resuming.resumption = ticket
        var second = TLSPair(client: resuming, server: Self.server(tickets: tickets), seed: 43)
        second.handshake()
        #expect(second.errors.isEmpty && second.server.isResumed)
        #expect(second.server.peerCertificates == [try testCertificate(for: TestKeys.p256, name: "client.example")])

        // A session without a certificate (the server did not require one) does not resume
        // where one is required: a full handshake asks again, and a client with none is refused.
        var anonymous = TLSPair(client: Self.client(nil), server: Self.server(required: false, tickets: tickets))
        anonymous.handshake()
        var again = Self.client(nil)
        let anonymousTicket = try #require(anonymous.clientOutputs.flatMap(\.sessionTickets).first)
        again.resumption = anonymousTicket
        var third = TLSPair(client: again, server: Self.server(tickets: tickets), seed: 44)
        third.handshake()
        #expect(!third.server.isResumed)
        #expect(third.serverOutputs.compactMap(\.error).map(\.alert) == [.certificateRequired])
    }

    @Test("CertificateRequest reads back as written, in both versions; one without signature_algorithms is refused")
    func certificateRequestWire() throws {
        let request = TLSCertificateRequest(context: [1, 2], signatureSchemes: [.ecdsaSecp256r1SHA256])
        #expect(try TLSCertificateRequest(request.message) == request)
        #expect(try TLSCertificateRequest(request.message).signatureSchemes() == [.ecdsaSecp256r1SHA256])
        #expect(throws: TLSError(.missingExtension, "a CertificateRequest without signature_algorithms")) {
            try TLSCertificateRequest(TLSHandshakeMessage(type: .certificateRequest, body: [0, 0, 4, 0, 0, 0, 0]))
        }
        let request12 = TLSCertificateRequest12(signatureSchemes: [.rsaPKCS1SHA256, .ecdsaSecp384r1SHA384], authorities: [[0x30, 0]])
        #expect(try TLSCertificateRequest12(request12.message) == request12)
        for cut in 0..<request12.message.body.count {
            #expect(throws: TLSError.self) { try TLSCertificateRequest12(TLSHandshakeMessage(type: .certificateRequest, body: Array(request12.message.body[..<cut]))) }
        }
    }
}
