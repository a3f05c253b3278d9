import Foundation
import MirageCore
import MirageCrypto
import MirageKV
@testable import MirageTLS
import Testing

/// A server's credentials from its key-value store: `server.pem` and `server.key`, and a
/// `client-ca.pem` that makes it require client certificates from those CAs (never taken for a
/// chain of its own); a store without it is an error where client certificates are required.
@Suite("TLS credentials from a key-value store")
struct TLSCredentialsTests {
    static func store(_ authorities: ClientAuthenticationInteropTests.Authorities, clientCA: String?) throws -> CrunchStore {
        var files = [CrunchStore.File(path: "server.pem", contents: Array(try String(contentsOfFile: "\(authorities.path)/ec.crt", encoding: .utf8).utf8)),
                     CrunchStore.File(path: "server.key", contents: Array(try String(contentsOfFile: "\(authorities.path)/ec.key", encoding: .utf8).utf8))]
        if let clientCA { files.append(CrunchStore.File(path: "client-ca.pem", contents: Array(clientCA.utf8))) }
        return CrunchStore(files: files)
    }

    @Test("client-ca.pem: client certificates required from its CAs; absent: none asked, or an error naming it when required")
    func clientCertificateAuthority() async throws {
        let authorities = try ClientAuthenticationInteropTests.Authorities()
        let caPEM = try String(contentsOfFile: "\(authorities.path)/ca.crt", encoding: .utf8)

        let requiring = try await TLSServerConfiguration(certificates: try Self.store(authorities, clientCA: caPEM))
        #expect(requiring.chains.count == 1, "client-ca.pem is not a chain to serve")
        let verifier = try #require(requiring.clientAuthentication?.verifier as? X509Verifier)
        #expect(verifier.anchors.map(\.der) == (try PEM.decode(caPEM).map(\.der)))
        #expect(requiring.clientAuthentication?.isRequired == true)

        let open = try await TLSServerConfiguration(certificates: try Self.store(authorities, clientCA: nil))
        #expect(open.clientAuthentication == nil)

        await #expect(throws: TLSCredentialsError.self) {
            _ = try await TLSServerConfiguration(certificates: try Self.store(authorities, clientCA: nil), requiringClientCertificates: true)
        }
        do {
            _ = try await TLSServerConfiguration(certificates: try Self.store(authorities, clientCA: nil), requiringClientCertificates: true)
        } catch {
            #expect("\(error)".contains("no client-ca.pem") && "\(error)".contains("--trust-clients"), "\(error)")
        }
        do {
            _ = try await TLSServerConfiguration(certificates: try Self.store(authorities, clientCA: "not a certificate"))
            Issue.record("a client-ca.pem without a certificate was taken")
        } catch {
            #expect("\(error)".hasPrefix("client-ca.pem: "), "\(error)")
        }
    }

    @Test("a client's trust store: every certificate of its .pem and .crt files; a file that is not PEM named; an empty store trusts no server")
    func trustStore() async throws {
        let authorities = try ClientAuthenticationInteropTests.Authorities()
        let caPEM = try String(contentsOfFile: "\(authorities.path)/ca.crt", encoding: .utf8)
        let other = TestKeys.chain(TestKeys.p384).certificates[0]
        let bundle = PEM.encode(other, label: "CERTIFICATE")
        let store = CrunchStore(files: [CrunchStore.File(path: "ca.pem", contents: Array(caPEM.utf8)),
                                        CrunchStore.File(path: "bundle.crt", contents: Array(bundle.utf8)),
                                        CrunchStore.File(path: "README.md", contents: Array("not a certificate".utf8))])
        let configuration = try await TLSClientConfiguration(trusting: store)
        let verifier = try #require(configuration.verifier as? X509Verifier)
        #expect(Set(verifier.anchors.map(\.der)) == Set(try PEM.decode(caPEM).map(\.der) + [other]))
        do {
            _ = try await TLSClientConfiguration(trusting: CrunchStore(files: [CrunchStore.File(path: "ca.pem", contents: Array("junk".utf8))]))
            Issue.record("a ca.pem that is not PEM was taken")
        } catch {
            #expect("\(error)".hasPrefix("ca.pem: "), "\(error)")
        }
        // Empty: every server is refused with unknown_ca, saying why.
        var client = try await TLSClientConfiguration(trusting: CrunchStore(files: []))
        client.serverName = "example.org"
        var pair = TLSPair(client: client, server: TLSServerConfiguration(chains: [TestKeys.chain(TestKeys.p256)]))
        pair.handshake()
        #expect(pair.errors.first?.alert == .unknownCA && pair.errors.first?.reason.contains("empty trust store") == true, "\(pair.errors)")
    }

    @Test("a client connecting to an address sends no SNI (RFC 6066 section 3); a name it does")
    func addressNotInSNI() throws {
        #expect(try !HostileTests.clientHello { $0.serverName = "10.0.0.1" }.extensions.contains(.serverName))
        #expect(try !HostileTests.clientHello { $0.serverName = "2001:db8::1" }.extensions.contains(.serverName))
        #expect(try HostileTests.clientHello { $0.serverName = "example.org" }.extensions.contains(.serverName))
        var pair = TLSPair(client: clientConfiguration(name: "10.0.0.1"), server: TLSServerConfiguration(chains: [TestKeys.chain(TestKeys.p256)]))
        pair.handshake()
        #expect(pair.errors.isEmpty && pair.server.serverName == nil, "\(pair.errors)")
    }
}
