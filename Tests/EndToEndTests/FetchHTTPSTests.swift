import Foundation
import Testing

extension EndToEnd {
    /// Our TLS client in a unikernel against servers no one here wrote: the fetch example GETs
    /// `https://` URLs from `openssl s_server -www` (TLS 1.3, then TLS 1.2 with an RFC 5077
    /// ticket) and `gnutls-serv --http` in a namespace, resolving the name through Knot and
    /// validating the chain against a development CA given as its `trust` store (`--kv=tar`: a tar
    /// archive on a block device made here), on unix over tap and in an hvt guest. It refuses a
    /// server whose CA it does not trust (`unknown_ca`), one whose certificate is for another name
    /// (`bad_certificate`), and anything when the store is empty.
    @Suite("The fetch example over HTTPS against OpenSSL and GnuTLS servers", .serialized,
           .enabled(if: networkTestsAvailable && dnsPeersAvailable))
    struct FetchHTTPSTests {
        /// A development CA and a certificate it signed for web.example.com and 10.0.0.1; another
        /// CA; tar archives of each CA's certificate and an empty one, for `--block:trust=`.
        struct Material {
            let folder: String
            var certificate: String { folder + "/server/server.pem" }
            var key: String { folder + "/server/server.key" }
            var trusted: String { folder + "/trusted.tar" }
            var other: String { folder + "/other.tar" }
            var empty: String { folder + "/empty.tar" }

            init() throws {
                folder = scratchDirectory + "mirage-fetch-https-\(getpid())"
                try? FileManager.default.removeItem(atPath: folder)
                for sub in ["server", "other-server", "trust-trusted", "trust-other", "trust-empty"] {
                    try FileManager.default.createDirectory(atPath: folder + "/" + sub, withIntermediateDirectories: true)
                }
                for (ca, server) in [("ca", "server"), ("other-ca", "other-server")] {
                    let made = try run(["/usr/bin/env", "MIRAGE_DEV_CA=\(folder)/\(ca)", repositoryRoot + "/scripts/dev-certificate",
                                        folder + "/" + server, "web.example.com", "10.0.0.1"])
                    guard made.status == 0 else { throw SetupError("scripts/dev-certificate: \(made.errorOutput)") }
                }
                try FileManager.default.copyItem(atPath: folder + "/ca/ca.pem", toPath: folder + "/trust-trusted/ca.pem")
                try FileManager.default.copyItem(atPath: folder + "/other-ca/ca.pem", toPath: folder + "/trust-other/ca.pem")
                for name in ["trusted", "other", "empty"] {
                    let tar = try run(["/usr/bin/tar", "--format=ustar", "-cf", "\(folder)/\(name).tar", "-C", "\(folder)/trust-\(name)", "."])
                    guard tar.status == 0 else { throw SetupError("tar: \(tar.errorOutput)") }
                }
            }
        }

        /// A namespace with Knot on 10.0.0.1 (web and other.example.com there), `openssl s_server`
        /// on 10.0.0.1:4413 (TLS 1.3) and :4412 (TLS 1.2), and `gnutls-serv` on :4414.
        func namespaceWithServers(_ material: Material) throws -> NetworkNamespace {
            let namespace = try NetworkNamespace()
            let zone = scratchDirectory + namespace.name + "-https.zone"
            try (try String(contentsOfFile: exampleZoneFile, encoding: .utf8) + "web A 10.0.0.1\nother A 10.0.0.1\n")
                .write(toFile: zone, atomically: true, encoding: .utf8)
            _ = try startKnot(in: namespace, address: "10.0.0.1", port: 53, zoneFile: zone)
            for (port, version) in [(4413, "-tls1_3"), (4412, "-tls1_2")] {
                let log = scratchDirectory + namespace.name + "-s_server-\(port).log"
                let server = try namespace.start(["/usr/bin/openssl", "s_server", "-accept", "10.0.0.1:\(port)", "-cert", material.certificate,
                                                  "-key", material.key, version, "-www"], log: log)
                try waitForLog(log, "ACCEPT", server, what: "openssl s_server")
            }
            let log = scratchDirectory + namespace.name + "-gnutls-serv.log"
            let server = try namespace.start(["/usr/bin/gnutls-serv", "--http", "-p", "4414", "--x509certfile", material.certificate,
                                              "--x509keyfile", material.key], log: log)
            try waitForLog(log, "listening", server, what: "gnutls-serv")
            return namespace
        }

        /// Runs fetch (`command`, configured `--kv=tar`) with the trust store `trust` and each URL.
        func fetch(_ namespace: NetworkNamespace, _ command: [String], unikernelArguments: [String], url: String) throws -> Finished {
            try namespace.exec(["/usr/bin/timeout", "60"] + command + unikernelArguments
                               + ["--ipv4=10.0.0.2/24", "--ipv6=none", "--resolver=10.0.0.1", "--url=" + url])
        }

        func check(hvt: Bool) throws {
            let material = try Material()
            let namespace = try namespaceWithServers(material)
            let image = hvt ? try ExampleImages.image("fetch", target: "hvt", configure: ["--kv=tar"])
                : try ExampleImages.image("fetch", network: "direct", configure: ["--kv=tar"])
            // The trust store: the tender's block device on hvt, a boot argument on unix.
            func fetchWith(trust: String, _ url: String) throws -> Finished {
                hvt ? try fetch(namespace, [tender, "--net:service=tap0", "--block:trust=" + trust, "--", image], unikernelArguments: [], url: url)
                    : try fetch(namespace, [image], unikernelArguments: ["--block:trust=" + trust], url: url)
            }
            for (url, peer) in [("https://web.example.com:4413/", "openssl s_server, TLS 1.3"), ("https://web.example.com:4412/", "openssl s_server, TLS 1.2"),
                                ("https://web.example.com:4414/", "gnutls-serv"), ("https://10.0.0.1:4413/", "openssl s_server by address")] {
                let fetched = try fetchWith(trust: material.trusted, url)
                #expect(fetched.status == 0 && fetched.errorOutput.contains("GET \(url): 200, "), "\(peer): \(fetched.errorOutput.suffix(1500))")
            }
            let untrusted = try fetchWith(trust: material.other, "https://web.example.com:4413/")
            #expect(untrusted.status != 0 && untrusted.errorOutput.contains("sent unknown_ca"), "another CA: \(untrusted.errorOutput.suffix(1500))")
            let misnamed = try fetchWith(trust: material.trusted, "https://other.example.com:4412/")
            #expect(misnamed.status != 0 && misnamed.errorOutput.contains("sent bad_certificate: the certificate is not for other.example.com"),
                    "another name: \(misnamed.errorOutput.suffix(1500))")
            let empty = try fetchWith(trust: material.empty, "https://web.example.com:4414/")
            #expect(empty.status != 0 && empty.errorOutput.contains("sent unknown_ca: no certificate authority is trusted here"),
                    "an empty trust store: \(empty.errorOutput.suffix(1500))")
        }

        @Test("unix, our stack over tap")
        func direct() throws {
            try check(hvt: false)
        }

        @Test("hvt: a KVM guest", .enabled(if: kvmAvailable, "SKIP: /dev/kvm is absent or not writable"))
        func hvt() throws {
            try check(hvt: true)
        }
    }
}
