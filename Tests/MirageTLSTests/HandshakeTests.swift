import MirageCore
import MirageCrypto
import MirageTLS
import MirageTesting
import Testing

/// The TLS 1.3 engine against itself in memory (RFC 8446): every suite × group × signature
/// scheme, HelloRetryRequest, records cut at every byte, KeyUpdate both ways, close_notify, and
/// the alerts that end a handshake that cannot complete.
@Suite("TLS 1.3 handshakes in memory")
struct HandshakeTests {
    static let keys: [(String, PrivateKey)] = [("p256", TestKeys.p256), ("p384", TestKeys.p384), ("rsa", TestKeys.rsa)]

    @Test("every suite × group × key completes, and data flows both ways",
          arguments: TLSCipherSuite.tls13Suites, TLSNamedGroup.supported)
    func matrix(suite: TLSCipherSuite, group: TLSNamedGroup) throws {
        for (name, key) in Self.keys {
            var client = clientConfiguration()
            client.cipherSuites = [suite]
            client.keyShareGroups = [group]
            var server = TLSServerConfiguration(chains: [TestKeys.chain(key)])
            server.groups = [group]
            var pair = TLSPair(client: client, server: server)
            pair.handshake()
            #expect(pair.errors.isEmpty, "\(name): \(pair.errors)")
            #expect(pair.client.isConnected && pair.server.isConnected, "\(name)")
            #expect(pair.client.cipherSuite == suite && pair.server.cipherSuite == suite)
            pair.toServer += pair.client.send(Array("ping".utf8))
            pair.toClient += pair.server.send([UInt8](repeating: 0x61, count: 40_000))
            pair.pump()
            #expect(pair.serverReceived == Array("ping".utf8))
            #expect(pair.clientReceived.count == 40_000)
        }
    }

    @Test("a client without a share for the server's groups gets a HelloRetryRequest and completes")
    func helloRetryRequest() throws {
        var client = clientConfiguration()
        client.keyShareGroups = [.x25519]
        var server = TLSServerConfiguration(chains: [TestKeys.chain(TestKeys.p256)])
        server.groups = [.secp384r1]
        var pair = TLSPair(client: client, server: server)
        pair.handshake()
        #expect(pair.errors.isEmpty, "\(pair.errors)")
        #expect(pair.client.isConnected && pair.server.isConnected)
        // The second ClientHello: the first server flight was the HRR and its ChangeCipherSpec.
        #expect(pair.serverOutputs.first?.records.prefix(1) == [22])
    }

    @Test("records cut into pieces of every size from 1 to 40 bytes still complete the handshake")
    func splitAtEveryByte() throws {
        for piece in 1...40 {
            var pair = TLSPair(client: clientConfiguration(), server: TLSServerConfiguration(chains: [TestKeys.chain(TestKeys.p256)]))
            pair.handshake(piece: piece)
            #expect(pair.errors.isEmpty && pair.client.isConnected && pair.server.isConnected, "pieces of \(piece)")
        }
    }

    @Test("KeyUpdate both ways, with and without asking the peer; data keeps flowing")
    func keyUpdate() throws {
        var pair = TLSPair(client: clientConfiguration(), server: TLSServerConfiguration(chains: [TestKeys.chain(TestKeys.p256)]))
        pair.handshake()
        pair.toServer += pair.client.updateKeys(requestingPeerUpdate: true)
        pair.toServer += pair.client.send([1])
        pair.pump()
        pair.toClient += pair.server.send([2])
        pair.toClient += pair.server.updateKeys(requestingPeerUpdate: false)
        pair.toClient += pair.server.send([3])
        pair.pump()
        #expect(pair.errors.isEmpty, "\(pair.errors)")
        #expect(pair.serverReceived == [1] && pair.clientReceived == [2, 3])
    }

    @Test("more KeyUpdates in a row than the limit end the connection with unexpected_message")
    func keyUpdateFlood() throws {
        var pair = TLSPair(client: clientConfiguration(), server: TLSServerConfiguration(chains: [TestKeys.chain(TestKeys.p256)]))
        pair.handshake()
        for _ in 0...TLSLimits().maximumKeyUpdatesInARow { pair.toServer += pair.client.updateKeys(requestingPeerUpdate: false) }
        pair.pump()
        #expect(pair.errors.first?.alert == .unexpectedMessage)
        #expect(pair.server.isClosed)
    }

    @Test("close_notify each way")
    func close() throws {
        var pair = TLSPair(client: clientConfiguration(), server: TLSServerConfiguration(chains: [TestKeys.chain(TestKeys.p256)]))
        pair.handshake()
        pair.toServer += pair.client.close()
        pair.pump()
        #expect(pair.serverOutputs.last?.peerClosed == true)
        pair.toClient += pair.server.close()
        pair.pump()
        #expect(pair.clientOutputs.last?.peerClosed == true)
        #expect(pair.client.isClosed && pair.server.isClosed)
    }

