import Foundation
import Testing

/// Whether the Linux DHCP clients the server is tested with are installed: busybox's udhcpc and
/// dhcpcd (`scripts/test` installs busybox and dhcpcd-base).
let dhcpClientsAvailable: Bool = {
    for (path, package) in [("/usr/bin/busybox", "busybox"), ("/usr/sbin/dhcpcd", "dhcpcd-base")]
    where !FileManager.default.isExecutableFile(atPath: path) {
        print("SKIP: DHCP server end-to-end tests: \(path) is missing (apt-get install \(package))")
        return false
    }
    return true
}()

extension EndToEnd {
    /// `Examples/dhcp-server` handing addresses to Linux's DHCP clients (busybox udhcpc and
    /// dhcpcd) on unix over tap and in an hvt guest (RFC 2131).
    @Suite("DHCP server against udhcpc and dhcpcd", .serialized, .enabled(if: networkTestsAvailable && dhcpClientsAvailable))
    struct DHCPServerTests {
        static let arguments = ["--ipv4=10.0.0.2/24", "--pool=10.0.0.50-10.0.0.60", "--routers=self", "--dns=10.0.0.2,9.9.9.9",
                                "--domain=mirage.test", "--lease-time=600", "--hosts=52:54:00:12:34:56=10.0.0.10", "-l", "dhcp:debug"]

        /// The server in a fresh namespace whose tap has no address (the kernel is the client);
        /// `body` gets the namespace and the server's log.
        func withServer(target: String, _ body: (NetworkNamespace, String) throws -> Void) throws {
            let namespace = try NetworkNamespace(withTap: false)
            try namespace.exec(["ip", "tuntap", "add", "dev", "tap0", "mode", "tap"])
            try namespace.exec(["ip", "link", "set", "tap0", "up"])
            let log = scratchDirectory + namespace.name + "-dhcp-server.log"
            let server = try startServer(target: target, in: namespace, leases: try Self.newLeasesFile(namespace), log: log)
            try body(namespace, log)
            #expect(server.isRunning, "\((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
        }

        /// A new, empty 256 KiB file for the server's lease store.
        static func newLeasesFile(_ namespace: NetworkNamespace) throws -> String {
            let path = scratchDirectory + namespace.name + "-leases.img"
            _ = FileManager.default.createFile(atPath: path, contents: Data(count: 256 * 1024))
            return path
        }

        /// Starts the server in `namespace` with its leases kept in `leases`, and waits until it serves.
        func startServer(target: String, in namespace: NetworkNamespace, leases: String, log: String) throws -> Process {
            let command = target == "hvt"
                ? [tender, "--net:service=tap0", "--block:leases=\(leases)", "--", try ExampleImages.image("dhcp-server", target: "hvt")]
                : [try ExampleImages.image("dhcp-server", network: "direct"), "--net:service=tap0", "--block:leases=\(leases)"]
            let server = try namespace.start(command + Self.arguments, log: log)
            try waitForLog(log, "[INFO] [dhcp] DHCP server 10.0.0.2 on 10.0.0.0/24: pool 10.0.0.50-10.0.0.60, 1 static lease, lease time 600 s")
            return server
        }

