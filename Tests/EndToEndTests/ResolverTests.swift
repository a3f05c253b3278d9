import Foundation
import Testing

/// The example zone with a name for the namespace's end of the tap, where a web server runs,
/// and a TXT set of 1.6 KB, more than Knot sends over UDP (1232 bytes, as the 2020 DNS flag day chose).
func resolverTestZone() throws -> String {
    let path = scratchDirectory + "mirage-resolver-zone-\(getpid()).zone"
    let huge = (0..<8).map { "huge TXT \"\($0)\(String(repeating: "x", count: 199))\"\n" }.joined()
    let zone = try String(contentsOfFile: exampleZoneFile, encoding: .utf8) + "web A 10.0.0.1\nweb6 AAAA fd00::1\n" + huge
    try zone.write(toFile: path, atomically: true, encoding: .utf8)
    return path
}

/// The lookups every run makes, and what Knot's answers must give: aliases followed, a TXT set
/// Knot truncates over UDP asked again over TCP, a name that
/// does not exist, and a chain leaving the zone that Knot (authoritative only) refuses to follow.
let resolverLookups = "www.example.com,ftp.example.com/A,mail.example.com/AAAA,huge.example.com/TXT,nothing.example.com/A,docs.example.com/A"

/// Checks the log of a fetch run with ``resolverLookups`` and `--url=http://web.example.com:8080/`.
func expectResolverLog(_ finished: Finished, file: String = #filePath, line: Int = #line) {
    let log = finished.errorOutput
    let location = SourceLocation(fileID: "EndToEndTests/ResolverTests.swift", filePath: file, line: line, column: 1)
    for expected in [
        "lookup www.example.com AAAA: www.example.com. 3600 IN CNAME example.com.",
        "lookup www.example.com AAAA: example.com. 3600 IN AAAA 2001:db8::1",
        "lookup www.example.com A: example.com. 3600 IN A 192.0.2.1",
        "lookup ftp.example.com A: ftp.example.com. 3600 IN CNAME www.example.com.",
        "lookup ftp.example.com A: example.com. 3600 IN A 192.0.2.1",
        "lookup mail.example.com AAAA: mail.example.com. 3600 IN AAAA 2001:db8::25",
        "lookup huge.example.com TXT: huge.example.com. 3600 IN TXT \"7xxxxxxxxx",
        "lookup nothing.example.com A: nothing.example.com. does not exist (NXDOMAIN)",
        "lookup docs.example.com A: the DNS resolvers failed: REFUSED",
        "GET http://web.example.com:8080/: 200,",
        "2 lookups gave no records",
    ] {
        #expect(log.contains(expected), "missing '\(expected)' in:\n\(log)", sourceLocation: location)
    }
    #expect(log.components(separatedBy: "lookup huge.example.com TXT: huge.example.com.").count == 9, "\(log)", sourceLocation: location)
    #expect(finished.status == 1, "\(log)", sourceLocation: location)
}

extension EndToEnd {
    /// The fetch example's stub resolver against Knot (Debian's) in a namespace, on unix over
    /// tap, over the host's sockets and in an hvt guest, and against dnsmasq's DNS named in a
    /// DHCP lease.
    @Suite("The stub resolver against Knot and dnsmasq", .serialized, .enabled(if: networkTestsAvailable && dnsPeersAvailable))
    struct ResolverTests {
        /// A namespace with Knot on 10.0.0.1 and fd00::1 port 53 and a web server on 10.0.0.1:8080.
        func namespaceWithKnot() throws -> NetworkNamespace {
            let namespace = try NetworkNamespace()
            try namespace.exec(["ip", "-6", "addr", "add", "fd00::1/64", "dev", "tap0", "nodad"])
            _ = try startKnot(in: namespace, address: "10.0.0.1", port: 53, alsoOn: ["fd00::1"], zoneFile: try resolverTestZone())
            let web = scratchDirectory + namespace.name + "-web.log"
            let server = try namespace.start(["/usr/bin/python3", "-m", "http.server", "--bind", "10.0.0.1", "8080",
                                              "--directory", repositoryRoot + "/Examples/static-website/htdocs"], log: web)
            try waitForLog(web, "Serving HTTP", server, what: "the web server")
            return namespace
        }

        func fetch(_ command: [String], _ arguments: [String]) throws -> Finished {
            let namespace = try namespaceWithKnot()
            return try namespace.exec(["/usr/bin/timeout", "60"] + command + arguments)
        }

        let lookups = ["--lookup=" + resolverLookups, "--url=http://web.example.com:8080/"]

        @Test("unix, our stack over tap, asking Knot over IPv4")
        func direct() throws {
            let image = try ExampleImages.image("fetch", network: "direct")
            expectResolverLog(try fetch([image], ["--ipv4=10.0.0.2/24", "--ipv6=none", "--resolver=10.0.0.1"] + lookups))
        }

        @Test("unix, our stack over tap, asking Knot over IPv6")
        func directOverIPv6() throws {
            let image = try ExampleImages.image("fetch", network: "direct")
            let finished = try fetch([image], ["--ipv4=10.0.0.2/24", "--ipv6=fd00::2/64", "--resolver=fd00::1",
                                               "--lookup=mail.example.com,web6.example.com"])
            #expect(finished.status == 0, "\(finished.errorOutput)")
            for expected in ["lookup mail.example.com AAAA: mail.example.com. 3600 IN AAAA 2001:db8::25",
                             "lookup mail.example.com A: mail.example.com. 3600 IN A 192.0.2.25",
                             "lookup web6.example.com AAAA: web6.example.com. 3600 IN AAAA fd00::1",
                             "lookup web6.example.com A: no records"] {
                #expect(finished.errorOutput.contains(expected), "missing '\(expected)' in:\n\(finished.errorOutput)")
            }
        }

