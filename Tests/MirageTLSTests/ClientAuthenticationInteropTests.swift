import Foundation
import Glibc
import MirageCore
import MirageCrypto
import MirageTLS
import MirageTesting
import Testing

/// Client authentication against peers no one here wrote, over Unix-domain sockets: OpenSSL's
/// and GnuTLS's clients present ECDSA and RSA certificates signed by a test CA to our server in
/// TLS 1.3 and TLS 1.2 (PKCS #1 and ECDSA with another curve's hash in 1.2); one without a
/// certificate gets certificate_required (1.3) or handshake_failure (1.2), one from another CA
/// unknown_ca; our client presents its certificate to `openssl s_server -Verify`.
@Suite("TLS client authentication against OpenSSL and GnuTLS", .serialized)
struct ClientAuthenticationInteropTests {
    /// A CA, client certificates it signs (P-256 and RSA-2048, clientAuth), and a stranger's.
    final class Authorities {
        let workspace: OpenSSLInteropTests.Workspace
        var path: String { workspace.path }

        init() throws {
            workspace = try OpenSSLInteropTests.Workspace()
            let path = workspace.path
            for ca in ["ca", "stranger-ca"] {
                try run("/usr/bin/openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
                                             "-subj", "/CN=\(ca)", "-keyout", "\(path)/\(ca).key", "-out", "\(path)/\(ca).crt",
                                             "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign"])
            }
            try "extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature\n".write(toFile: "\(path)/client.ext", atomically: true, encoding: .utf8)
            for (name, ca, key) in [("client-ec", "ca", ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"]),
                                    ("client-rsa", "ca", ["-newkey", "rsa:2048"]),
                                    ("stranger", "stranger-ca", ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"])] {
                try run("/usr/bin/openssl", ["req", "-new"] + key + ["-nodes", "-subj", "/CN=\(name)", "-keyout", "\(path)/\(name).key",
                                                                   "-out", "\(path)/\(name).csr"])
                try run("/usr/bin/openssl", ["x509", "-req", "-in", "\(path)/\(name).csr", "-CA", "\(path)/\(ca).crt", "-CAkey", "\(path)/\(ca).key",
                                             "-CAcreateserial", "-days", "2", "-extfile", "\(path)/client.ext", "-out", "\(path)/\(name).crt"])
            }
        }

        func der(_ name: String) throws -> [UInt8] {
            try PEM.decode(try String(contentsOfFile: "\(path)/\(name).crt", encoding: .utf8))[0].der
        }

        /// Our server with the workspace's ECDSA certificate, requiring clients of `ca.crt`.
        func server(certificate: String = "ec") throws -> TLSServerConfiguration {
            var configuration = TLSServerConfiguration(chains: [try workspace.chain(certificate)])
            let anchors = try X509Certificate.certificates(pem: try String(contentsOfFile: "\(path)/ca.crt", encoding: .utf8))
            configuration.clientAuthentication = TLSClientAuthentication(verifier: X509Verifier(anchors: anchors))
            configuration.logsKeys = true
            return configuration
        }
    }

    /// `openssl s_client` against our server; the alert our server sent when it refused.
    static func sClient(_ authorities: Authorities, _ arguments: [String], certificate: String = "ec") throws
        -> (result: OpenSSLInteropTests.ServerResult?, refusal: String?) {
        let keyLog = authorities.path + "/client.keys"
        do {
            let result = try OpenSSLInteropTests.serve(
                authorities.workspace, configuration: try authorities.server(certificate: certificate), keyLog: keyLog, peer: "/usr/bin/openssl",
                arguments: { ["s_client", "-unix", $0, "-servername", "example.org", "-keylogfile", keyLog] + arguments })
            return (result, nil)
        } catch let failure as InteropFailure {
            return (nil, failure.description)
        }
    }

    @Test("openssl s_client presents ECDSA and RSA certificates in TLS 1.3 and 1.2; our server verifies and keeps them")
    func openSSLClientCertificates() throws {
        let authorities = try Authorities()
        let cases: [(String, [String])] = [
            ("client-ec", ["-tls1_3"]), ("client-rsa", ["-tls1_3"]),
            ("client-ec", ["-tls1_2"]), ("client-rsa", ["-tls1_2"]),
            // TLS 1.2 lets an RSA client sign with PKCS #1 v1.5, and an ECDSA scheme name only its hash.
            ("client-rsa", ["-tls1_2", "-client_sigalgs", "RSA+SHA256"]), ("client-ec", ["-tls1_2", "-client_sigalgs", "ECDSA+SHA384"]),
        ]
        for (name, arguments) in cases {
            let (result, refusal) = try Self.sClient(authorities, arguments + ["-cert", "\(authorities.path)/\(name).crt",
                                                                               "-key", "\(authorities.path)/\(name).key"])
            #expect(refusal == nil, "\(name) \(arguments): \(refusal ?? "")")
            guard let result else { continue }
            #expect(result.clientSaw.contains("world"), "\(name) \(arguments): \(result.clientSaw.suffix(300))")
            #expect(result.peerCertificates == [try authorities.der(name)], "\(name) \(arguments)")
            #expect(!result.ourKeys.isEmpty && Set(result.ourKeys).isSubset(of: result.theirKeys), "\(name) \(arguments): the key logs differ")
        }
        print("TLS interop: openssl s_client authenticated with \(cases.count) client certificates, TLS 1.3 and 1.2")
    }

