import Foundation
import Testing

/// Whether this machine lets tests make network namespaces and tap devices (root, /dev/net/tun,
/// `ip`); when not, the network suites print why and skip.
let networkTestsAvailable: Bool = {
    if geteuid() != 0 {
        print("SKIP: network end-to-end tests: not running as root (network namespaces and tap devices need it)")
        return false
    }
    guard FileManager.default.fileExists(atPath: "/dev/net/tun") else {
        print("SKIP: network end-to-end tests: /dev/net/tun is missing")
        return false
    }
    guard FileManager.default.isExecutableFile(atPath: "/usr/bin/python3") else {
        print("SKIP: network end-to-end tests: /usr/bin/python3 is missing")
        return false
    }
    return true
}()

/// A network namespace with a tap device `tap0` at 10.0.0.1/24 (unless `withTap` is false) and
/// its loopback interface up (unless `loopbackUp` is false, as `ip netns add` leaves it), deleted
/// when released: the only place these tests send IP packets.
final class NetworkNamespace {
    let name: String
    private var processes: [Process] = []

    init(withTap: Bool = true, loopbackUp: Bool = true) throws {
        name = "mirage-e2e-\(getpid())-\(Int.random(in: 0..<1_000_000))"
        try Self.ip(["netns", "add", name])
        if loopbackUp { try exec(["ip", "link", "set", "lo", "up"]) }
        guard withTap else { return }
        try exec(["ip", "tuntap", "add", "dev", "tap0", "mode", "tap"])
        try exec(["ip", "addr", "add", "10.0.0.1/24", "dev", "tap0"])
        try exec(["ip", "link", "set", "tap0", "up"])
    }

    deinit {
        for process in processes where process.isRunning {
            process.terminate()
            // A child inherits the signal mask of the thread that spawned it, and a test's thread
            // may block SIGTERM (a socat listener once waited here for ever with it blocked):
            // after five seconds, SIGKILL, which nothing blocks.
            for _ in 0..<250 where process.isRunning { usleep(20_000) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }
        _ = try? Self.ip(["netns", "delete", name])
    }

    private static func ip(_ arguments: [String]) throws {
        let result = try run(["/usr/sbin/ip"] + arguments)
        if result.status != 0 { throw ToolFailure(description: "ip \(arguments.joined(separator: " ")): \(result.errorOutput)") }
    }

    /// Runs `arguments` inside the namespace and waits for it.
    @discardableResult
    func exec(_ arguments: [String], in directory: String = repositoryRoot) throws -> Finished {
        try run(["/usr/sbin/ip", "netns", "exec", name] + arguments, in: directory)
    }

    /// Starts `arguments` inside the namespace, its standard error going to `log`; it is stopped
    /// when the namespace is released.
    func start(_ arguments: [String], log: String) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
        process.arguments = ["netns", "exec", name] + arguments
        FileManager.default.createFile(atPath: log, contents: nil)
        let handle = FileHandle(forWritingAtPath: log)
        process.standardError = handle
        process.standardOutput = handle
        try process.run()
        processes.append(process)
        return process
    }
}

/// The examples, each built once per target and network mode and copied aside.
enum ExampleImages {
    static let lock = NSLock()
    nonisolated(unsafe) static var built: [String: String] = [:]

    /// `Examples/<example>/dist/<name>` for unix with `--net=network`, or `<name>.hvt` for
    /// target hvt (always our stack), copied to a temporary file; `configure` adds configure-time
    /// keys (`--kv=tar`).
    static func image(_ example: String, name: String? = nil, network: String = "direct", target: String = "unix",
                      configure: [String] = []) throws -> String {
        lock.lock()
        defer { lock.unlock() }
        let variant = ([example, target == "hvt" ? "hvt" : network] + configure.map { $0.replacingOccurrences(of: "=", with: "-") })
            .joined(separator: "-")
        if let path = built[variant] { return path }
        let directory = repositoryRoot + "/Examples/" + example
        try swiftMirage(["configure", "-t", target] + (target == "hvt" ? [] : ["--net=\(network)"]) + configure, in: directory)
        try swiftMirage(["build"], in: directory)
        let copy = scratchDirectory + "mirage-\(variant)-\(getpid())"
        try? FileManager.default.removeItem(atPath: copy)
        let image = (name ?? example) + (target == "hvt" ? ".hvt" : "")
        try FileManager.default.copyItem(atPath: directory + "/dist/" + image, toPath: copy)
        built[variant] = copy
        return copy
    }
}

