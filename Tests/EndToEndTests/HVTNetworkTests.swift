import Foundation
import Testing

/// Whether both KVM guests and network namespaces can be used here; each prints its SKIP line.
let hvtNetworkTestsAvailable = kvmAvailable && networkTestsAvailable

extension EndToEnd {
    /// The echo example as a KVM guest: our stack over the tender's net device, which the tender
    /// serves from tap0 of a namespace the test makes; the Linux kernel on the other side.
    @Suite("Echo on our stack as a KVM guest (hvt), against the Linux kernel", .serialized, .enabled(if: hvtNetworkTestsAvailable))
    struct EchoHVTTests {
        /// Starts echo.hvt under the tender in a fresh namespace and runs a peer check.
        @discardableResult
        func check(_ command: [String], tenderOptions: [String] = []) throws -> (Finished, String) {
            try checkEchoServer([tender, "--net:service=tap0"] + tenderOptions + ["--", try EchoImages.image(target: "hvt"), "--ipv4=10.0.0.2/24", "-l", "net:debug"],
                                peer: command)
        }

        @Test("ping: 56, 1472 and 4000 bytes (fragmented both ways)")
        func ping() throws {
            let (result, log) = try check(["ping"])
            #expect(result.output.contains("ping -s 56: 3/3 replies"))
            #expect(result.output.contains("ping -s 1472: 3/3 replies"))
            #expect(result.output.contains("ping -s 4000: 3/3 replies"))
            #expect(log.contains("[INFO] [net] IPv4 10.0.0.2/24 on "), "\(log)")
            #expect(log.contains(", MTU 1500"), "\(log)")
        }

        @Test("a 16 MiB TCP echo round trip with a digest compare")
        func echo16MiB() throws {
            let (result, _) = try check(["echo", String(16 << 20)])
            #expect(result.output.contains("echoed 16777216 bytes"))
        }

        @Test("a guest that sleeps at once (--poll-spin=0) and one that spins the longest still answer pings and echo 1 MiB",
              arguments: ["0", "1000"])
        func pollSpin(microseconds: String) throws {
            let (pings, _) = try check(["ping"], tenderOptions: ["--poll-spin=" + microseconds])
            #expect(pings.output.contains("ping -s 56: 3/3 replies"), "\(pings.output)")
            let (echo, _) = try check(["echo", String(1 << 20)], tenderOptions: ["--poll-spin=" + microseconds])
            #expect(echo.output.contains("echoed 1048576 bytes"), "\(echo.output)")
        }

        @Test("UDP echo keeps datagram boundaries, fragmented ones included")
        func udp() throws {
            try check(["udp"])
        }

        @Test("malformed frames are dropped and counted; pings are still answered")
        func malformed() throws {
            let (_, log) = try check(["malformed"])
            #expect(log.contains("bad frames; so far"), "no drop counted:\n\(log)")
        }

        @Test("as a client, the guest connects to a Linux listener and verifies a 4 MiB echo; a closed port is refused")
        func client() throws {
            try checkEchoClient([tender, "--net:service=tap0", "--", try EchoImages.image(target: "hvt"), "--ipv4=10.0.0.2/24"])
        }

        @Test("the stack's caps follow the guest's memory: a quarter of the defaults with --mem=8, a cap given as a boot argument as given")
        func capsScaledToMemory() throws {
            let image = try EchoImages.image(target: "hvt")
            let namespace = try NetworkNamespace()
            let log = scratchDirectory + namespace.name + ".log"
            let server = try namespace.start([tender, "--mem=8", "--net:service=tap0", "--", image, "--ipv4=10.0.0.2/24",
                                              "--arp-entries=100", "-l", "net:debug"], log: log)
            try waitUntilListening(log, server)
            server.terminate()
            server.waitUntilExit()
            let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            #expect(text.contains("caps: TCP 256 connections, 256 in TIME-WAIT, 64 orphans, 64 half-open per listener, 2048 KiB received unread; reassembly 256 KiB; UDP 64 KiB per port; ARP 100 entries; path MTU 64 entries"), "\(text)")
        }

