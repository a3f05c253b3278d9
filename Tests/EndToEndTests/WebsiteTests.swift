import Foundation
import Testing

/// The client-side checks of the static website, in Python with curl
/// (Tests/EndToEndTests/Fixtures/http/client.py).
let websiteClient = repositoryRoot + "/Tests/EndToEndTests/Fixtures/http/client.py"

/// Whether curl is here; the website suite says so and skips when not.
let curlAvailable: Bool = {
    let available = FileManager.default.isExecutableFile(atPath: "/usr/bin/curl")
    if !available { print("SKIP: static website end-to-end tests: /usr/bin/curl is missing") }
    return available
}()

/// Waits until `log` shows the website listening, for up to `seconds`.
func waitUntilServing(_ log: String, _ process: Process, seconds: Int = 20) throws {
    for _ in 0..<(seconds * 10) {
        if let text = try? String(contentsOfFile: log, encoding: .utf8), text.contains("serving on port") || text.contains("serving HTTPS on port") {
            return
        }
        if !process.isRunning { break }
        usleep(100_000)
    }
    let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
    throw SetupError("the website did not start:\n\(text)")
}

/// A development CA and the website's certificate for localhost, 127.0.0.1 and 10.0.0.2, made
/// once per run by scripts/dev-certificate (the README's way) into
/// Examples/static-website/certificates, where `configure --tls=true` compiles them in: an
/// ECDSA P-256 chain (`server.pem`) and an RSA one (`rsa.pem`).
enum WebsiteCertificates {
    static let lock = NSLock()
    nonisolated(unsafe) static var authority: String?

    /// The CA's certificate, for curl's --cacert.
    static func prepare() throws -> String {
        lock.lock()
        defer { lock.unlock() }
        if let authority { return authority }
        let folder = scratchDirectory + "mirage-dev-ca-\(getpid())"
        let store = repositoryRoot + "/Examples/static-website/certificates"
        let result = try run(["/usr/bin/env", "MIRAGE_DEV_CA=\(folder)", repositoryRoot + "/scripts/dev-certificate",
                              store, "localhost", "127.0.0.1", "10.0.0.2"])
        guard result.status == 0 else { throw SetupError("scripts/dev-certificate failed: \(result.errorOutput)") }
        // A second chain with an RSA key from the same CA, as rsa.pem/rsa.key serving localhost:
        // a client that accepts only RSA signatures or ECDHE-RSA suites gets it.
        let rsaFolder = folder + "-rsa"
        try FileManager.default.createDirectory(atPath: rsaFolder, withIntermediateDirectories: true)
        let rsa = try run(["/usr/bin/env", "MIRAGE_DEV_CA=\(folder)", repositoryRoot + "/scripts/dev-certificate", "--rsa",
                           rsaFolder, "localhost", "127.0.0.1", "10.0.0.2"])
        guard rsa.status == 0 else { throw SetupError("scripts/dev-certificate --rsa failed: \(rsa.errorOutput)") }
        for (from, to) in [("server.pem", "rsa.pem"), ("server.key", "rsa.key")] {
            try? FileManager.default.removeItem(atPath: store + "/" + to)
            try FileManager.default.moveItem(atPath: rsaFolder + "/" + from, toPath: store + "/" + to)
        }
        try "localhost\n".write(toFile: store + "/rsa.names", atomically: true, encoding: .utf8)
        authority = folder + "/ca.pem"
        return folder + "/ca.pem"
    }
}

struct SetupError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

extension EndToEnd {
    @Suite("The static website against curl and hostile clients", .serialized, .enabled(if: networkTestsAvailable && curlAvailable))
    struct WebsiteTests {
        /// Starts `command` in a fresh namespace and runs the client checks against HOST:PORT.
        func check(_ command: [String], host: String, port: Int) throws {
            let namespace = try NetworkNamespace()
            let log = scratchDirectory + namespace.name + "-website.log"
            let server = try namespace.start(command, log: log)
            try waitUntilServing(log, server)
            let result = try namespace.exec(["/usr/bin/python3", websiteClient, host, String(port)])
            let serverLog = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            #expect(result.status == 0, "\(result.output)\(result.errorOutput)\nserver:\n\(serverLog.suffix(3000))")
            #expect(result.output.contains("malformed: 14 requests answered"), "\(result.output)")
            #expect(result.output.contains("wrk: ") || result.output.contains("SKIP: the wrk load"), "\(result.output)")
            if result.output.contains("SKIP: the wrk load") { print("SKIP: the website's wrk load: wrk is not installed") }
            #expect(serverLog.contains("[http] GET / 200 "), "no request line logged:\n\(serverLog.suffix(2000))")
            #expect(server.isRunning, "the website exited:\n\(serverLog.suffix(2000))")
        }

