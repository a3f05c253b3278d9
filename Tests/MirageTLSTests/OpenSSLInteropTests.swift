import Foundation
import Glibc
import MirageCore
import MirageCrypto
import MirageTLS
import MirageTesting
import Testing

/// The engine against OpenSSL (Debian's `openssl`, 3.x) over a Unix-domain socket, so that no IP
/// address is involved: our client against `openssl s_server`, and `openssl s_client` against our
/// server, for every suite × group, with ECDSA P-256 and RSA certificates, HelloRetryRequest both
/// ways, and ALPN. Each handshake's secrets are compared with OpenSSL's `-keylogfile`.
@Suite("TLS 1.3 against OpenSSL", .serialized)
struct OpenSSLInteropTests {
    static let suites: [(TLSCipherSuite, String)] = [
        (.aes128GCMSHA256, "TLS_AES_128_GCM_SHA256"), (.aes256GCMSHA384, "TLS_AES_256_GCM_SHA384"),
        (.chacha20Poly1305SHA256, "TLS_CHACHA20_POLY1305_SHA256"),
    ]
    static let groups: [(TLSNamedGroup, String)] = [(.x25519, "X25519"), (.secp256r1, "P-256"), (.secp384r1, "P-384")]

    /// A folder with an ECDSA P-256 and an RSA-2048 certificate for example.org, made by openssl.
    final class Workspace {
        let path: String
        init() throws {
            // A peer that exits early closes its stdin pipe or socket under a write: an error
            // for the write, not a signal that ends the test process.
            signal(SIGPIPE, SIG_IGN)
            path = NSTemporaryDirectory() + "mirage-tls-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            for (name, key) in [("ec", ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"]), ("rsa", ["-newkey", "rsa:2048"])] {
                try run("/usr/bin/openssl", ["req", "-x509"] + key + ["-keyout", "\(path)/\(name).key", "-out", "\(path)/\(name).crt",
                                                                    "-days", "2", "-nodes", "-subj", "/CN=example.org",
                                                                    "-addext", "subjectAltName=DNS:example.org"])
            }
        }
        deinit { try? FileManager.default.removeItem(atPath: path) }

        func chain(_ name: String) throws -> TLSCertificateChain {
            let certificate = try PEM.decode(try String(contentsOfFile: "\(path)/\(name).crt", encoding: .utf8))
            let key = try PrivateKey(pem: try String(contentsOfFile: "\(path)/\(name).key", encoding: .utf8))
            return try TLSCertificateChain(certificates: certificate.map(\.der), privateKey: key, serverNames: ["example.org"])
        }
    }

    @Test("our client completes with openssl s_server for every suite × group, ECDSA and RSA; the secrets match its key log")
    func clientAgainstOpenSSL() throws {
        let workspace = try Workspace()
        var count = 0
        for (suite, suiteName) in Self.suites {
            for (group, groupName) in Self.groups {
                for certificate in ["ec", "rsa"] where certificate == "ec" || (group == .x25519 && suite == .aes128GCMSHA256) {
                    var configuration = TLSClientConfiguration(serverName: "example.org", verifier: TLSUncheckedCertificates())
                    configuration.keyShareGroups = [group]
                    configuration.cipherSuites = [suite]
                    configuration.logsKeys = true
                    let result = try Self.talkToServer(workspace, certificate: certificate, configuration: configuration,
                                                       serverArguments: ["-ciphersuites", suiteName, "-groups", groupName])
                    #expect(result.response.hasPrefix("HTTP/1.0 200 ok"), "\(suiteName) \(groupName) \(certificate): \(result.response.prefix(80))")
                    #expect(result.ourKeys.count == 5 && Set(result.ourKeys).isSubset(of: result.theirKeys),
                            "\(suiteName) \(groupName) \(certificate): the key logs differ")
                    count += 1
                }
            }
        }
        // HelloRetryRequest from OpenSSL: our share is X25519, it wants P-384.
        var configuration = TLSClientConfiguration(serverName: "example.org", verifier: TLSUncheckedCertificates())
        configuration.keyShareGroups = [.x25519]
        configuration.logsKeys = true
        let retried = try Self.talkToServer(workspace, certificate: "ec", configuration: configuration, serverArguments: ["-groups", "P-384"])
        #expect(retried.response.hasPrefix("HTTP/1.0 200 ok"))
        #expect(Set(retried.ourKeys).isSubset(of: retried.theirKeys))
        print("TLS interop: our client completed \(count + 1) handshakes with openssl s_server, key logs equal")
    }

    @Test("openssl s_client completes with our server for every suite × group, ECDSA and RSA, with ALPN; the secrets match its key log")
    func openSSLAgainstServer() throws {
        let workspace = try Workspace()
        var count = 0
        for (_, suiteName) in Self.suites {
            for (group, groupName) in Self.groups {
                for certificate in ["ec", "rsa"] where certificate == "ec" || group == .x25519 {
                    var configuration = TLSServerConfiguration(chains: [try workspace.chain(certificate)])
                    configuration.applicationProtocols = [Array("h2".utf8), Array("http/1.1".utf8)]
                    configuration.logsKeys = true
                    let result = try Self.serveClient(workspace, configuration: configuration,
                                                      clientArguments: ["-ciphersuites", suiteName, "-groups", groupName, "-alpn", "http/1.1"])
                    #expect(result.clientSaw.contains("world"), "\(suiteName) \(groupName) \(certificate): s_client printed \(result.clientSaw.suffix(200))")
                    #expect(result.received == "hello\n")
                    #expect(result.protocolName == "http/1.1")
                    #expect(result.ourKeys.count == 5 && Set(result.ourKeys).isSubset(of: result.theirKeys),
                            "\(suiteName) \(groupName) \(certificate): the key logs differ")
                    count += 1
                }
            }
        }
        // HelloRetryRequest from us: s_client's first share is P-256, we want X25519 first.
        var configuration = TLSServerConfiguration(chains: [try workspace.chain("ec")])
        configuration.groups = [.x25519]
        configuration.logsKeys = true
        let retried = try Self.serveClient(workspace, configuration: configuration, clientArguments: ["-groups", "P-256:X25519"])
        #expect(retried.clientSaw.contains("world"))
        #expect(Set(retried.ourKeys).isSubset(of: retried.theirKeys))
        print("TLS interop: openssl s_client completed \(count + 1) handshakes with our server, key logs equal")
    }

    @Test("TLS 1.2: s_client -tls1_2 completes with our server for every suite and group, the extended master secret in use; secrets match")
    func tls12() throws {
        let workspace = try Workspace()
        let suites: [(String, String)] = [
            ("ECDHE-ECDSA-AES128-GCM-SHA256", "ec"), ("ECDHE-ECDSA-AES256-GCM-SHA384", "ec"), ("ECDHE-ECDSA-CHACHA20-POLY1305", "ec"),
            ("ECDHE-RSA-AES128-GCM-SHA256", "rsa"), ("ECDHE-RSA-AES256-GCM-SHA384", "rsa"), ("ECDHE-RSA-CHACHA20-POLY1305", "rsa"),
        ]
        var count = 0
        for (suite, certificate) in suites {
            // An ECDSA certificate's curve must be among the client's groups too (RFC 8422 section 5.1).
            let groups = certificate == "ec" ? ["X25519:P-256", "P-256", "P-384:P-256"] : ["X25519", "P-256", "P-384"]
            for group in groups {
                var configuration = TLSServerConfiguration(chains: [try workspace.chain(certificate)])
                configuration.applicationProtocols = [Array("http/1.1".utf8)]
                configuration.logsKeys = true
                let keyLog = workspace.path + "/tls12.keys"
                let result = try Self.serve(workspace, configuration: configuration, keyLog: keyLog, peer: "/usr/bin/openssl", arguments: {
                    ["s_client", "-unix", $0, "-servername", "example.org", "-tls1_2", "-cipher", suite, "-groups", group, "-alpn", "http/1.1",
                     "-keylogfile", keyLog]
                })
                #expect(result.clientSaw.contains("world"), "\(suite) \(group): \(result.clientSaw.suffix(300))")
                #expect(result.clientSaw.contains("Extended master secret: yes"), "\(suite) \(group)")
                #expect(result.clientSaw.contains("Secure Renegotiation IS supported"), "\(suite) \(group)")
                #expect(result.ourKeys.count == 1 && Set(result.ourKeys).isSubset(of: result.theirKeys), "\(suite) \(group): the master secrets differ")
                count += 1
            }
        }
        print("TLS interop: openssl s_client -tls1_2 completed \(count) handshakes with our server, master secrets equal")
        // Renegotiation (s_client's "R" command) is refused with the no_renegotiation alert.
        let renegotiating = try Self.serve(workspace, configuration: TLSServerConfiguration(chains: [try workspace.chain("ec")]),
                                           keyLog: workspace.path + "/r.keys", peer: "/usr/bin/openssl",
                                           arguments: { ["s_client", "-unix", $0, "-tls1_2"] }, input: "R\n")
        #expect(renegotiating.clientSaw.contains("RENEGOTIATING"), "\(renegotiating.clientSaw.suffix(300))")
        #expect(renegotiating.clientSaw.contains("no renegotiation"), "\(renegotiating.clientSaw.suffix(300))")
    }

    @Test("resumption: s_client resumes with our ticket, and our client resumes with s_server's (TLS 1.3 PSK, TLS 1.2 RFC 5077 ticket)",
          arguments: ["1.3", "1.2"])
    func resumption(version: String) throws {
        let flag = version == "1.3" ? "-tls1_3" : "-tls1_2", printed = "TLSv" + version
        let workspace = try Workspace()
        var configuration = TLSServerConfiguration(chains: [try workspace.chain("ec")])
        configuration.sessionTickets = TLSSessionTickets(random: SystemEntropy())
        configuration.logsKeys = true
        let session = workspace.path + "/session.pem"
        let first = try Self.serve(workspace, configuration: configuration, keyLog: workspace.path + "/first.keys", peer: "/usr/bin/openssl",
                                   arguments: { ["s_client", "-unix", $0, "-servername", "example.org", flag, "-sess_out", session] })
        #expect(first.clientSaw.contains("New, " + printed), "\(first.clientSaw.suffix(400))")
        #expect(FileManager.default.fileExists(atPath: session), "s_client kept no session: no ticket came")
        let second = try Self.serve(workspace, configuration: configuration, keyLog: workspace.path + "/second.keys", peer: "/usr/bin/openssl",
                                    arguments: { ["s_client", "-unix", $0, "-servername", "example.org", flag, "-sess_in", session,
                                                  "-keylogfile", workspace.path + "/second.keys"] })
        #expect(second.clientSaw.contains("Reused, " + printed), "\(second.clientSaw.suffix(400))")
        #expect(second.clientSaw.contains("world"))
        #expect(Set(second.ourKeys).isSubset(of: second.theirKeys), "the resumed handshake's key logs differ")

        // Our client: two connections to one s_server, the second offering the first's ticket.
        let socketPath = "/tmp/mtls\(getpid())r.sock", keyLog = workspace.path + "/server-r.keys"
        try? FileManager.default.removeItem(atPath: socketPath)
        let server = Process()
        server.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        server.arguments = ["s_server", "-unix", socketPath, "-cert", "\(workspace.path)/ec.crt", "-key", "\(workspace.path)/ec.key",
                            flag, "-www", "-naccept", "2", "-keylogfile", keyLog, "-quiet"]
        server.standardOutput = FileHandle.nullDevice
        server.standardError = FileHandle.nullDevice
        let input = Pipe()
        server.standardInput = input
        try server.run()
        defer { Self.stop(server); try? FileManager.default.removeItem(atPath: socketPath) }
        var client = TLSClientConfiguration(serverName: "example.org", verifier: TLSUncheckedCertificates())
        client.logsKeys = true
        let socket = try UnixSocket.connect(socketPath)
        let full = try Self.exchange(socket, configuration: client, request: Array("GET / HTTP/1.0\r\n\r\n".utf8))
        close(socket)
        #expect(full.response.hasPrefix("HTTP/1.0 200 ok") && !full.connection.isResumed)
        client.resumption = try #require(full.tickets.first, "s_server gave no ticket")
        let again = try UnixSocket.connect(socketPath)
        let resumed = try Self.exchange(again, configuration: client, request: Array("GET / HTTP/1.0\r\n\r\n".utf8))
        close(again)
        #expect(resumed.connection.isResumed && resumed.connection.version?.rawValue == (version == "1.3" ? 0x0304 : 0x0303), "s_server did not take our ticket")
        #expect(resumed.response.contains("Reused, " + printed), "\(resumed.response.prefix(600))")
        for _ in 0..<50 where (try? Self.readKeyLog(keyLog))?.count ?? 0 < (version == "1.3" ? 10 : 2) { usleep(20_000) }
        #expect(Set(resumed.connection.keyLog).isSubset(of: try Self.readKeyLog(keyLog)))
    }

    // MARK: - Driving the engine over a Unix-domain socket

    struct ClientResult {
        var response: String
        var ourKeys: [String]
        var theirKeys: Set<String>
    }

    static func talkToServer(_ workspace: Workspace, certificate: String, configuration: TLSClientConfiguration,
                             serverArguments: [String]) throws -> ClientResult {
        // Short: s_server names its socket through getnameinfo, whose service buffer holds 32
        // bytes, and fails to start on a longer path.
        let socketPath = "/tmp/mtls\(getpid()).sock", keyLog = workspace.path + "/server.keys"
        return try talk(workspace, configuration: configuration, socketPath: socketPath, keyLog: keyLog,
                        request: Array("GET / HTTP/1.0\r\n\r\n".utf8), peer: "/usr/bin/openssl",
                        arguments: ["s_server", "-unix", socketPath, "-cert", "\(workspace.path)/\(certificate).crt",
                                    "-key", "\(workspace.path)/\(certificate).key", "-tls1_3", "-www", "-naccept", "1",
                                    "-keylogfile", keyLog, "-quiet"] + serverArguments)
    }

    /// Starts a server `peer` that listens on `socketPath`, connects our client to it, sends
    /// `request` once the handshake is done and returns what came back until the peer closed.
    static func talk(_ workspace: Workspace, configuration: TLSClientConfiguration, socketPath: String, keyLog: String,
                     request: [UInt8], peer: String, arguments: [String], environment: [String: String] = [:],
                     until expected: String? = nil) throws -> ClientResult {
        try? FileManager.default.removeItem(atPath: socketPath)
        try? FileManager.default.removeItem(atPath: keyLog)
        let server = Process()
        server.executableURL = URL(fileURLWithPath: peer)
        server.arguments = arguments
        if !environment.isEmpty { server.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        let serverLog = workspace.path + "/server.log"
        FileManager.default.createFile(atPath: serverLog, contents: nil)
        server.standardOutput = FileHandle(forWritingAtPath: serverLog)
        server.standardError = FileHandle(forWritingAtPath: serverLog)
        // A stdin of its own: s_server watches it, and an inherited closed descriptor 0 would
        // become its listening socket.
        let input = Pipe()
        server.standardInput = input
        try server.run()
        defer { Self.stop(server) }
        let socket: Int32
        do {
            socket = try UnixSocket.connect(socketPath)
        } catch {
            throw InteropFailure(description: "\(error): the server said \((try? String(contentsOfFile: serverLog, encoding: .utf8)) ?? "")")
        }
        defer { close(socket); try? FileManager.default.removeItem(atPath: socketPath) }
        let exchanged = try exchange(socket, configuration: configuration, request: request, until: expected)
        // Some servers write their key log after the connection.
        for _ in 0..<50 where (try? readKeyLog(keyLog))?.count ?? 0 < 5 { usleep(20_000) }
        return ClientResult(response: exchanged.response, ourKeys: exchanged.connection.keyLog, theirKeys: try readKeyLog(keyLog))
    }

    /// Our client over a connected socket: the handshake, `request` once it is done, and what
    /// came back until the peer closed (or `expected` arrived); the connection and its tickets.
    static func exchange(_ socket: Int32, configuration: TLSClientConfiguration, request: [UInt8], until expected: String? = nil)
        throws -> (response: String, connection: TLSConnection, tickets: [TLSSessionTicket]) {
        var connection = TLSConnection(client: configuration, random: SystemEntropy())
        let now = { WallTime(seconds: Int64(Date().timeIntervalSince1970)) }
        try UnixSocket.write(socket, connection.start(now: now()).records)
        var response: [UInt8] = [], tickets: [TLSSessionTicket] = []
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline, !connection.isClosed {
            guard let bytes = try UnixSocket.read(socket, timeoutMilliseconds: 200) else { continue }
            if bytes.isEmpty { break }
            let output = connection.receive(bytes, now: now())
            if let error = output.error { throw InteropFailure(description: "our client: \(error.alert.name): \(error.reason)") }
            try UnixSocket.write(socket, output.records)
            if output.handshakeComplete { try UnixSocket.write(socket, connection.send(request)) }
            response += output.applicationData
            tickets += output.sessionTickets
            if output.peerClosed { break }
            if let expected, String(decoding: response, as: UTF8.self).contains(expected) { break }
        }
        return (String(decoding: response, as: UTF8.self), connection, tickets)
    }

    struct ServerResult {
        var clientSaw: String
        var received: String
        var protocolName: String?
        var ourKeys: [String]
        var theirKeys: Set<String>
        /// The chain the client presented, when our server asked for one.
        var peerCertificates: [[UInt8]] = []
        /// Whether each connection, in order, resumed a session.
        var resumed: [Bool] = []
    }

    static func serveClient(_ workspace: Workspace, configuration: TLSServerConfiguration, clientArguments: [String]) throws -> ServerResult {
        let keyLog = workspace.path + "/client.keys"
        return try serve(workspace, configuration: configuration, keyLog: keyLog, peer: "/usr/bin/openssl", arguments: { socket in
            ["s_client", "-unix", socket, "-servername", "example.org", "-tls1_3", "-keylogfile", keyLog, "-quiet"] + clientArguments
        })
    }

    /// Runs a client `peer` (its arguments given our socket's path) against our server on a
    /// Unix-domain socket, serving `connections` connections one after another (the result
    /// tells of the last); writes "hello\n" to its standard input. Our server answers a line
    /// with "world\n", or an HTTP request with a response whose body is "world", then closes.
    static func serve(_ workspace: Workspace, configuration: TLSServerConfiguration, keyLog: String, peer: String,
                      arguments: (String) -> [String], environment: [String: String] = [:], input standardInput: String = "hello\n",
                      connections: Int = 1) throws -> ServerResult {
        let socketPath = workspace.path + "/client.sock", printed = workspace.path + "/client.out"
        try? FileManager.default.removeItem(atPath: socketPath)
        try? FileManager.default.removeItem(atPath: keyLog)
        FileManager.default.createFile(atPath: printed, contents: nil)
        let listener = try UnixSocket.listen(socketPath)
        defer { close(listener) }
        let client = Process()
        client.executableURL = URL(fileURLWithPath: peer)
        client.arguments = arguments(socketPath)
        if !environment.isEmpty { client.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        let input = Pipe()
        client.standardInput = input
        let printedHandle = FileHandle(forWritingAtPath: printed)
        client.standardOutput = printedHandle
        client.standardError = printedHandle
        try client.run()
        defer {
            try? input.fileHandleForWriting.close()
            Self.stop(client)
        }
        input.fileHandleForWriting.write(Data(standardInput.utf8))
        var connection = TLSConnection(server: configuration, random: SystemEntropy())
        var received: [UInt8] = [], resumed: [Bool] = []
        for _ in 0..<connections {
            let socket = try UnixSocket.accept(listener, timeoutMilliseconds: 10_000)
            defer { close(socket) }
            connection = TLSConnection(server: configuration, random: SystemEntropy())
            received = []
            defer { resumed.append(connection.isResumed) }
            let deadline = Date().addingTimeInterval(10)
            while Date() < deadline, !connection.isClosed {
                guard let bytes = try UnixSocket.read(socket, timeoutMilliseconds: 200) else { continue }
                if bytes.isEmpty { break }
                let output = connection.receive(bytes, now: WallTime(seconds: Int64(Date().timeIntervalSince1970)))
                if let error = output.error { throw InteropFailure(description: "our server: \(error.alert.name): \(error.reason)") }
                try UnixSocket.write(socket, output.records)
                received += output.applicationData
                let text = String(decoding: received, as: UTF8.self)
                let answer: String? = text.hasPrefix("GET ") ? (text.contains("\r\n\r\n")
                    ? "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\nworld" : nil)
                    : (text.hasSuffix("\n") ? "world\n" : nil)
                if let answer {
                    // One write: a client that closes once it has the answer (curl, on
                    // Connection: close) may be gone before a second. What it saw is checked below.
                    try? UnixSocket.write(socket, connection.send(Array(answer.utf8)) + connection.close())
                    break
                }
            }
        }
        // Let the client print what it received before it is stopped.
        for _ in 0..<100 where !((try? String(contentsOfFile: printed, encoding: .utf8))?.contains("world") ?? false) { usleep(20_000) }
        return ServerResult(clientSaw: (try? String(contentsOfFile: printed, encoding: .utf8)) ?? "",
                            received: String(decoding: received, as: UTF8.self),
                            protocolName: connection.applicationProtocol.map { String(decoding: $0, as: UTF8.self) },
                            ourKeys: connection.keyLog, theirKeys: try readKeyLog(keyLog), peerCertificates: connection.peerCertificates,
                            resumed: resumed)
    }

    /// Waits up to two seconds for `process` to end by itself, then stops it.
    static func stop(_ process: Process) {
        for _ in 0..<100 where process.isRunning { usleep(20_000) }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
    }

    static func readKeyLog(_ path: String) throws -> Set<String> {
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        return Set(text.split(separator: "\n").map { $0.lowercased() }.filter { !$0.hasPrefix("#") }.map { line in
            // OpenSSL writes labels in upper case and hex in lower case; ours likewise.
            let parts = line.split(separator: " ")
            return parts.count == 3 ? parts[0].uppercased() + " " + parts[1] + " " + parts[2] : line
        })
    }
}

struct InteropFailure: Error, CustomStringConvertible { let description: String }

func run(_ executable: String, _ arguments: [String]) throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { throw InteropFailure(description: "\(executable) \(arguments.first ?? "") exited with \(process.terminationStatus)") }
}

