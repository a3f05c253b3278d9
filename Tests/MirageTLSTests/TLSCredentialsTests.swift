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
}