        @Test("unix, the host's sockets (--net=socket)")
        func socket() throws {
            let image = try ExampleImages.image("static-website", network: "socket")
            try check([image, "--port=8080"], host: "127.0.0.1", port: 8080)
        }

        @Test("unix, our stack over tap (--net=direct)")
        func direct() throws {
            let image = try ExampleImages.image("static-website", network: "direct")
            try check([image, "--ipv4=10.0.0.2/24"], host: "10.0.0.2", port: 80)
        }

        @Test("hvt: a KVM guest", .enabled(if: kvmAvailable))
        func hvt() throws {
            let image = try ExampleImages.image("static-website", target: "hvt")
            try check([tender, "--net:service=tap0", "--", image, "--ipv4=10.0.0.2/24"], host: "10.0.0.2", port: 80)
        }

        /// Starts `command` (the website configured `--tls=true`, with `--hsts=true`) in a fresh
        /// namespace and checks HTTPS on `httpsPort` with curl trusting only the development CA,
        /// the redirect from HTTP on `httpPort`, and that a client trusting another CA refuses it.
        func checkHTTPS(_ command: [String], host: String, httpPort: Int, httpsPort: Int, authority: String, fullMatrix: Bool = false) throws {
            let namespace = try NetworkNamespace()
            let log = scratchDirectory + namespace.name + "-website.log"
            let server = try namespace.start(command, log: log)
            try waitUntilServing(log, server)
            let resolve = ["--resolve", "localhost:\(httpsPort):\(host)"]
            let page = try namespace.exec(["/usr/bin/curl", "-sS", "--max-time", "10", "--cacert", authority] + resolve
                                          + ["-o", "/dev/null", "-w", "%{http_code} %{ssl_verify_result} %header{strict-transport-security}",
                                             "https://localhost:\(httpsPort)/index.html"])
            let serverLog = { (try? String(contentsOfFile: log, encoding: .utf8)) ?? "" }
            #expect(page.output == "200 0 max-age=31536000", "\(page.output) \(page.errorOutput)\nserver:\n\(serverLog().suffix(2000))")
            let redirect = try namespace.exec(["/usr/bin/curl", "-sS", "--max-time", "10", "-o", "/dev/null", "-w", "%{http_code} %{redirect_url}",
                                               "http://\(host):\(httpPort)/css/site.css?v=1"])
            let authority443 = httpsPort == 443 ? host : "\(host):\(httpsPort)"
            #expect(redirect.output == "308 https://\(authority443)/css/site.css?v=1", "\(redirect.output) \(redirect.errorOutput)")
            // Without the development CA the certificate is not trusted: curl's error 60.
            let untrusted = try namespace.exec(["/usr/bin/curl", "-sS", "--max-time", "10", "--cacert", "/etc/ssl/certs/ca-certificates.crt"]
                                               + resolve + ["https://localhost:\(httpsPort)/"])
            #expect(untrusted.status == 60, "curl trusting the system's CAs: \(untrusted.status) \(untrusted.errorOutput)")
            #expect(serverLog().contains("[http] GET /index.html 200 "), "no request line logged:\n\(serverLog().suffix(2000))")
            try checkTLSPeers(namespace, host: host, httpsPort: httpsPort, authority: authority, fullMatrix: fullMatrix)
            #expect(server.isRunning, "the website exited:\n\(serverLog().suffix(2000))")
        }

