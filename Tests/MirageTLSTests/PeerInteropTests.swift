import Foundation
import Glibc
import MirageCore
import MirageCrypto
import MirageTLS
import MirageTesting
import Testing

/// The engine against the other TLS peers no one here wrote: curl, Python's `ssl` (OpenSSL
/// underneath, but its own API and defaults) and GnuTLS's `gnutls-cli`/`gnutls-serv`. curl and
/// Python speak over the Unix-domain socket directly; GnuTLS's tools speak TCP only, so they run
/// inside a network namespace of their own (`unshare --net`, loopback only) with socat joining
/// their TCP port to our socket. Secrets are compared with each peer's key log (SSLKEYLOGFILE).
@Suite("TLS 1.3 and 1.2 against curl, Python's ssl and GnuTLS", .serialized)
struct PeerInteropTests {
    typealias Workspace = OpenSSLInteropTests.Workspace

    static func serverConfiguration(_ workspace: Workspace, _ certificate: String = "ec") throws -> TLSServerConfiguration {
        var configuration = TLSServerConfiguration(chains: [try workspace.chain(certificate)])
        configuration.applicationProtocols = [Array("http/1.1".utf8)]
        configuration.logsKeys = true
        return configuration
    }

    static func clientConfiguration() -> TLSClientConfiguration {
        var configuration = TLSClientConfiguration(serverName: "example.org", verifier: TLSUncheckedCertificates())
        configuration.logsKeys = true
        return configuration
    }

    /// TLS 1.3 logs five secrets, TLS 1.2 its master secret (CLIENT_RANDOM).
    static func expectKeysMatch(_ ours: [String], _ theirs: Set<String>, _ what: String, tls12: Bool = false) {
        #expect(ours.count == (tls12 ? 1 : 5), "\(what): we logged \(ours.count) secrets")
        #expect(Set(ours).intersection(theirs).count >= (tls12 ? 1 : 4), "\(what): the key logs differ: ours \(ours), theirs \(theirs)")
    }

    @Test("curl fetches a page from our server over TLS 1.3 and TLS 1.2, with ECDSA and RSA certificates")
    func curl() throws {
        let workspace = try Workspace()
        for certificate in ["ec", "rsa"] {
            for version in [["--tlsv1.3"], ["--tlsv1.2", "--tls-max", "1.2"]] {
                let keyLog = workspace.path + "/curl.keys"
                let result = try OpenSSLInteropTests.serve(
                    workspace, configuration: try Self.serverConfiguration(workspace, certificate), keyLog: keyLog, peer: "/usr/bin/curl",
                    arguments: { ["-sS", "-k"] + version + ["--unix-socket", $0, "https://example.org/"] },
                    environment: ["SSLKEYLOGFILE": keyLog])
                #expect(result.clientSaw == "world", "curl \(version) printed \(result.clientSaw)")
                #expect(result.protocolName == "http/1.1")
                Self.expectKeysMatch(result.ourKeys, result.theirKeys, "curl \(version), \(certificate)", tls12: version.count > 1)
            }
        }
    }

    static let pythonClient = """
        import socket, ssl, sys
        context = ssl.create_default_context()
        context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.maximum_version = ssl.TLSVersion.TLSv1_2 if sys.argv[3] == "1.2" else ssl.TLSVersion.TLSv1_3
        context.keylog_filename = sys.argv[2]
        raw = socket.socket(socket.AF_UNIX)
        raw.connect(sys.argv[1])
        with context.wrap_socket(raw, server_hostname="example.org") as tls:
            tls.sendall(b"hello\\n")
            data = b""
            while not data.endswith(b"\\n"):
                chunk = tls.recv(100)
                if not chunk:
                    break
                data += chunk
            print(data.decode(), end="")
        """

    static let pythonServer = """
        import os, socket, ssl, sys
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(sys.argv[2], sys.argv[3])
        context.minimum_version = ssl.TLSVersion.TLSv1_3
        context.keylog_filename = sys.argv[4]
        listener = socket.socket(socket.AF_UNIX)
        listener.bind(sys.argv[1])
        listener.listen(1)
        connection, _ = listener.accept()
        with context.wrap_socket(connection, server_side=True) as tls:
            line = b""
            while not line.endswith(b"\\n"):
                chunk = tls.recv(100)
                if not chunk:
                    break
                line += chunk
            tls.sendall(line)
        """

    @Test("Python's ssl as a client of our server, and as a server for our client")
    func python() throws {
        let workspace = try Workspace()
        let keyLog = workspace.path + "/python.keys"
        for version in ["1.3", "1.2"] {
            let served = try OpenSSLInteropTests.serve(workspace, configuration: try Self.serverConfiguration(workspace), keyLog: keyLog,
                                                       peer: "/usr/bin/python3", arguments: { ["-c", Self.pythonClient, $0, keyLog, version] })
            #expect(served.clientSaw == "world\n", "Python (TLS \(version)) printed \(served.clientSaw)")
            Self.expectKeysMatch(served.ourKeys, served.theirKeys, "Python client, TLS \(version)", tls12: version == "1.2")
        }

        let socketPath = workspace.path + "/python.sock"
        let answered = try OpenSSLInteropTests.talk(
            workspace, configuration: Self.clientConfiguration(), socketPath: socketPath, keyLog: keyLog, request: Array("hello\n".utf8),
            peer: "/usr/bin/python3",
            arguments: ["-c", Self.pythonServer, socketPath, "\(workspace.path)/ec.crt", "\(workspace.path)/ec.key", keyLog])
        #expect(answered.response == "hello\n")
        Self.expectKeysMatch(answered.ourKeys, answered.theirKeys, "Python server")
    }