/// The echo example.
enum EchoImages {
    static let directory = repositoryRoot + "/Examples/echo"

    static func image(network: String = "direct", target: String = "unix") throws -> String {
        try ExampleImages.image("echo", network: network, target: target)
    }
}

/// The kernel-side checks, in Python (Tests/EndToEndTests/Fixtures/net/peer.py).
let peerScript = repositoryRoot + "/Tests/EndToEndTests/Fixtures/net/peer.py"

/// Waits until `log` shows the echo services listening, for up to `seconds`.
func waitUntilListening(_ log: String, _ process: Process, seconds: Int = 10) throws {
    for _ in 0..<seconds * 20 {
        if let text = try? String(contentsOfFile: log, encoding: .utf8), text.contains("discard on TCP port 9") { return }
        guard process.isRunning else {
            throw ToolFailure(description: "the echo unikernel exited: \((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
        }
        usleep(50_000)
    }
    throw ToolFailure(description: "the echo unikernel did not start listening")
}

extension EndToEnd {
    @Suite("Echo on our stack over tap, against the Linux kernel", .serialized, .enabled(if: networkTestsAvailable))
    struct EchoDirectTests {
        /// Starts the direct-stack echo server in a fresh namespace and runs a peer check.
        func check(_ command: [String], arguments: [String] = []) throws -> (Finished, String) {
            try checkEchoServer([try EchoImages.image(network: "direct"), "--ipv4=10.0.0.2/24", "-l", "net:debug"] + arguments,
                                peer: command)
        }

        @Test("ping: small, 1472-byte and 4000-byte (fragmented both ways); --pcap records it for tcpdump")
        func ping() throws {
            let capture = scratchDirectory + "mirage-echo-\(getpid()).pcap"
            let (result, _) = try check(["ping"], arguments: ["--pcap=\(capture)"])
            #expect(result.output.contains("ping -s 4000: 3/3 replies"))
            if FileManager.default.isExecutableFile(atPath: "/usr/bin/tcpdump") {
                let dump = try run(["/usr/bin/tcpdump", "-n", "-r", capture])
                #expect(dump.status == 0, "\(dump.errorOutput)")
                #expect(dump.output.contains("10.0.0.2 > 10.0.0.1: ICMP echo reply"), "\(dump.output.prefix(2000))")
            } else {
                print("SKIP: the --pcap check: tcpdump is not installed")
            }
        }

        @Test("a 16 MiB TCP echo round trip with a digest compare")
        func echo16MiB() throws {
            let (result, _) = try check(["echo", String(16 << 20)])
            #expect(result.output.contains("echoed 16777216 bytes"))
        }

        @Test("UDP echo keeps datagram boundaries, fragmented ones included")
        func udp() throws {
            _ = try check(["udp"])
        }

        @Test("200 concurrent connections")
        func concurrent() throws {
            _ = try check(["concurrent"])
        }

        @Test("a slow reader on the kernel side: zero windows, persist probes, and the transfer finishes")
        func slowReader() throws {
            _ = try check(["slow-reader"])
        }

        @Test("the kernel resets a connection; the server goes on")
        func kernelReset() throws {
            _ = try check(["reset"])
        }

        @Test("malformed frames from scapy are dropped and counted; pings are still answered")
        func malformed() throws {
            let (_, log) = try check(["malformed"])
            #expect(log.contains("bad frames; so far"), "no drop counted:\n\(log)")
        }

        @Test("a SYN flood from a host that never answers: the half-open queue fills, SYN cookies answer, a real connection is still served")
        func synFlood() throws {
            let (_, log) = try check(["syn-flood"])
            #expect(log.contains("with SYN cookies"), "no SYN cookie sent:\n\(log.suffix(3000))")
        }

        @Test("as a client, the stack connects to a Linux listener and verifies a 4 MiB echo; a closed port is refused")
        func client() throws {
            try checkEchoClient([try EchoImages.image(network: "direct"), "--ipv4=10.0.0.2/24"])
        }
    }
}

extension EndToEnd {
    @Suite("Echo on the host's sockets (--net=socket), same checks on 127.0.0.1", .serialized, .enabled(if: networkTestsAvailable))
    struct EchoSocketTests {
        /// Starts the socket-stack echo server in a fresh namespace (so its ports are its own) and
        /// runs a peer check against 127.0.0.1.
        func check(_ command: [String], target: String = "127.0.0.1") throws {
            let image = try EchoImages.image(network: "socket")
            let namespace = try NetworkNamespace()
            let log = scratchDirectory + namespace.name + ".log"
            let server = try namespace.start([image], log: log)
            try waitUntilListening(log, server)
            let result = try namespace.exec(["/usr/bin/env", "TARGET=\(target)", "/usr/bin/python3", peerScript] + command)
            let serverLog = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            #expect(result.status == 0, "\(result.output)\(result.errorOutput)\nunikernel:\n\(serverLog)")
            #expect(server.isRunning, "the unikernel exited:\n\(serverLog)")
        }

        @Test("a 16 MiB TCP echo round trip") func echo16MiB() throws { try check(["echo", String(16 << 20)]) }
        @Test("UDP echo keeps datagram boundaries") func udp() throws { try check(["udp"]) }
        @Test("200 concurrent connections") func concurrent() throws { try check(["concurrent"]) }
        @Test("a slow reader finishes") func slowReader() throws { try check(["slow-reader"]) }
        @Test("the kernel resets a connection; the server goes on") func kernelReset() throws { try check(["reset"]) }
        @Test("the same listeners take IPv6: a 16 MiB TCP echo and UDP echo over ::1") func ipv6() throws {
            try check(["echo", String(16 << 20)], target: "::1")
            try check(["udp"], target: "::1")
        }
    }
}

/// Runs the echo unikernel `command` as a client in a fresh namespace: against a Linux listener
/// (socat echoing through cat) it must verify a 4 MiB echo, and a closed port must be refused.
func checkEchoClient(_ command: [String], sourceLocation: SourceLocation = #_sourceLocation) throws {
    let namespace = try NetworkNamespace()
    let listenerLog = scratchDirectory + namespace.name + "-listener.log"
    _ = try namespace.start(["/usr/bin/socat", "TCP-LISTEN:5000,bind=10.0.0.1,reuseaddr", "EXEC:/bin/cat"], log: listenerLog)
    usleep(300_000)
    let result = try namespace.exec(command + ["--connect=10.0.0.1:5000", "--bytes=\(4 << 20)"])
    #expect(result.status == 0, "\(result.errorOutput)", sourceLocation: sourceLocation)
    #expect(result.errorOutput.contains("echo of 4194304 bytes from 10.0.0.1:5000 verified"), sourceLocation: sourceLocation)
    let refused = try namespace.exec(command + ["--connect=10.0.0.1:5001"])
    #expect(refused.status == 1, sourceLocation: sourceLocation)
    #expect(refused.errorOutput.contains("connection refused"), sourceLocation: sourceLocation)
}

/// Starts the echo server `server` (a command line) in a fresh namespace with tap0, runs the
/// peer script's `peer` check against it, and expects both to succeed; returns the check's
/// result and the server's log.
@discardableResult
func checkEchoServer(_ server: [String], peer: [String], sourceLocation: SourceLocation = #_sourceLocation) throws -> (Finished, String) {
    let namespace = try NetworkNamespace()
    let log = scratchDirectory + namespace.name + ".log"
    let process = try namespace.start(server, log: log)
    try waitUntilListening(log, process)
    let result = try namespace.exec(["/usr/bin/python3", peerScript] + peer)
    let serverLog = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
    #expect(result.status == 0, "\(result.output)\(result.errorOutput)\nunikernel:\n\(serverLog)", sourceLocation: sourceLocation)
    #expect(process.isRunning, "the unikernel exited:\n\(serverLog)", sourceLocation: sourceLocation)
    return (result, serverLog)
}