        @Test("SIGTERM to the tender stops the serving guest cleanly with status 0")
        func sigterm() throws {
            let image = try EchoImages.image(target: "hvt")
            let namespace = try NetworkNamespace()
            let log = scratchDirectory + namespace.name + ".log"
            let server = try namespace.start([tender, "--net:service=tap0", "--", image, "--ipv4=10.0.0.2/24"], log: log)
            try waitUntilListening(log, server)
            server.terminate()
            server.waitUntilExit()
            #expect(server.terminationStatus == 0)
            let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            #expect(text.contains("[INFO] [runtime] stopping: the platform was asked to stop"), "\(text)")
        }
    }

    /// `swift-mirage run --create-tap`: the tool makes the tap for the run and deletes it after.
    @Suite("swift-mirage run --create-tap", .serialized, .enabled(if: networkTestsAvailable))
    struct CreateTapTests {
        /// Runs `swift-mirage run ARGUMENTS --create-tap -- --ipv4=10.0.0.2/24` in a namespace
        /// without a tap, pings the unikernel, stops the tool with SIGTERM and checks the tap is
        /// gone; returns the tool's output.
        func runPingAndStop(_ arguments: [String], loopbackUp: Bool = true) throws -> String {
            let namespace = try NetworkNamespace(withTap: false, loopbackUp: loopbackUp)
            let log = scratchDirectory + namespace.name + "-tool.log"
            let running = try namespace.start([tool, "run"] + arguments + [EchoImages.directory, "--create-tap", "--", "--ipv4=10.0.0.2/24"], log: log)
            try waitUntilListening(log, running, seconds: 300)
            let address = try namespace.exec(["ip", "-brief", "address", "show", "tap0"])
            #expect(address.output.contains("10.0.0.1/24"), "\(address.output)")
            let ping = try namespace.exec(["ping", "-c", "3", "-i", "0.2", "-W", "2", "10.0.0.2"])
            #expect(ping.status == 0, "\(ping.output)")
            running.terminate()
            running.waitUntilExit()
            let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            #expect(running.terminationStatus == 0, "\(output)")
            #expect(output.contains("swift-mirage: created tap device tap0 with the host at 10.0.0.1/24"), "\(output)")
            #expect(output.contains("swift-mirage: deleted tap device tap0"), "\(output)")
            let gone = try namespace.exec(["ip", "link", "show", "tap0"])
            #expect(gone.status != 0, "tap0 is still there: \(gone.output)")
            return output
        }

        @Test("for an hvt guest, in a namespace as 'ip netns add' leaves it (loopback down)", .enabled(if: kvmAvailable))
        func hvt() throws {
            _ = try EchoImages.image(target: "hvt")
            _ = try runPingAndStop(["-t", "hvt"], loopbackUp: false)
        }

        @Test("for a unix process on our stack (--net=direct)")
        func unixDirect() throws {
            _ = try EchoImages.image(network: "direct")
            _ = try runPingAndStop(["-t", "unix", "--net=direct"])
        }

        @Test("an interface that exists already is refused, and left alone")
        func existingTap() throws {
            _ = try EchoImages.image(network: "direct")
            let namespace = try NetworkNamespace()
            let result = try namespace.exec([tool, "run", "-t", "unix", "--net=direct", EchoImages.directory, "--create-tap=10.0.0.1/24"])
            #expect(result.status == 1)
            #expect(result.errorOutput.contains("--create-tap: the interface tap0 exists already: run without --create-tap to use it, or name another tap with --net:NAME=TAP"), "\(result.errorOutput)")
            #expect(try namespace.exec(["ip", "link", "show", "tap0"]).status == 0)
        }

        @Test("a unikernel on the host's sockets needs no tap: a usage error")
        func socketStack() throws {
            _ = try EchoImages.image(network: "socket")
            let result = try run([tool, "run", "-t", "unix", "--net=socket", EchoImages.directory, "--create-tap"])
            #expect(result.status == 64)
            #expect(result.errorOutput.contains("--create-tap: echo on unix needs no tap device: it uses the host's sockets (configure --net=direct for our stack over a tap device)"), "\(result.errorOutput)")
        }
    }

    /// The tender with net devices: taps it cannot use, devices that do not match the image, and
    /// guests that misuse their net rings.
    @Suite("mirage-hvt net devices", .serialized, .enabled(if: kvmAvailable))
    struct TenderNetworkTests {
        static let hostileNet = repositoryRoot + "/Tests/EndToEndTests/Fixtures/hostile-net"