    @Test("SNI chooses the chain; ALPN agrees on the server's first choice the client offers")
    func nameAndProtocol() throws {
        var client = clientConfiguration(name: "www.two.example")
        client.applicationProtocols = [Array("http/1.1".utf8), Array("h2".utf8)]
        var server = TLSServerConfiguration(chains: [TestKeys.chain(TestKeys.p256, names: ["one.example"]),
                                                     TestKeys.chain(TestKeys.p384, names: ["*.two.example"])])
        server.applicationProtocols = [Array("h2".utf8), Array("http/1.1".utf8)]
        var pair = TLSPair(client: client, server: server)
        pair.handshake()
        #expect(pair.errors.isEmpty, "\(pair.errors)")
        #expect(pair.client.applicationProtocol == Array("h2".utf8) && pair.server.applicationProtocol == Array("h2".utf8))
        #expect(pair.server.serverName == "www.two.example")
        #expect(try X509PublicKey.of(certificate: pair.client.peerCertificates[0]) == (try TestKeys.p384.publicKey()))
    }

    @Test("no suite, group, protocol or signature scheme in common: the handshake ends with the RFC's alert on both sides")
    func nothingInCommon() throws {
        var noSuite = clientConfiguration()
        noSuite.cipherSuites = [.chacha20Poly1305SHA256]
        var suiteServer = TLSServerConfiguration(chains: [TestKeys.chain(TestKeys.p256)])
        suiteServer.cipherSuites = [.aes128GCMSHA256]
        var pair = TLSPair(client: noSuite, server: suiteServer)
        pair.handshake()
        #expect(pair.errors.first?.alert == .handshakeFailure)
        #expect(pair.clientOutputs.first?.peerAlert == .handshakeFailure)

        var noGroup = clientConfiguration()
        noGroup.groups = [.x25519]
        var groupServer = TLSServerConfiguration(chains: [TestKeys.chain(TestKeys.p256)])
        groupServer.groups = [.secp384r1]
        pair = TLSPair(client: noGroup, server: groupServer)
        pair.handshake()
        #expect(pair.errors.first?.alert == .handshakeFailure)

        var noProtocol = clientConfiguration()
        noProtocol.applicationProtocols = [Array("spdy/3".utf8)]
        var protocolServer = TLSServerConfiguration(chains: [TestKeys.chain(TestKeys.p256)])
        protocolServer.applicationProtocols = [Array("h2".utf8)]
        pair = TLSPair(client: noProtocol, server: protocolServer)
        pair.handshake()
        #expect(pair.errors.first?.alert == .noApplicationProtocol)

        var noScheme = clientConfiguration()
        noScheme.signatureSchemes = [.ecdsaSecp384r1SHA384]
        pair = TLSPair(client: noScheme, server: TLSServerConfiguration(chains: [TestKeys.chain(TestKeys.p256)]))
        pair.handshake()
        #expect(pair.errors.first?.alert == .handshakeFailure)
    }

    @Test("a flipped bit in any server record after the ServerHello fails the client with bad_record_mac or decrypt_error")
    func tampering() throws {
        var reference = TLSPair(client: clientConfiguration(), server: TLSServerConfiguration(chains: [TestKeys.chain(TestKeys.p256)]))
        let hello = reference.client.start().records
        let flight = reference.server.receive(hello, now: reference.now).records
        var failures = 0
        for index in stride(from: 0, to: flight.count, by: 7) {
            var pair = TLSPair(client: clientConfiguration(), server: TLSServerConfiguration(chains: [TestKeys.chain(TestKeys.p256)]))
            _ = pair.client.start()
            var tampered = flight
            tampered[index] ^= 0x01
            let output = pair.client.receive(tampered, now: pair.now)
            if output.error != nil { failures += 1 }
            #expect(!pair.client.isConnected, "a flip at byte \(index) went unnoticed")
        }
        #expect(failures > 0)
    }

    @Test("a forged CertificateVerify (another key's chain) fails with decrypt_error")
    func wrongKey() throws {
        // The client's verifier hands back the P-384 key while the server signs with P-256.
        final class WrongKey: TLSCertificateVerifier {
            func verify(chain: [[UInt8]], for purpose: TLSCertificatePurpose, now: WallTime) throws(TLSError) -> PublicKey {
                (try? TestKeys.p384.publicKey()) ?? .x25519([])
            }
        }
        var client = TLSClientConfiguration(serverName: "example.org", verifier: WrongKey())
        client.signatureSchemes = [.ecdsaSecp256r1SHA256]
        var pair = TLSPair(client: client, server: TLSServerConfiguration(chains: [TestKeys.chain(TestKeys.p256)]))
        pair.handshake()
        #expect(pair.errors.first?.alert == .decryptError)
    }
}