        /// OpenSSL's and GnuTLS's command-line clients, validating the chain against the
        /// development CA, fetch a page in TLS 1.3 and in TLS 1.2, and `s_client` resumes a
        /// session in each: the interop matrix on each path (host sockets, our stack over tap, the
        /// hvt guest). With `fullMatrix`, `s_client` also completes every suite × group × the
        /// certificate's key (ECDSA, RSA) of both versions.
        func checkTLSPeers(_ namespace: NetworkNamespace, host: String, httpsPort: Int, authority: String, fullMatrix: Bool = false) throws {
            let request = "printf 'GET /index.html HTTP/1.1\\r\\nHost: localhost\\r\\nConnection: close\\r\\n\\r\\n'"
            let sClient = "timeout 10 openssl s_client -connect \(host):\(httpsPort) -servername localhost -verify_return_error -CAfile \(authority) -ign_eof"
            for (version, openssl, gnutls) in [("TLS 1.3", "-tls1_3", "+VERS-TLS1.3"), ("TLS 1.2", "-tls1_2", "+VERS-TLS1.2")] {
                let viaOpenSSL = try namespace.exec(["/bin/sh", "-c", "\(request) | \(sClient) \(openssl) -quiet"])
                #expect(viaOpenSSL.output.hasPrefix("HTTP/1.1 200 OK"), "openssl s_client \(version): \(viaOpenSSL.output.prefix(200)) \(viaOpenSSL.errorOutput.suffix(500))")
                // gnutls-cli ends at the end of its input: the input stays open until the answer is in.
                let viaGnuTLS = try namespace.exec(["/bin/sh", "-c", "(\(request); sleep 2) | timeout 10 gnutls-cli --x509cafile \(authority) "
                                                    + "--verify-hostname=localhost --sni-hostname=localhost --priority NORMAL:-VERS-ALL:\(gnutls) "
                                                    + "-p \(httpsPort) \(host)"])
                // Its session line, "- Description: (TLS1.3-X.509)-(ECDHE-X25519)-...", names the version.
                let description = "- Description: (" + (version == "TLS 1.3" ? "TLS1.3" : "TLS1.2")
                #expect(viaGnuTLS.output.contains("HTTP/1.1 200 OK") && (viaGnuTLS.output + viaGnuTLS.errorOutput).contains(description),
                        "gnutls-cli \(version): \(viaGnuTLS.output.suffix(600)) \(viaGnuTLS.errorOutput.suffix(300))")
                // Resumption: a session kept by one s_client is resumed by the next (a PSK in
                // TLS 1.3, an RFC 5077 ticket in TLS 1.2).
                let session = scratchDirectory + namespace.name + "-session.pem"
                _ = try namespace.exec(["/bin/sh", "-c", "\(request) | \(sClient) \(openssl) -sess_out \(session)"])
                let resumed = try namespace.exec(["/bin/sh", "-c", "\(request) | \(sClient) \(openssl) -sess_in \(session)"])
                try? FileManager.default.removeItem(atPath: session)
                let printed = "Reused, TLSv" + (version == "TLS 1.3" ? "1.3" : "1.2")
                #expect(resumed.output.contains(printed) && resumed.output.contains("HTTP/1.1 200 OK"),
                        "s_client -sess_in \(version): \(resumed.output.prefix(1500)) \(resumed.errorOutput.suffix(300))")
            }
            guard fullMatrix else { return }
            var completed = 0
            for group in ["X25519", "P-256", "P-384"] {
                for key in ["ECDSA", "RSA"] {
                    // TLS 1.3: the key by the signature algorithms offered; TLS 1.2: by the suite.
                    let sigalgs = key == "ECDSA" ? "ecdsa_secp256r1_sha256" : "rsa_pss_rsae_sha256"
                    var runs = ["TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"]
                        .map { ($0, "-tls1_3 -ciphersuites \($0) -sigalgs \(sigalgs)") }
                    runs += ["AES128-GCM-SHA256", "AES256-GCM-SHA384", "CHACHA20-POLY1305"]
                        .map { "ECDHE-\(key)-\($0)" }.map { ($0, "-tls1_2 -cipher \($0)") }
                    for (suite, options) in runs {
                        // A TLS 1.2 client verifies ECDSA certificates on the curves it lists
                        // (RFC 8422 section 5.1): the P-256 certificate's curve goes with the group.
                        let groups = key == "ECDSA" && options.contains("tls1_2") && group != "P-256" ? group + ":P-256" : group
                        let result = try namespace.exec(["/bin/sh", "-c", "\(request) | \(sClient) \(options) -groups \(groups)"])
                        let text = result.output
                        #expect(text.contains("HTTP/1.1 200 OK") && text.contains("Cipher is \(suite)") && text.contains("Verify return code: 0 (ok)")
                                && text.contains("Peer signature type: " + (key == "ECDSA" ? "ECDSA" : options.contains("tls1_3") ? "RSA-PSS" : "RSA")),
                                "s_client \(suite) \(group) \(key): \(text.prefix(1500)) \(result.errorOutput.suffix(300))")
                        if text.contains("HTTP/1.1 200 OK") { completed += 1 }
                    }
                }
            }
            print("TLS interop on this path: openssl s_client completed \(completed) of 36 suite × group × key handshakes")
        }

        @Test("HTTPS (--tls=true): unix, the host's sockets")
        func httpsSocket() throws {
            let authority = try WebsiteCertificates.prepare()
            let image = try ExampleImages.image("static-website", network: "socket", configure: ["--tls=true"])
            try checkHTTPS([image, "--port=8080", "--tls-port=8443", "--hsts=true"], host: "127.0.0.1", httpPort: 8080, httpsPort: 8443,
                           authority: authority)
        }

        @Test("HTTPS (--tls=true): unix, our stack over tap")
        func httpsDirect() throws {
            let authority = try WebsiteCertificates.prepare()
            let image = try ExampleImages.image("static-website", network: "direct", configure: ["--tls=true"])
            try checkHTTPS([image, "--ipv4=10.0.0.2/24", "--hsts=true"], host: "10.0.0.2", httpPort: 80, httpsPort: 443, authority: authority)
        }

        @Test("HTTPS (--tls=true): hvt, a KVM guest", .enabled(if: kvmAvailable))
        func httpsHVT() throws {
            let authority = try WebsiteCertificates.prepare()
            let image = try ExampleImages.image("static-website", target: "hvt", configure: ["--tls=true"])
            try checkHTTPS([tender, "--net:service=tap0", "--", image, "--ipv4=10.0.0.2/24", "--hsts=true"], host: "10.0.0.2",
                           httpPort: 80, httpsPort: 443, authority: authority, fullMatrix: true)
        }

        @Test("HTTPS configured without a certificate: the website stops at start naming the fix")
        func httpsWithoutCertificate() throws {
            _ = try WebsiteCertificates.prepare()
            let image = try ExampleImages.image("static-website", network: "socket", configure: ["--tls=true", "--kv=tar"])
            let archive = scratchDirectory + "mirage-empty-\(getpid()).tar"
            _ = try run(["/usr/bin/tar", "-cf", archive, "-T", "/dev/null"])
            let htdocs = try websiteArchive(after: image)
            let result = try run([image, "--port=8080", "--block:certificates=\(archive)", "--block:htdocs=\(htdocs)"])
            #expect(result.status == 1)
            #expect(result.errorOutput.contains("cannot connect device 'tls:certificates': the certificate store has no server.pem"),
                    "\(result.errorOutput)")
        }

        /// The tar archive `swift-mirage build` wrote beside the image configured `--kv=tar`, copied.
        func websiteArchive(after image: String) throws -> String {
            let copy = image + ".htdocs.tar"
            try? FileManager.default.removeItem(atPath: copy)
            try FileManager.default.copyItem(atPath: repositoryRoot + "/Examples/static-website/dist/htdocs.tar", toPath: copy)
            return copy
        }

        @Test("unix, the files from a tar archive on a block device (--kv=tar)")
        func socketTar() throws {
            let image = try ExampleImages.image("static-website", network: "socket", configure: ["--kv=tar"])
            let archive = try websiteArchive(after: image)
            try check([image, "--port=8080", "--block:htdocs=\(archive)"], host: "127.0.0.1", port: 8080)
        }

        @Test("hvt, the files from a tar archive on the tender's block device (--kv=tar)", .enabled(if: kvmAvailable))
        func hvtTar() throws {
            let image = try ExampleImages.image("static-website", target: "hvt", configure: ["--kv=tar"])
            let archive = try websiteArchive(after: image)
            try check([tender, "--net:service=tap0", "--block:htdocs=\(archive)", "--", image, "--ipv4=10.0.0.2/24"],
                      host: "10.0.0.2", port: 80)
        }

        @Test("a corrupt or missing archive stops the website at start with a message naming the problem")
        func corruptArchive() throws {
            let image = try ExampleImages.image("static-website", network: "socket", configure: ["--kv=tar"])
            let corrupt = scratchDirectory + "mirage-corrupt-\(getpid()).tar"
            var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: try websiteArchive(after: image))))
            bytes[148] ^= 0x01 // the first header's checksum
            try Data(bytes).write(to: URL(fileURLWithPath: corrupt))
            let bad = try run([image, "--port=8080", "--block:htdocs=\(corrupt)"])
            #expect(bad.status == 1)
            #expect(bad.errorOutput.contains("cannot connect device 'kv:htdocs': a corrupt tar archive:"), "\(bad.errorOutput)")
            let missing = try run([image, "--port=8080", "--block:htdocs=/nonexistent/htdocs.tar"])
            #expect(missing.status == 1)
            #expect(missing.errorOutput.contains("cannot open '/nonexistent/htdocs.tar'"), "\(missing.errorOutput)")
        }
    }
}