        @Test("a tap interface that does not exist is named with the reason: exit 66")
        func missingTap() throws {
            let image = try EchoImages.image(target: "hvt")
            let result = try run([tender, "--net:service=mirage-none0", "--", image])
            #expect(result.status == 66)
            #expect(result.errorOutput == "mirage-hvt: --net:service=mirage-none0: cannot open tap interface mirage-none0: No such device; create it with 'ip tuntap add dev mirage-none0 mode tap' (or use 'swift-mirage run --create-tap')\n")
        }

        @Test("a tun interface is not a tap interface: exit 66", .enabled(if: networkTestsAvailable))
        func tunInterface() throws {
            let image = try EchoImages.image(target: "hvt")
            let namespace = try NetworkNamespace(withTap: false)
            try namespace.exec(["ip", "tuntap", "add", "dev", "tun0", "mode", "tun"])
            let result = try namespace.exec([tender, "--net:service=tun0", "--", image])
            #expect(result.status == 66)
            #expect(result.errorOutput == "mirage-hvt: --net:service=tun0: cannot open tap interface tun0: Invalid argument (is it a tun interface rather than a tap interface?)\n")
        }

        @Test("missing and extra net devices are named: exit 64")
        func deviceMismatch() throws {
            let echo = try EchoImages.image(target: "hvt")
            let missing = try run([tender, "--", echo])
            #expect(missing.status == 64)
            #expect(missing.errorOutput == "mirage-hvt: the image needs --net:service=TAP\n")
            let hello = try HVTTests.buildGuest(HVTTests.hello)
            let extra = try run([tender, "--net:service=tap0", "--", hello])
            #expect(extra.status == 64)
            #expect(extra.errorOutput == "mirage-hvt: the image has no device net:service (it needs no devices)\n")
            let misnamed = try run([tender, "--net:uplink=tap0", "--", echo])
            #expect(misnamed.status == 64)
            #expect(misnamed.errorOutput == "mirage-hvt: the image needs --net:service=TAP\nmirage-hvt: the image has no device net:uplink (it needs: net:service)\n")
        }

        @Test("a guest misusing its net rings is stopped with the reason: exit 70, never a trap or an access outside it",
              .enabled(if: networkTestsAvailable),
              arguments: zip(["send-pointer", "send-wrap", "ring-claim", "region", "argument", "rewrite"],
                             ["outside its memory", "outside its memory", "more than its 256 slots", "outside its memory",
                              "outside its memory", "outside its memory"]))
        func hostileRings(attack: String, reason: String) throws {
            let image = try HVTTests.buildGuest(Self.hostileNet)
            let namespace = try NetworkNamespace()
            let result = try namespace.exec([tender, "--net:service=tap0", "--", image, "--attack=\(attack)"])
            #expect(result.status == 70, "\(result.errorOutput)")
            #expect(result.errorOutput.contains("mirage-hvt: the guest crashed: the guest "), "\(result.errorOutput)")
            #expect(result.errorOutput.contains(reason), "\(result.errorOutput)")
            #expect(!result.errorOutput.contains("survived"))
        }

        @Test("a guest saying it took receive slots the tender never filled is stopped at the next frame: exit 70",
              .enabled(if: networkTestsAvailable))
        func receiveClaim() throws {
            let image = try HVTTests.buildGuest(Self.hostileNet)
            let namespace = try NetworkNamespace()
            let log = scratchDirectory + namespace.name + ".log"
            let guest = try namespace.start([tender, "--net:service=tap0", "--", image, "--attack=receive-claim"], log: log)
            // Frames only after the lie: the tender reads the ring's count when it has a frame to
            // put there (a guest slow to boot would otherwise see them all before it lies).
            for _ in 0..<200 where guest.isRunning {
                if let text = try? String(contentsOfFile: log, encoding: .utf8), text.contains("attack: receive-claim") { break }
                usleep(50_000)
            }
            // Pings make the kernel ask for 10.0.0.2 with ARP requests on tap0.
            _ = try namespace.exec(["ping", "-c", "3", "-i", "0.2", "-W", "1", "10.0.0.2"])
            guest.waitUntilExit()
            let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            #expect(guest.terminationStatus == 70, "\(text)")
            #expect(text.contains("mirage-hvt: the guest crashed: the guest says it took 7 receive slots of net device 0 it was never given"), "\(text)")
            #expect(!text.contains("survived"))
        }
    }
}
