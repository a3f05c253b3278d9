import Foundation
import Testing

/// Whether Debian's dnsmasq, the DHCP server these tests run against, is installed
/// (`scripts/test` installs dnsmasq-base).
let dnsmasqAvailable: Bool = {
    guard FileManager.default.isExecutableFile(atPath: "/usr/sbin/dnsmasq") else {
        print("SKIP: DHCP end-to-end tests: /usr/sbin/dnsmasq is missing (apt-get install dnsmasq-base)")
        return false
    }
    return true
}()

/// dnsmasq serving DHCP on tap0 of `namespace` (DNS off), its log in `log`, until
/// ``stopDnsmasq(log:)``. It runs as the daemon it is by default (its standard streams on
/// /dev/null, its process id in `log.pid`): as a child of this process, Foundation's `Process`
/// once waited on it for ever in place of the build that ran beside it.
func startDnsmasq(in namespace: NetworkNamespace, log: String, options: [String]) throws {
    let started = try namespace.exec(["/usr/sbin/dnsmasq", "--port=0", "--interface=tap0", "--bind-interfaces",
                                      "--log-dhcp", "--no-ping", "--log-facility=" + log, "--pid-file=" + log + ".pid",
                                      "--dhcp-leasefile=" + log + ".leases"] + options)
    guard started.status == 0 else { throw ToolFailure(description: "dnsmasq: \(started.errorOutput)") }
}

/// Stops the dnsmasq started with `log`.
func stopDnsmasq(log: String) {
    guard let text = try? String(contentsOfFile: log + ".pid", encoding: .utf8), let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)) else { return }
    kill(pid, SIGTERM)
    for _ in 0 ..< 100 where kill(pid, 0) == 0 { usleep(20_000) }
    // A dnsmasq started from a test thread inherits its blocked signals, SIGTERM among them
    // (seen in /proc/PID/status): it would outlive the test.
    if kill(pid, 0) == 0 { kill(pid, SIGKILL) }
}

/// Waits until `log` contains `text`, for up to `seconds`; returns the log.
@discardableResult
func waitForLog(_ log: String, _ text: String, seconds: Double = 20) throws -> String {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if let contents = try? String(contentsOfFile: log, encoding: .utf8), contents.contains(text) { return contents }
        usleep(50_000)
    }
    throw ToolFailure(description: "no '\(text)' in \(log) after \(seconds) s:\n\((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
}

extension EndToEnd {
    /// `--ipv4=dhcp` against dnsmasq (Debian's), on unix over tap and in an hvt guest: the lease,
    /// its renewals, a lease that moves the stack, and a conflict declined (RFC 2131, RFC 5227).
    @Suite("DHCP client against dnsmasq", .serialized, .enabled(if: networkTestsAvailable && dnsmasqAvailable))
    struct DHCPClientTests {
        /// The echo unikernel with `--ipv4=dhcp` in a fresh namespace with dnsmasq serving
        /// `options`; `body` gets the namespace and both logs.
        func withUnikernel(target: String, dnsmasq options: [String],
                           _ body: (NetworkNamespace, _ unikernelLog: String, _ serverLog: String) throws -> Void) throws {
            let command = target == "hvt"
                ? [tender, "--net:service=tap0", "--", try EchoImages.image(target: "hvt")]
                : [try EchoImages.image(network: "direct"), "--net:service=tap0"]
            let namespace = try NetworkNamespace()
            let serverLog = scratchDirectory + namespace.name + "-dnsmasq.log"
            let log = scratchDirectory + namespace.name + ".log"
            try startDnsmasq(in: namespace, log: serverLog, options: options)
            defer { stopDnsmasq(log: serverLog); stopDnsmasq(log: serverLog + ".2") }
            try waitForLog(serverLog, "sockets bound exclusively to interface tap0")
            try namespace.start(command + ["--ipv4=dhcp", "-l", "net:debug"], log: log)
            try body(namespace, log, serverLog)
        }