    @Test("openssl s_client without a certificate, or with another CA's: certificate_required, handshake_failure, unknown_ca")
    func openSSLRefused() throws {
        let authorities = try Authorities()
        let cases: [([String], String)] = [
            (["-tls1_3"], "certificate_required"), (["-tls1_2"], "handshake_failure"),
            (["-tls1_3", "-cert", "\(authorities.path)/stranger.crt", "-key", "\(authorities.path)/stranger.key"], "unknown_ca"),
            (["-tls1_2", "-cert", "\(authorities.path)/stranger.crt", "-key", "\(authorities.path)/stranger.key"], "unknown_ca"),
        ]
        for (arguments, alert) in cases {
            let (result, refusal) = try Self.sClient(authorities, arguments)
            #expect(result == nil, "\(arguments): served")
            #expect(refusal?.contains("our server: \(alert)") == true, "\(arguments): \(refusal ?? "")")
        }
    }

    @Test("gnutls-cli presents its certificate in TLS 1.3 and 1.2, in a namespace of its own")
    func gnutlsClientCertificates() throws {
        guard PeerInteropTests.canMakeNamespace, FileManager.default.isExecutableFile(atPath: "/usr/bin/gnutls-cli") else {
            print("SKIP: client authentication against GnuTLS: needs root (for unshare --net) and gnutls-bin, which scripts/test installs")
            return
        }
        let authorities = try Authorities()
        let keyLog = authorities.path + "/gnutls.keys"
        for (name, version) in [("client-ec", "TLS1.3"), ("client-rsa", "TLS1.3"), ("client-ec", "TLS1.2"), ("client-rsa", "TLS1.2")] {
            let served = try OpenSSLInteropTests.serve(
                authorities.workspace, configuration: try authorities.server(), keyLog: keyLog, peer: "/usr/bin/unshare",
                arguments: { socket in
                    PeerInteropTests.gnutlsClient(toSocket: socket, options: "--insecure --sni-hostname example.org "
                        + "--x509certfile \(authorities.path)/\(name).crt --x509keyfile \(authorities.path)/\(name).key "
                        + "--priority NORMAL:-VERS-ALL:+VERS-\(version)")
                }, environment: ["SSLKEYLOGFILE": keyLog])
            #expect(served.clientSaw.contains("world"), "gnutls-cli \(name) \(version) printed \(served.clientSaw.suffix(300))")
            #expect(served.peerCertificates == [try authorities.der(name)], "gnutls-cli \(name) \(version)")
        }
    }

    @Test("our client presents its certificate to openssl s_server -Verify; without one s_server refuses it")
    func ourClientCertificate() throws {
        let authorities = try Authorities()
        let path = authorities.path
        let certificate = try PEM.decode(try String(contentsOfFile: "\(path)/client-ec.crt", encoding: .utf8)).map(\.der)
        let key = try PrivateKey(pem: try String(contentsOfFile: "\(path)/client-ec.key", encoding: .utf8))
        let socketPath = "/tmp/mtls\(getpid())c.sock"
        let serverArguments = ["s_server", "-unix", socketPath, "-cert", "\(path)/ec.crt", "-key", "\(path)/ec.key", "-tls1_3", "-www",
                               "-naccept", "1", "-Verify", "1", "-verify_return_error", "-CAfile", "\(path)/ca.crt",
                               "-keylogfile", "\(path)/server.keys"]
        var configuration = TLSClientConfiguration(serverName: "example.org", verifier: TLSUncheckedCertificates())
        configuration.certificate = try TLSCertificateChain(certificates: certificate, privateKey: key)
        let accepted = try OpenSSLInteropTests.talk(authorities.workspace, configuration: configuration, socketPath: socketPath,
                                                    keyLog: "\(path)/server.keys", request: Array("GET / HTTP/1.0\r\n\r\n".utf8),
                                                    peer: "/usr/bin/openssl", arguments: serverArguments)
        #expect(accepted.response.hasPrefix("HTTP/1.0 200 ok"), "\(accepted.response.prefix(300))")

        configuration.certificate = nil
        let refused = try? OpenSSLInteropTests.talk(authorities.workspace, configuration: configuration, socketPath: socketPath,
                                                    keyLog: "\(path)/server.keys", request: Array("GET / HTTP/1.0\r\n\r\n".utf8),
                                                    peer: "/usr/bin/openssl", arguments: serverArguments)
        // TLS 1.3: our client finishes first, then s_server's alert ends the connection unanswered.
        #expect(refused != nil && refused?.response.isEmpty == true, "s_server answered a client without a certificate: \(refused?.response.prefix(200) ?? "")")
    }
}