        @Test("unix, the host's sockets, the resolver from the namespace's /etc/resolv.conf")
        func socket() throws {
            let image = try ExampleImages.image("fetch", network: "socket")
            let namespace = try namespaceWithKnot()
            // `ip netns exec` mounts /etc/netns/NAME/resolv.conf over /etc/resolv.conf.
            let folder = "/etc/netns/" + namespace.name
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: folder) }
            try "# for the resolver test\nnameserver 10.0.0.1\n".write(toFile: folder + "/resolv.conf", atomically: true, encoding: .utf8)
            expectResolverLog(try namespace.exec(["/usr/bin/timeout", "60", image] + lookups))
        }

        @Test("hvt: a KVM guest asking Knot", .enabled(if: kvmAvailable, "SKIP: /dev/kvm is absent or not writable"))
        func hvt() throws {
            let image = try ExampleImages.image("fetch", target: "hvt")
            expectResolverLog(try fetch([tender, "--net:service=tap0", "--", image],
                                        ["--ipv4=10.0.0.2/24", "--ipv6=none", "--resolver=10.0.0.1"] + lookups))
        }

        /// Runs fetch with `arguments` and `--lookup=printer.mirage.test` in a fresh namespace where
        /// dnsmasq (with `options`) knows printer.mirage.test and no resolver is given, so the
        /// network must name it; checks both addresses came, and returns the log and dnsmasq's.
        func lookUpPrinter(target: String, dnsmasq options: [String], _ arguments: [String],
                           prepare: (NetworkNamespace) throws -> Void = { _ in }) throws -> (String, String) {
            let namespace = try NetworkNamespace()
            try prepare(namespace)
            let serverLog = scratchDirectory + namespace.name + "-dnsmasq.log"
            let started = try namespace.exec(["/usr/sbin/dnsmasq", "--interface=tap0", "--no-resolv", "--no-hosts", "--log-queries",
                                              "--log-facility=" + serverLog, "--pid-file=" + serverLog + ".pid",
                                              "--host-record=printer.mirage.test,10.0.0.9,fd00::9"] + options)
            guard started.status == 0 else { throw ToolFailure(description: "dnsmasq: \(started.errorOutput)") }
            defer { stopDnsmasq(log: serverLog) }
            let command = target == "hvt"
                ? [tender, "--net:service=tap0", "--", try ExampleImages.image("fetch", target: "hvt")]
                : [try ExampleImages.image("fetch", network: "direct")]
            let finished = try namespace.exec(["/usr/bin/timeout", "60"] + command + arguments + ["--lookup=printer.mirage.test"])
            #expect(finished.status == 0, "\(finished.errorOutput)")
            for expected in ["lookup printer.mirage.test AAAA: printer.mirage.test. 0 IN AAAA fd00::9",
                             "lookup printer.mirage.test A: printer.mirage.test. 0 IN A 10.0.0.9"] {
                #expect(finished.errorOutput.contains(expected), "missing '\(expected)' in:\n\(finished.errorOutput)")
            }
            return (finished.errorOutput, (try? String(contentsOfFile: serverLog, encoding: .utf8)) ?? "")
        }

        @Test("the resolver named in a DHCP lease: dnsmasq hands out the address and answers for a host it knows",
              arguments: ["unix", "hvt"])
        func fromDHCP(target: String) throws {
            if target == "hvt", !kvmAvailable { return }
            guard dnsmasqAvailable else { return }
            let (log, server) = try lookUpPrinter(target: target, dnsmasq: [
                "--bind-interfaces", "--dhcp-range=10.0.0.50,10.0.0.50,255.255.255.0,2m",
                "--dhcp-leasefile=" + scratchDirectory + "mirage-resolver-\(getpid())-\(target).leases",
            ], ["--ipv4=dhcp", "--ipv6=none"])
            #expect(log.contains("DHCP lease 10.0.0.50/24 from 10.0.0.1") && log.contains("DNS 10.0.0.1"), "\(log)")
            #expect(server.contains("query[A] printer.mirage.test from 10.0.0.50"), "\(server)")
        }

        @Test("the resolver a router advertisement names (RDNSS, RFC 8106): dnsmasq advertises itself over IPv6 and answers",
              arguments: ["unix", "hvt"])
        func fromRouterAdvertisement(target: String) throws {
            if target == "hvt", !kvmAvailable { return }
            guard dnsmasqAvailable else { return }
            // --bind-dynamic: dnsmasq advertises its link-local address, which is tentative until
            // the unikernel brings the tap's carrier up, so it must listen on it once it is there.
            let (_, server) = try lookUpPrinter(target: target, dnsmasq: ["--bind-dynamic", "--enable-ra", "--dhcp-range=fd00::,ra-only,64,1h"],
                                                ["--ipv4=10.0.0.2/24"]) { namespace in
                try namespace.exec(["ip", "-6", "addr", "add", "fd00::1/64", "dev", "tap0", "nodad"])
                // The kernel's own link-local address on the tap comes when our start brings the
                // carrier up, after its DAD; until then dnsmasq sends its advertisements from
                // fd00::1, which a host must drop (RFC 4861 section 6.1.2: from a link-local
                // source only), and the next comes too late for the lookup. Without DAD on the
                // kernel's side, it has its link-local address at once.
                try namespace.exec(["sysctl", "-qw", "net.ipv6.conf.tap0.accept_dad=0"])
            }
            // Asked at its link-local address, from ours (RFC 6724's source for a link-local destination).
            #expect(server.contains("query[AAAA] printer.mirage.test from fe80::"), "\(server)")
        }
    }
}