        @Test("a lease from dnsmasq in one log line, pings answered on it, renewed at T1 by unicast", arguments: ["unix", "hvt"])
        func leaseAndRenewal(target: String) throws {
            if target == "hvt", !kvmAvailable { return }
            try withUnikernel(target: target, dnsmasq: ["--dhcp-range=10.0.0.50,10.0.0.50,255.255.255.0,2m",
                                                        "--dhcp-option=option:T1,3", "--dhcp-option=option:T2,6",
                                                        "--dhcp-option=option:dns-server,10.0.0.1,9.9.9.9",
                                                        "--domain=mirage.test"]) { namespace, log, serverLog in
                let bound = try waitForLog(log, "[INFO] [net] DHCP lease ")
                #expect(bound.contains("[INFO] [net] DHCP lease 10.0.0.50/24 from 10.0.0.1 for 120 s, gateway 10.0.0.1, DNS 10.0.0.1 9.9.9.9, domain mirage.test"),
                        "\(bound)")
                try waitForLog(log, "discard on TCP port 9")
                let ping = try namespace.exec(["ping", "-c", "3", "-i", "0.2", "-W", "2", "10.0.0.50"])
                #expect(ping.status == 0, "\(ping.output)")
                let renewed = try waitForLog(log, "DHCP: renewed 10.0.0.50 from 10.0.0.1", seconds: 10)
                #expect(!renewed.contains("[WARNING]"), "\(renewed)")
                let server = try String(contentsOfFile: serverLog, encoding: .utf8)
                #expect(server.contains("DHCPDISCOVER(tap0)"), "\(server)")
                // The renewal: a second DHCPREQUEST, unicast to the server (dnsmasq names no
                // "broadcast" for it) and acknowledged.
                #expect(server.components(separatedBy: "DHCPREQUEST(tap0) 10.0.0.50").count >= 3, "\(server)")
                #expect(server.components(separatedBy: "DHCPACK(tap0) 10.0.0.50").count >= 3, "\(server)")
            }
        }

        @Test("dnsmasq restarted with another address for us: the renewal is refused, the stack gives up its address, binds the new one and answers on it")
        func leaseMoves() throws {
            try withUnikernel(target: "unix", dnsmasq: ["--dhcp-range=10.0.0.50,10.0.0.50,255.255.255.0,2m",
                                                         "--dhcp-option=option:T1,2", "--dhcp-option=option:T2,4",
                                                         "--dhcp-authoritative"]) { namespace, log, serverLog in
                try waitForLog(log, "DHCP lease 10.0.0.50/24")
                try waitForLog(log, "discard on TCP port 9")
                // The same server, now with 10.0.0.77 only (and authoritative: it refuses requests
                // for addresses it does not give).
                stopDnsmasq(log: serverLog)
                let secondLog = serverLog + ".2"
                try startDnsmasq(in: namespace, log: secondLog, options: ["--dhcp-range=10.0.0.77,10.0.0.77,255.255.255.0,2m",
                                                                          "--dhcp-option=option:T1,2", "--dhcp-option=option:T2,4",
                                                                          "--dhcp-authoritative"])
                let moved = try waitForLog(log, "DHCP lease 10.0.0.77/24", seconds: 30)
                #expect(moved.contains("[WARNING] [net] DHCP: no address: the server 10.0.0.1 refused"), "\(moved)")
                let ping = try namespace.exec(["ping", "-c", "3", "-i", "0.2", "-W", "2", "10.0.0.77"])
                #expect(ping.status == 0, "\(ping.output)")
                let old = try namespace.exec(["ping", "-c", "1", "-W", "1", "10.0.0.50"])
                #expect(old.status != 0, "the old address is given up: \(old.output)")
                let server = try String(contentsOfFile: secondLog, encoding: .utf8)
                #expect(server.contains("DHCPNAK(tap0) 10.0.0.50"), "\(server)")
            }
        }

        @Test("an address another host holds is found by ARP probes and declined (dnsmasq logs DHCPDECLINE); the client never uses it")
        func conflictDeclined() throws {
            try withUnikernel(target: "unix", dnsmasq: ["--dhcp-range=10.0.0.50,10.0.0.60,255.255.255.0,2m",
                                                         "--dhcp-host=*:*:*:*:*:*,10.0.0.66"]) { namespace, log, serverLog in
                // The kernel holds 10.0.0.66 as well, and answers the probes for it.
                _ = try namespace.exec(["ip", "addr", "add", "10.0.0.66/24", "dev", "tap0"])
                let declined = try waitForLog(log, "[WARNING] [net] DHCP: 10.0.0.66 is in use by another host: declined")
                #expect(!declined.contains("DHCP lease 10.0.0.66"), "\(declined)")
                let server = try waitForLog(serverLog, "DHCPDECLINE(tap0) 10.0.0.66")
                #expect(server.contains("address in use"), "\(server)")
            }
        }
    }
}
