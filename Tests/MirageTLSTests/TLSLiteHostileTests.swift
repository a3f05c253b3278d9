import Foundation
import Glibc
import MirageCore
import MirageCrypto
import MirageTLS
import MirageTesting
import Testing

/// Our server against tlslite-ng (`Fixtures/hostile_peer.py`) over a Unix-domain socket: as a
/// well-behaved client its own TLSConnection completes TLS 1.3 and 1.2 (and as a server, our
/// client completes both with it); as a hostile one it sends
/// hellos and records crafted with its message classes and then broken (bad lengths, duplicate
/// extensions, stray shares, wrong-state and unknown messages, downgrades, oversized records).
/// Each hostile case must get the RFC's alert, seen by the peer as our server sent it, and the
/// connection closes; the server's configuration serves a good client afterwards.
@Suite("TLS against tlslite-ng, well-behaved and hostile", .serialized)
struct TLSLiteHostileTests {
    static let script = CrossCheckTests.package.appendingPathComponent("Tests/MirageTLSTests/Fixtures/hostile_peer.py").path

    /// Each hostile case and the alert RFC 8446 (or RFC 5246, 7507, 7627) asks for.
    static let hostileCases: [(String, TLSAlertDescription)] = [
        ("truncated-hello", .decodeError), ("duplicate-extension", .illegalParameter), ("share-not-in-groups", .illegalParameter),
        ("short-share", .illegalParameter), ("psk-not-last", .illegalParameter), ("finished-first", .unexpectedMessage),
        ("unknown-message", .unexpectedMessage), ("application-data-first", .unexpectedMessage), ("malformed-alert", .decodeError),
        ("ssl3-hello", .protocolVersion), ("fallback-scsv", .inappropriateFallback), ("no-extended-master-secret", .handshakeFailure),
        ("oversize-record", .recordOverflow),
    ]

    /// Runs the peer's `scenario` against one connection of our server; what the peer printed and
    /// the error our server ended with.
    static func run(_ scenario: String, configuration: TLSServerConfiguration, workspace: OpenSSLInteropTests.Workspace) throws
        -> (peerSaw: String, serverError: TLSError?) {
        let socketPath = workspace.path + "/tlslite.sock", printed = workspace.path + "/tlslite.out"
        try? FileManager.default.removeItem(atPath: socketPath)
        _ = FileManager.default.createFile(atPath: printed, contents: nil)
        let listener = try UnixSocket.listen(socketPath)
        defer { close(listener) }
        let peer = Process()
        peer.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        peer.arguments = [script, socketPath, scenario]
        peer.environment = ProcessInfo.processInfo.environment.merging(["MIRAGE_PYTHON_PEERS": CrossCheckTests.peers]) { $1 }
        let output = FileHandle(forWritingAtPath: printed)
        peer.standardOutput = output
        peer.standardError = output
        try peer.run()
        defer { OpenSSLInteropTests.stop(peer) }
        let socket = try UnixSocket.accept(listener, timeoutMilliseconds: 10_000)
        defer { close(socket) }
        var connection = TLSConnection(server: configuration, random: SystemEntropy())
        var serverError: TLSError?
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline, !connection.isClosed {
            guard let bytes = try UnixSocket.read(socket, timeoutMilliseconds: 200) else { continue }
            if bytes.isEmpty { break }
            let result = connection.receive(bytes, now: WallTime(seconds: Int64(Date().timeIntervalSince1970)))
            serverError = serverError ?? result.error
            try? UnixSocket.write(socket, result.records)
            if String(decoding: result.applicationData, as: UTF8.self) == "hello\n" {
                try? UnixSocket.write(socket, connection.send(Array("world\n".utf8)))
            }
        }
        if connection.isClosed { shutdown(socket, Int32(SHUT_WR)) }
        for _ in 0..<250 where peer.isRunning { usleep(20_000) }
        let saw = ((try? String(contentsOfFile: printed, encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        return (saw, serverError)
    }

    @Test("tlslite-ng's client completes TLS 1.3 and TLS 1.2 with our server")
    func wellBehaved() throws {
        let workspace = try OpenSSLInteropTests.Workspace()
        let configuration = TLSServerConfiguration(chains: [try workspace.chain("ec")])
        for (scenario, version) in [("good-tls13", "TLS 1.3"), ("good-tls12", "TLS 1.2")] {
            let result = try Self.run(scenario, configuration: configuration, workspace: workspace)
            #expect(result.serverError == nil, "\(scenario): \(String(describing: result.serverError))")
            #expect(result.peerSaw == "answered world \(version)", "\(scenario): \(result.peerSaw.suffix(600))")
        }
    }

    @Test("our client completes TLS 1.3 and TLS 1.2 with tlslite-ng's server, ECDSA and RSA certificates")
    func ourClient() throws {
        let workspace = try OpenSSLInteropTests.Workspace()
        for (scenario, certificate) in [("serve-tls13", "ec"), ("serve-tls13", "rsa"), ("serve-tls12", "ec"), ("serve-tls12", "rsa")] {
            let socketPath = workspace.path + "/tlslite-server.sock"
            let result = try OpenSSLInteropTests.talk(
                workspace, configuration: TLSClientConfiguration(serverName: "example.org", verifier: TLSUncheckedCertificates()),
                socketPath: socketPath, keyLog: workspace.path + "/none.keys", request: Array("hello\n".utf8), peer: "/usr/bin/python3",
                arguments: [Self.script, socketPath, scenario, "\(workspace.path)/\(certificate).crt", "\(workspace.path)/\(certificate).key"],
                environment: ["MIRAGE_PYTHON_PEERS": CrossCheckTests.peers], until: "hello\n")
            #expect(result.response == "hello\n", "\(scenario) \(certificate): \(result.response)")
        }
    }

    @Test("tlslite-ng's crafted hostile hellos and records each get the RFC's alert, and a good client is served after them")
    func hostile() throws {
        let workspace = try OpenSSLInteropTests.Workspace()
        let configuration = TLSServerConfiguration(chains: [try workspace.chain("ec")])
        for (scenario, alert) in Self.hostileCases {
            let result = try Self.run(scenario, configuration: configuration, workspace: workspace)
            #expect(result.serverError?.alert == alert, "\(scenario): our server ended with \(String(describing: result.serverError))")
            #expect(result.peerSaw == "alert \(alert.name)", "\(scenario): tlslite-ng saw \(result.peerSaw.suffix(600))")
        }
        let good = try Self.run("good-tls13", configuration: configuration, workspace: workspace)
        #expect(good.peerSaw == "answered world TLS 1.3", "\(good.peerSaw.suffix(600))")
        print("TLS against tlslite-ng: \(Self.hostileCases.count) hostile cases each refused with its alert, then a good client served")
    }
}
