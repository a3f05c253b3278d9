import Foundation
import Testing

/// The client-side checks of the DNS server, in Python with dnspython
/// (Tests/EndToEndTests/Fixtures/dns/client.py).
let dnsClient = repositoryRoot + "/Tests/EndToEndTests/Fixtures/dns/client.py"

/// The zone the example serves, which Knot serves too.
let exampleZoneFile = repositoryRoot + "/Examples/dns-server/zones/example.com.zone"

/// Whether Knot (the reference server) and dnspython (the client) are here; the DNS suite says
/// which is missing and skips when one is (`scripts/test` installs both).
let dnsPeersAvailable: Bool = {
    guard FileManager.default.isExecutableFile(atPath: "/usr/sbin/knotd") else {
        print("SKIP: DNS end-to-end tests: /usr/sbin/knotd is missing (package knot)")
        return false
    }
    guard (try? run(["/usr/bin/python3", "-c", "import dns.query"]))?.status == 0 else {
        print("SKIP: DNS end-to-end tests: dnspython is missing for /usr/bin/python3 (package python3-dnspython)")
        return false
    }
    return true
}()

/// Waits until `log` contains `marker`, for up to `seconds`, failing with the log when the
/// process exits first or the time runs out.
func waitForLog(_ log: String, _ marker: String, _ process: Process, what: String, seconds: Int = 20) throws {
    for _ in 0..<(seconds * 10) {
        if let text = try? String(contentsOfFile: log, encoding: .utf8), text.contains(marker) { return }
        if !process.isRunning { break }
        usleep(100_000)
    }
    let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
    throw SetupError("\(what) did not start:\n\(text)")
}

/// Starts Knot in `namespace` serving the example zone (or `zoneFile` as example.com.) on
/// `address@port` and each of `alsoOn`, from a configuration of its own in a temporary folder:
/// the reference the answers are compared with.
func startKnot(in namespace: NetworkNamespace, address: String, port: Int, alsoOn: [String] = [],
               zoneFile: String = exampleZoneFile) throws -> Process {
    let directory = scratchDirectory + namespace.name + "-knot"
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    try? FileManager.default.removeItem(atPath: directory + "/example.com.zone")
    try FileManager.default.copyItem(atPath: zoneFile, toPath: directory + "/example.com.zone")
    let listen = ([address] + alsoOn).map { "\($0)@\(port)" }.joined(separator: ", ")
    let configuration = """
        server:
            listen: [ \(listen) ]
            rundir: \(directory)
        database:
            storage: \(directory)
        zone:
          - domain: example.com.
            file: \(directory)/example.com.zone
            storage: \(directory)

        """
    try configuration.write(toFile: directory + "/knot.conf", atomically: true, encoding: .utf8)
    let log = directory + "/knot.log"
    let knot = try namespace.start(["/usr/sbin/knotd", "-c", directory + "/knot.conf"], log: log)
    try waitForLog(log, "server started", knot, what: "knotd")
    return knot
}

extension EndToEnd {
    @Suite("The DNS server against Knot, dnspython and hostile messages", .serialized,
           .enabled(if: networkTestsAvailable && dnsPeersAvailable))
    struct DNSTests {
        /// Starts `command` (the example serving on HOST:PORT) and Knot in a fresh namespace and
        /// runs the client checks: the differential comparison, the malformed messages, pipelined
        /// queries on one connection, AXFR.
        func check(_ command: [String], host: String, port: Int) throws {
            let namespace = try NetworkNamespace()
            let log = scratchDirectory + namespace.name + "-dns.log"
            let server = try namespace.start(command, log: log)
            try waitForLog(log, "serving 1 zone", server, what: "the DNS server")
            _ = try startKnot(in: namespace, address: "127.0.0.1", port: 5354)
            let ours = "\(host):\(port)"
            let differential = try namespace.exec(["/usr/bin/python3", dnsClient, "differential", ours, "127.0.0.1:5354",
                                                   exampleZoneFile, "example.com."])
            let malformed = try namespace.exec(["/usr/bin/python3", dnsClient, "malformed", ours, "example.com."])
            let pipelined = try namespace.exec(["/usr/bin/python3", dnsClient, "pipelined", ours, "example.com."])
            let transfer = try namespace.exec(["/usr/bin/python3", dnsClient, "axfr", ours, exampleZoneFile, "example.com."])
            let serverLog = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            print(differential.output + malformed.output + pipelined.output + transfer.output, terminator: "")
            #expect(differential.status == 0, "\(differential.output)\(differential.errorOutput)\nserver:\n\(serverLog.suffix(3000))")
            #expect(differential.output.contains(" 0 differences"), "\(differential.output)")
            #expect(malformed.status == 0, "\(malformed.output)\(malformed.errorOutput)\nserver:\n\(serverLog.suffix(3000))")
            #expect(pipelined.status == 0, "\(pipelined.output)\(pipelined.errorOutput)")
            #expect(transfer.status == 0, "\(transfer.output)\(transfer.errorOutput)")
            #expect(transfer.output.contains("records, the zone"), "\(transfer.output)")
            #expect(serverLog.contains("[zones] example.com.: 36 records from example.com.zone"), "\(serverLog.suffix(2000))")
            #expect(server.isRunning, "the DNS server exited:\n\(serverLog.suffix(2000))")
        }

        @Test("unix, the host's sockets (--net=socket)")
        func socket() throws {
            let image = try ExampleImages.image("dns-server", network: "socket")
            try check([image, "--port=5353"], host: "127.0.0.1", port: 5353)
        }

        @Test("unix, our stack over tap (--net=direct)")
        func direct() throws {
            let image = try ExampleImages.image("dns-server", network: "direct")
            try check([image, "--ipv4=10.0.0.2/24"], host: "10.0.0.2", port: 53)
        }

        @Test("hvt: a KVM guest", .enabled(if: kvmAvailable))
        func hvt() throws {
            let image = try ExampleImages.image("dns-server", target: "hvt")
            try check([tender, "--net:service=tap0", "--", image, "--ipv4=10.0.0.2/24"], host: "10.0.0.2", port: 53)
        }

        @Test("a zone file with an error stops the server at start, naming the file and the line")
        func badZone() throws {
            let image = try ExampleImages.image("dns-server", network: "socket", configure: ["--kv=tar"])
            let folder = scratchDirectory + "mirage-bad-zones-\(getpid())"
            try? FileManager.default.removeItem(atPath: folder)
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            try "$TTL 60\n@ SOA ns hostmaster 1 2 3 4 5\n  NS ns\nns A 192.0.2.300\n"
                .write(toFile: folder + "/broken.example.zone", atomically: true, encoding: .utf8)
            let archive = folder + ".tar"
            let tar = try run(["/usr/bin/tar", "--format=ustar", "-cf", archive, "-C", folder, "broken.example.zone"])
            #expect(tar.status == 0, "\(tar.errorOutput)")
            let bad = try run([image, "--port=5353", "--block:zones=\(archive)"])
            #expect(bad.status == 1)
            #expect(bad.errorOutput.contains("broken.example.zone: line 4: bad IPv4 address '192.0.2.300'"), "\(bad.errorOutput)")
        }
    }
}
