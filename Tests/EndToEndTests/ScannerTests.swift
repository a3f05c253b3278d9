import Foundation
import Testing

/// Whether testssl.sh (Debian's `testssl.sh`, which scripts/test installs) is here.
let testsslAvailable: Bool = {
    let available = FileManager.default.isExecutableFile(atPath: "/usr/bin/testssl")
    if !available { print("SKIP: the HTTPS website under testssl.sh: /usr/bin/testssl is missing (apt-get install testssl.sh)") }
    return available
}()

extension EndToEnd {
    @Suite("The HTTPS website under a TLS scanner", .serialized, .enabled(if: networkTestsAvailable && testsslAvailable))
    struct ScannerTests {
        /// The website configured `--tls=true` on host sockets, scanned by testssl.sh with its
        /// probes made by the system's OpenSSL (`--ssl-native`: testssl's own socket probes send
        /// TLS 1.2 hellos without the extended master secret, which the server requires, and so
        /// report TLS 1.2 as not offered): protocols, forward secrecy and groups, every
        /// vulnerability test, and every cipher it knows. Only TLS 1.2 and 1.3, the issue's suites
        /// and groups, and no vulnerability may show.
        @Test("testssl.sh: TLS 1.2 and 1.3 only, the three TLS 1.3 suites and the six ECDHE suites (ECDSA and RSA chains), three groups, no vulnerability")
        func testssl() throws {
            let authority = try WebsiteCertificates.prepare()
            let image = try ExampleImages.image("static-website", network: "socket", configure: ["--tls=true"])
            let namespace = try NetworkNamespace()
            let log = scratchDirectory + namespace.name + "-website.log"
            let server = try namespace.start([image, "--port=8080", "--tls-port=8443"], log: log)
            try waitUntilServing(log, server)
            let scan = try namespace.exec(["/usr/bin/timeout", "600", "/usr/bin/testssl", "--quiet", "--color", "0", "--warnings", "off",
                                           "--ssl-native", "--add-ca", authority, "-p", "-e", "-f", "-U", "https://127.0.0.1:8443/"])
            let report = scan.output
            print(report)
            func line(_ prefix: String) -> String {
                report.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.first { $0.hasPrefix(prefix) } ?? "(no \(prefix) line)"
            }
            #expect(line("TLS 1.3").contains("offered (OK)") && line("TLS 1.2").contains("offered (OK)"), "\(line("TLS 1.3")) / \(line("TLS 1.2"))")
            #expect(line("TLS 1 ").contains("not offered") && line("TLS 1.1").contains("not offered"), "\(line("TLS 1 ")) / \(line("TLS 1.1"))")
            #expect(line("Elliptic curves offered:").hasSuffix("prime256v1 secp384r1 X25519"), "\(line("Elliptic curves offered:"))")

            // The cipher table: one row per suite, the hex code first.
            let suites = Set(report.split(separator: "\n").compactMap { row -> String? in
                let fields = row.split(separator: " ")
                guard let code = fields.first, code.hasPrefix("x"), code.count >= 5, fields.count > 1 else { return nil }
                return String(fields[1])
            })
            #expect(suites == ["TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256",
                               "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-ECDSA-CHACHA20-POLY1305",
                               "ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-RSA-AES256-GCM-SHA384", "ECDHE-RSA-CHACHA20-POLY1305"], "\(suites.sorted())")

            // Every vulnerability line says the server is not vulnerable (or has nothing to test).
            guard let start = report.range(of: "Testing vulnerabilities"), let end = report.range(of: "Testing all ") else {
                Issue.record("no vulnerability section in the report:\n\(report)")
                return
            }
            let vulnerabilities = report[start.upperBound..<end.lowerBound].split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
                .filter { $0.contains("(CVE-") || $0.hasPrefix("ROBOT") || $0.hasPrefix("Secure ") || $0.hasPrefix("TLS_FALLBACK_SCSV") }
            #expect(vulnerabilities.count >= 15, "\(vulnerabilities)")
            let harmless = ["not vulnerable", "Server does not support any cipher suites that use RSA key transport",
                            "no HTTP compression (OK)", "No fallback possible (OK)", "Local problem"]
            for finding in vulnerabilities where !harmless.contains(where: finding.contains) {
                Issue.record("testssl.sh: \(finding)")
            }
            #expect(!report.contains("VULNERABLE") && !report.contains("NOT ok"), "\(report)")
            #expect(server.isRunning, "the website exited under the scan")
        }
    }
}