    /// Whether this machine can make a network namespace (root, and `unshare`).
    static var canMakeNamespace: Bool { geteuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/unshare") }

    /// `unshare` arguments running `gnutls-cli OPTIONS` in a namespace of its own against the
    /// Unix-domain socket our server listens on, bridged to 127.0.0.1:4433 there by socat.
    static func gnutlsClient(toSocket socket: String, options: String) -> [String] {
        ["--net", "/bin/sh", "-c", """
            ip link set lo up
            timeout 15 socat TCP-LISTEN:4433,bind=127.0.0.1,reuseaddr,fork UNIX-CONNECT:\(socket) & bridge=$!
            trap 'kill $bridge 2>/dev/null' EXIT TERM
            sleep 0.3
            timeout 15 gnutls-cli \(options) -p 4433 127.0.0.1
            """]
    }

    @Test("gnutls-cli as a client of our server, and gnutls-serv as a server for our client, each in a namespace of its own")
    func gnutls() throws {
        guard Self.canMakeNamespace, FileManager.default.isExecutableFile(atPath: "/usr/bin/gnutls-cli") else {
            print("SKIP: TLS against GnuTLS: needs root (for unshare --net) and gnutls-bin, which scripts/test installs")
            return
        }
        let workspace = try Workspace()
        let keyLog = workspace.path + "/gnutls.keys"
        for (certificate, version) in [("ec", "TLS1.3"), ("rsa", "TLS1.3"), ("ec", "TLS1.2"), ("rsa", "TLS1.2")] {
            let served = try OpenSSLInteropTests.serve(
                workspace, configuration: try Self.serverConfiguration(workspace, certificate), keyLog: keyLog, peer: "/usr/bin/unshare",
                arguments: { socket in
                    Self.gnutlsClient(toSocket: socket, options: "--insecure --sni-hostname example.org --alpn http/1.1 --priority NORMAL:-VERS-ALL:+VERS-\(version)")
                }, environment: ["SSLKEYLOGFILE": keyLog])
            #expect(served.clientSaw.contains("world"), "gnutls-cli \(version) printed \(served.clientSaw.suffix(300))")
            Self.expectKeysMatch(served.ourKeys, served.theirKeys, "gnutls-cli \(version), \(certificate)", tls12: version == "TLS1.2")
        }
        // Resumption: gnutls-cli --resume connects, then connects again offering the session.
        for version in ["TLS1.3", "TLS1.2"] {
            var configuration = try Self.serverConfiguration(workspace)
            configuration.sessionTickets = TLSSessionTickets(random: SystemEntropy())
            let served = try OpenSSLInteropTests.serve(
                workspace, configuration: configuration, keyLog: keyLog, peer: "/usr/bin/unshare",
                arguments: { socket in
                    Self.gnutlsClient(toSocket: socket, options: "--insecure --resume --sni-hostname example.org --priority NORMAL:-VERS-ALL:+VERS-\(version)")
                }, environment: ["SSLKEYLOGFILE": keyLog], connections: 2)
            #expect(served.resumed == [false, true], "gnutls-cli --resume \(version): \(served.clientSaw.suffix(400))")
            #expect(served.clientSaw.contains("This is a resumed session") && served.clientSaw.contains("world"),
                    "gnutls-cli --resume \(version) printed \(served.clientSaw.suffix(400))")
        }

        let socketPath = workspace.path + "/gnutls.sock"
        let answered = try OpenSSLInteropTests.talk(
            workspace, configuration: Self.clientConfiguration(), socketPath: socketPath, keyLog: keyLog, request: Array("hello\n".utf8),
            peer: "/usr/bin/unshare", arguments: ["--net", "/bin/sh", "-c", """
                ip link set lo up
                timeout 15 gnutls-serv --x509certfile \(workspace.path)/ec.crt --x509keyfile \(workspace.path)/ec.key --echo \
                    --priority NORMAL:-VERS-ALL:+VERS-TLS1.3 -p 4433 & server=$!
                trap 'kill $server 2>/dev/null' EXIT TERM
                sleep 0.5
                timeout 15 socat UNIX-LISTEN:\(socketPath) TCP:127.0.0.1:4433
                """], environment: ["SSLKEYLOGFILE": keyLog], until: "hello\n")
        #expect(answered.response == "hello\n", "gnutls-serv echoed \(answered.response)")
        Self.expectKeysMatch(answered.ourKeys, answered.theirKeys, "gnutls-serv")
    }
}