        @Test("a restarted server keeps its leases from its store: a newcomer gets another address, the old client its own",
              arguments: ["unix", "hvt"])
        func leasesKept(target: String) throws {
            if target == "hvt", !kvmAvailable { return }
            let namespace = try NetworkNamespace(withTap: false)
            try namespace.exec(["ip", "tuntap", "add", "dev", "tap0", "mode", "tap"])
            try namespace.exec(["ip", "link", "set", "tap0", "address", "02:00:00:00:00:77"])
            try namespace.exec(["ip", "link", "set", "tap0", "up"])
            let leases = try Self.newLeasesFile(namespace)
            let firstLog = scratchDirectory + namespace.name + "-dhcp-server-1.log"
            let first = try startServer(target: target, in: namespace, leases: leases, log: firstLog)
            try waitForLog(firstLog, "[INFO] [dhcp] no leases kept from an earlier run")
            let script = try Self.udhcpcScript(events: scratchDirectory + namespace.name + "-udhcpc.log")
            func lease() throws -> String {
                try namespace.exec(["ip", "addr", "flush", "dev", "tap0"])
                let client = try namespace.exec(["timeout", "30", "busybox", "udhcpc", "-i", "tap0", "-f", "-q", "-n", "-t", "5", "-T", "1", "-s", script])
                return client.errorOutput + client.output
            }
            let before = try lease()
            #expect(before.contains("lease of 10.0.0.50 obtained from 10.0.0.2"), "\(before)")
            try waitForLog(firstLog, "[INFO] [dhcp] DHCPACK 10.0.0.50 to 02:00:00:00:00:77")
            usleep(500_000)  // the store is written right after the ACK
            first.terminate()
            first.waitUntilExit()

            let secondLog = scratchDirectory + namespace.name + "-dhcp-server-2.log"
            let second = try startServer(target: target, in: namespace, leases: leases, log: secondLog)
            try waitForLog(secondLog, "[INFO] [dhcp] 1 lease kept from an earlier run")
            try namespace.exec(["ip", "link", "set", "tap0", "address", "02:00:00:00:00:78"])
            let newcomer = try lease()
            #expect(newcomer.contains("lease of 10.0.0.51 obtained from 10.0.0.2"), "\(newcomer)")
            try namespace.exec(["ip", "link", "set", "tap0", "address", "02:00:00:00:00:77"])
            let returning = try lease()
            #expect(returning.contains("lease of 10.0.0.50 obtained from 10.0.0.2"), "\(returning)")
            #expect(second.isRunning, "\((try? String(contentsOfFile: secondLog, encoding: .utf8)) ?? "")")
        }

        /// udhcpc's script: writes what it is told to `events` and configures the address.
        static func udhcpcScript(events: String) throws -> String {
            let path = events + ".sh"
            try """
            #!/bin/sh
            echo "$1 ip=$ip mask=$mask router=$router dns=$dns domain=$domain lease=$lease serverid=$serverid" >> \(events)
            [ "$1" = bound ] && ip addr add "$ip/$mask" dev "$interface"
            exit 0
            """.write(toFile: path, atomically: true, encoding: .utf8)
            chmod(path, 0o755)
            return path
        }

