import Foundation
import Testing

/// The piñata's certificates, made once per run by scripts/dev-certificate (the example's way):
/// a development CA, the server's certificate and `client-ca.pem` in
/// Examples/tls-pinata/certificates, a client certificate the CA signs, and one another CA signs.
enum PinataCertificates {
    static let lock = NSLock()
    nonisolated(unsafe) static var prepared: (authority: String, client: String, stranger: String)?

    /// The CA's certificate (for curl's --cacert) and the two client certificates' paths without
    /// their `.pem`/`.key` suffix.
    static func prepare() throws -> (authority: String, client: String, stranger: String) {
        lock.lock()
        defer { lock.unlock() }
        if let prepared { return prepared }
        let base = scratchDirectory + "mirage-pinata-\(getpid())"
        try FileManager.default.createDirectory(atPath: base + "/clients", withIntermediateDirectories: true)
        let script = repositoryRoot + "/scripts/dev-certificate"
        for arguments in [["MIRAGE_DEV_CA=\(base)/ca", script, "--trust-clients", repositoryRoot + "/Examples/tls-pinata/certificates",
                           "localhost", "127.0.0.1", "10.0.0.2"],
                          ["MIRAGE_DEV_CA=\(base)/ca", script, "--client", base + "/clients", "alice"],
                          ["MIRAGE_DEV_CA=\(base)/other-ca", script, "--rsa", "--client", base + "/clients", "mallory"]] {
            let result = try run(["/usr/bin/env"] + arguments)
            guard result.status == 0 else { throw SetupError("scripts/dev-certificate failed: \(result.errorOutput)") }
        }
        let made = (base + "/ca/ca.pem", base + "/clients/alice", base + "/clients/mallory")
        prepared = made
        return made
    }
}

extension EndToEnd {
    @Suite("The TLS piñata: its secret only for a client certificate, every refusal logged", .serialized,
           .enabled(if: networkTestsAvailable && curlAvailable))
    struct PinataTests {
        /// Starts `command` in a fresh namespace and tries curl on HOST:PORT over TLS 1.3 and 1.2:
        /// with the CA's client certificate (the secret), with none, and with another CA's. Run on
        /// hvt only, to keep CI short: the unix build is the README's, checked by hand, and the
        /// same engine serves the website's HTTPS tests on host sockets.
        func check(_ command: [String], host: String, port: Int) throws {
            let certificates = try PinataCertificates.prepare()
            let secret = try String(contentsOfFile: repositoryRoot + "/Examples/tls-pinata/secret/secret.txt", encoding: .utf8)
            let namespace = try NetworkNamespace()
            let log = scratchDirectory + namespace.name + "-pinata.log"
            let server = try namespace.start(command, log: log)
            let serverLog = { (try? String(contentsOfFile: log, encoding: .utf8)) ?? "" }
            for _ in 0..<200 where !serverLog().contains("serving on port") && server.isRunning { usleep(100_000) }
            #expect(serverLog().contains("serving on port \(port)"), "the piñata did not start:\n\(serverLog())")

            func curl(_ version: String, _ client: String?) throws -> Finished {
                try namespace.exec(["/usr/bin/curl", "-sS", "--max-time", "10", "--cacert", certificates.authority, "--tls-max", version,
                                    "--resolve", "localhost:\(port):\(host)"]
                                   + (client.map { ["--cert", $0 + ".pem", "--key", $0 + ".key"] } ?? []) + ["https://localhost:\(port)/"])
            }
            for version in ["1.3", "1.2"] {
                let won = try curl(version, certificates.client)
                #expect(won.status == 0 && won.output == secret, "TLS \(version) with alice's certificate: \(won.status) \(won.errorOutput)")
                let anonymous = try curl(version, nil)
                #expect(anonymous.status != 0 && !anonymous.output.contains("piñata"), "TLS \(version) without a certificate got \(anonymous.output)")
                let stranger = try curl(version, certificates.stranger)
                #expect(stranger.status != 0 && !stranger.output.contains("piñata"), "TLS \(version) with another CA's certificate got \(stranger.output)")
            }
            let text = serverLog()
            #expect(text.components(separatedBy: "[pinata] GET / 200: the secret handed out").count - 1 == 2, "\(text.suffix(3000))")
            for refusal in ["sent certificate_required: the client presented no certificate",
                            "sent handshake_failure: the client presented no certificate", "sent unknown_ca"] {
                #expect(text.contains("[tls] handshake with ") && text.contains(refusal), "no '\(refusal)' in the log:\n\(text.suffix(3000))")
            }
            #expect(text.components(separatedBy: "sent unknown_ca").count - 1 == 2, "\(text.suffix(3000))")
            #expect(server.isRunning, "the piñata exited:\n\(text.suffix(2000))")
        }

        @Test("hvt: a KVM guest over tap", .enabled(if: kvmAvailable))
        func hvt() throws {
            _ = try PinataCertificates.prepare()
            let image = try ExampleImages.image("tls-pinata", target: "hvt")
            try check([tender, "--net:service=tap0", "--", image, "--ipv4=10.0.0.2/24"], host: "10.0.0.2", port: 443)
        }
    }
}
