import Foundation
import Glibc
import MirageCore
import MirageCrypto
import MirageTLS
import MirageTesting
import Testing

/// Our TLS 1.2 client (RFC 5246, RFC 8422, RFC 7627) against our TLS 1.2 server in memory: every
/// suite with the key kind it names, records split at every byte, client authentication; and
/// against servers no one here wrote: `openssl s_server -tls1_2` for every suite, its master
/// secret equal to ours.
@Suite("TLS 1.2 client")
struct TLS12ClientTests {
    static func server(_ key: PrivateKey, versions: [TLSProtocolVersion] = [.tls12]) -> TLSServerConfiguration {
        var configuration = TLSServerConfiguration(chains: [TestKeys.chain(key)])
        configuration.versions = versions
        return configuration
    }

    @Test("every TLS 1.2 suite with its key kind, whole and split at every byte; data flows both ways",
          arguments: TLSCipherSuite.tls12Suites)
    func suites(suite: TLSCipherSuite) throws {
        let key = suite.parameters?.authentication == .rsa ? TestKeys.rsa : TestKeys.p256
        for piece in [nil, 1] as [Int?] {
            var client = clientConfiguration()
            client.tls12CipherSuites = [suite]
            var pair = TLSPair(client: client, server: Self.server(key))
            pair.handshake(piece: piece)
            #expect(pair.errors.isEmpty, "\(pair.errors)")
            #expect(pair.client.isConnected && pair.server.isConnected)
            #expect(pair.client.version == .tls12 && pair.client.cipherSuite == suite)
            pair.toServer += pair.client.send(Array("ping".utf8))
            pair.toClient += pair.server.send(Array("pong".utf8))
            pair.pump(piece: piece)
            #expect(pair.serverReceived == Array("ping".utf8) && pair.clientReceived == Array("pong".utf8))
            // Full-size records both ways: 2^14 bytes of plaintext, nonce and tag beyond it.
            let large = (0..<40_000).map { UInt8(truncatingIfNeeded: $0 * 7) }
            pair.toServer += pair.client.send(large)
            pair.toClient += pair.server.send(large)
            pair.pump(piece: piece == nil ? nil : 1000)
            #expect(pair.errors.isEmpty, "\(pair.errors)")
            #expect(pair.serverReceived.suffix(large.count) == large[...] && pair.clientReceived.suffix(large.count) == large[...])
        }
    }

    @Test("every TLS 1.2 suite × group × the server's signature scheme (RSA-PSS and PKCS #1 v1.5 for RSA keys)",
          arguments: TLSCipherSuite.tls12Suites)
    func suitesGroupsSchemes(suite: TLSCipherSuite) {
        let rsa = suite.parameters?.authentication == .rsa
        let schemes: [[TLSSignatureScheme]] = rsa ? [TLSSignatureScheme.handshakeSchemes, [.rsaPSSRSAESHA384], [.ecdsaSecp256r1SHA256]] : [TLSSignatureScheme.handshakeSchemes]
        for group in TLSNamedGroup.supported {
            for offered in schemes {
                var client = clientConfiguration()
                client.tls12CipherSuites = [suite]
                client.groups = [group] + (group == .secp256r1 ? [] : [.secp256r1])  // an ECDSA P-256 certificate needs its curve offered
                client.keyShareGroups = [group]
                client.signatureSchemes = offered
                var server = Self.server(rsa ? TestKeys.rsa : TestKeys.p256)
                server.groups = [group]
                var pair = TLSPair(client: client, server: server)
                pair.handshake()
                #expect(pair.errors.isEmpty && pair.client.version == .tls12, "\(suite.rawValue) \(group.rawValue) \(offered.map(\.rawValue)): \(pair.errors)")
            }
        }
    }

    @Test("a server of both versions is answered in TLS 1.3; a TLS 1.2 server's groups and the client's shares need not meet")
    func versionChoice() {
        var both = TLSPair(client: clientConfiguration(), server: Self.server(TestKeys.p256, versions: [.tls13, .tls12]))
        both.handshake()
        #expect(both.errors.isEmpty && both.client.version == .tls13)
        var client = clientConfiguration()
        client.keyShareGroups = [.x25519]
        var server = Self.server(TestKeys.p256)
        server.groups = [.secp384r1]
        var pair = TLSPair(client: client, server: server)
        pair.handshake()
        #expect(pair.errors.isEmpty && pair.client.version == .tls12)
    }

    @Test("client authentication in TLS 1.2: P-256 and RSA client certificates; none where one is required is handshake_failure")
    func clientAuthentication() {
        for key in [TestKeys.p256, TestKeys.rsa] {
            var server = Self.server(TestKeys.p256)
            server.clientAuthentication = TLSClientAuthentication(verifier: TLSUncheckedCertificates())
            var client = clientConfiguration()
            client.certificate = TestKeys.chain(key, names: ["client.example"])
            var pair = TLSPair(client: client, server: server)
            pair.handshake()
            #expect(pair.errors.isEmpty, "\(pair.errors)")
            #expect(pair.server.isConnected && pair.server.peerCertificates.count == 1)
        }
        var server = Self.server(TestKeys.p256)
        server.clientAuthentication = TLSClientAuthentication(verifier: TLSUncheckedCertificates())
        var pair = TLSPair(client: clientConfiguration(), server: server)
        pair.handshake()
        #expect(pair.serverOutputs.compactMap(\.error).map(\.alert) == [.handshakeFailure])
    }

    @Test("against openssl s_server -tls1_2: every suite, ECDSA and RSA certificates, the master secret equal to its key log")
    func openSSL() throws {
        let workspace = try OpenSSLInteropTests.Workspace()
        let suites: [(String, String)] = [
            ("ECDHE-ECDSA-AES128-GCM-SHA256", "ec"), ("ECDHE-ECDSA-AES256-GCM-SHA384", "ec"), ("ECDHE-ECDSA-CHACHA20-POLY1305", "ec"),
            ("ECDHE-RSA-AES128-GCM-SHA256", "rsa"), ("ECDHE-RSA-AES256-GCM-SHA384", "rsa"), ("ECDHE-RSA-CHACHA20-POLY1305", "rsa"),
        ]
        for (suite, certificate) in suites {
            var configuration = TLSClientConfiguration(serverName: "example.org", verifier: TLSUncheckedCertificates())
            configuration.logsKeys = true
            let socketPath = "/tmp/mtls\(getpid())t.sock", keyLog = workspace.path + "/server12.keys"
            let result = try OpenSSLInteropTests.talk(
                workspace, configuration: configuration, socketPath: socketPath, keyLog: keyLog, request: Array("GET / HTTP/1.0\r\n\r\n".utf8),
                peer: "/usr/bin/openssl",
                arguments: ["s_server", "-unix", socketPath, "-cert", "\(workspace.path)/\(certificate).crt", "-key", "\(workspace.path)/\(certificate).key",
                            "-tls1_2", "-cipher", suite, "-www", "-naccept", "1", "-keylogfile", keyLog, "-quiet"])
            #expect(result.response.hasPrefix("HTTP/1.0 200 ok"), "\(suite): \(result.response.prefix(200))")
            #expect(result.response.contains("Protocol  : TLSv1.2") && result.response.contains(suite), "\(suite): \(result.response.prefix(1500))")
            #expect(result.ourKeys.count == 1 && Set(result.ourKeys).isSubset(of: result.theirKeys), "\(suite): the master secrets differ")
        }
        print("TLS interop: our TLS 1.2 client completed \(suites.count) handshakes with openssl s_server -tls1_2, master secrets equal")
    }
}