/// Blocking Unix-domain stream sockets, with poll for timeouts.
enum UnixSocket {
    static func address(_ path: String) -> sockaddr_un {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            for (index, byte) in path.utf8.prefix(buffer.count - 1).enumerated() { buffer[index] = byte }
        }
        return address
    }

    static func connect(_ path: String) throws -> Int32 {
        for _ in 0..<250 {
            let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
            var address = address(path)
            let result = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
            }
            if result == 0 { return fd }
            close(fd)
            usleep(20_000)
        }
        throw InteropFailure(description: "cannot connect to \(path)")
    }

    static func listen(_ path: String) throws -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = address(path)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0, Glibc.listen(fd, 1) == 0 else { close(fd); throw InteropFailure(description: "cannot listen on \(path)") }
        return fd
    }

    static func accept(_ listener: Int32, timeoutMilliseconds: Int32) throws -> Int32 {
        var descriptor = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
        guard poll(&descriptor, 1, timeoutMilliseconds) == 1 else { throw InteropFailure(description: "no connection came") }
        return Glibc.accept(listener, nil, nil)
    }

    /// Bytes read, empty at the end of the stream, nil when none came within the timeout.
    static func read(_ fd: Int32, timeoutMilliseconds: Int32) throws -> [UInt8]? {
        var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&descriptor, 1, timeoutMilliseconds) == 1 else { return nil }
        var buffer = [UInt8](repeating: 0, count: 65_536)
        let count = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
        guard count >= 0 else { return [] }
        return Array(buffer.prefix(count))
    }

    static func write(_ fd: Int32, _ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            guard written > 0 else { throw InteropFailure(description: "the socket closed while writing") }
            offset += written
        }
    }
}