        @Test("busybox udhcpc gets a lease with every option and the kernel then reaches the server; a second client gets the next address",
              arguments: ["unix", "hvt"])
        func udhcpc(target: String) throws {
            if target == "hvt", !kvmAvailable { return }
            try withServer(target: target) { namespace, log in
                let events = scratchDirectory + namespace.name + "-udhcpc.log"
                let script = try Self.udhcpcScript(events: events)
                let client = try namespace.exec(["timeout", "30", "busybox", "udhcpc", "-i", "tap0", "-f", "-q", "-n", "-t", "5", "-T", "1", "-s", script])
                #expect(client.status == 0, "\(client.errorOutput)\(client.output)")
                #expect((client.errorOutput + client.output).contains("lease of 10.0.0.50 obtained from 10.0.0.2, lease time 600"),
                        "\(client.errorOutput)\(client.output)")
                let told = try String(contentsOfFile: events, encoding: .utf8)
                #expect(told.contains("bound ip=10.0.0.50 mask=24 router=10.0.0.2 dns=10.0.0.2 9.9.9.9 domain=mirage.test lease=600 serverid=10.0.0.2"),
                        "\(told)")
                let ping = try namespace.exec(["ping", "-c", "2", "-i", "0.2", "-W", "2", "10.0.0.2"])
                #expect(ping.status == 0, "\(ping.output)")
                let served = try waitForLog(log, "[INFO] [dhcp] DHCPACK 10.0.0.50 to ")
                #expect(served.contains("[DEBUG] [dhcp] DHCPOFFER 10.0.0.50 to "), "\(served)")
                // Another client (another MAC) gets the next address of the pool.
                try namespace.exec(["ip", "addr", "flush", "dev", "tap0"])
                try namespace.exec(["ip", "link", "set", "tap0", "address", "02:00:00:00:00:77"])
                let second = try namespace.exec(["timeout", "30", "busybox", "udhcpc", "-i", "tap0", "-f", "-q", "-n", "-t", "5", "-T", "1", "-s", script])
                #expect((second.errorOutput + second.output).contains("lease of 10.0.0.51 obtained from 10.0.0.2"), "\(second.errorOutput)\(second.output)")
            }
        }

        @Test("dhcpcd gets the static lease of its MAC, probes it, configures it with the route, and the server answers on it",
              arguments: ["unix", "hvt"])
        func dhcpcdStaticLease(target: String) throws {
            if target == "hvt", !kvmAvailable { return }
            try withServer(target: target) { namespace, log in
                try namespace.exec(["ip", "link", "set", "tap0", "address", "52:54:00:12:34:56"])
                try? FileManager.default.removeItem(atPath: "/var/lib/dhcpcd/tap0.lease")
                let client = try namespace.exec(["timeout", "40", "dhcpcd", "-f", "/dev/null", "-c", "/bin/true", "-1", "-4", "-B", "-t", "30", "tap0"])
                let output = client.errorOutput + client.output
                #expect(output.contains("tap0: leased 10.0.0.10 for 600 seconds"), "\(output)")
                #expect(output.contains("adding default route via 10.0.0.2"), "\(output)")
                let address = try namespace.exec(["ip", "-4", "addr", "show", "tap0"])
                #expect(address.output.contains("inet 10.0.0.10/24"), "\(address.output)")
                let ping = try namespace.exec(["ping", "-c", "2", "-i", "0.2", "-W", "2", "10.0.0.2"])
                #expect(ping.status == 0, "\(ping.output)")
                try waitForLog(log, "[INFO] [dhcp] DHCPACK 10.0.0.10 to 52:54:00:12:34:56")
                try? FileManager.default.removeItem(atPath: "/var/lib/dhcpcd/tap0.lease")
            }
        }

        /// Runs `Fixtures/net/dhcp_client.py` (scapy) with `arguments` in the namespace.
        func crafted(_ namespace: NetworkNamespace, _ arguments: [String]) throws -> Finished {
            try namespace.exec(["/usr/bin/python3", repositoryRoot + "/Tests/EndToEndTests/Fixtures/net/dhcp_client.py"] + arguments)
        }

        @Test("INIT-REBOOT for an address off the network is refused with DHCPNAK; a declined address is not offered again")
        func refusedAndDeclined() throws {
            try withServer(target: "unix") { namespace, log in
                let refused = try crafted(namespace, ["nak"])
                #expect(refused.status == 0 && refused.output.contains("DHCPNAK: not on this network"), "\(refused.output)\(refused.errorOutput)")
                let declined = try crafted(namespace, ["decline"])
                #expect(declined.status == 0 && declined.output.contains("declined 10.0.0.5"), "\(declined.output)\(declined.errorOutput)")
                let text = try waitForLog(log, "[WARNING] [dhcp] DHCPDECLINE 10.0.0.5")
                #expect(text.contains("[INFO] [dhcp] DHCPNAK 192.168.9.9 to 02:00:00:00:0a:01: not on this network"), "\(text)")
            }
        }

        @Test("an OFFER to a client without an address goes unicast to its MAC and the offered address, or broadcast when it sets the flag (RFC 2131 section 4.1)")
        func unicastOffers() throws {
            try withServer(target: "unix") { namespace, _ in
                let offers = try crafted(namespace, ["unicast"])
                #expect(offers.status == 0, "\(offers.output)\(offers.errorOutput)")
                #expect(offers.output.contains("broadcast flag 0 went to 02:00:00:00:0d:01 10.0.0."), "\(offers.output)")
                #expect(offers.output.contains("broadcast flag 1 went to ff:ff:ff:ff:ff:ff 255.255.255.255"), "\(offers.output)")
            }
        }

        @Test("a flood of DISCOVERs from 2,000 MACs fills the pool with offers and no more; the server still answers and says it ran out")
        func flood() throws {
            try withServer(target: "unix") { namespace, log in
                let flood = try crafted(namespace, ["flood", "2000"])
                print(flood.output)
                #expect(flood.status == 0, "\(flood.output)\(flood.errorOutput)")
                let text = try waitForLog(log, "[WARNING] [dhcp] no address left for ")
                let offers = text.components(separatedBy: "[DEBUG] [dhcp] DHCPOFFER ").count - 1
                #expect(offers == 11, "11 addresses in the pool, \(offers) offers")
            }
        }
    }
}
