import CLinux
import Foundation
import Glibc
import MirageCore
import MirageNet
import MirageRuntime
import MirageUnix

/// A failure of the test's own set-up, with what was tried and what the host said.
struct SetupFailure: Error, CustomStringConvertible {
    var description: String
}

/// Host commands, run to completion from the test process.
enum HostCommand {
    /// What a finished command did.
    struct Finished {
        var status: Int32
        var output: String
    }

    /// Whether `name` is a command on the PATH.
    static func exists(_ name: String) -> Bool {
        (try? run(["sh", "-c", "command -v \(name)"]))?.status == 0
    }

    /// Starts `arguments` (found on the PATH), standard output and error going to one pipe.
    static func start(_ arguments: [String], output: Pipe? = nil) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        if let output {
            process.standardOutput = output
            process.standardError = output
        }
        try process.run()
        return process
    }

    /// Runs `arguments` to completion; returns the status and the output (standard error too).
    static func run(_ arguments: [String]) throws -> Finished {
        let pipe = Pipe()
        let process = try start(arguments, output: pipe)
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Finished(status: process.terminationStatus, output: String(decoding: data, as: UTF8.self))
    }

    /// Runs `arguments` to completion and throws when they fail.
    @discardableResult
    static func check(_ arguments: [String]) throws -> String {
        let result = try run(arguments)
        guard result.status == 0 else {
            throw SetupFailure(description: "\(arguments.joined(separator: " ")) exited \(result.status): \(result.output)")
        }
        return result.output
    }
}

/// A network namespace made for one test (`mirage-tap-test-PID-N`), holding a tap interface
/// `tap0` at 10.0.0.1/24 that is up, with IPv6 off so that the kernel sends only what the test
/// provokes. Nothing in it can reach the root namespace's networks. Call ``delete()`` in a `defer`.
struct TestNetworkNamespace {
    nonisolated(unsafe) private static var made = 0
    let name: String

    /// Makes the namespace and the interface; deletes the namespace again when a step fails.
    init() throws {
        Self.made += 1
        name = "mirage-tap-test-\(getpid())-\(Self.made)"
        try HostCommand.check(["ip", "netns", "add", name])
        do {
            try run(["sysctl", "-q", "-w", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1"])
            try run(["ip", "tuntap", "add", "dev", "tap0", "mode", "tap"])
            try run(["ip", "addr", "add", "10.0.0.1/24", "dev", "tap0"])
            try run(["ip", "link", "set", "tap0", "up"])
        } catch {
            delete()
            throw error
        }
    }

    /// Deletes the namespace and the interfaces in it.
    func delete() {
        _ = try? HostCommand.run(["ip", "netns", "delete", name])
    }

    /// Runs `arguments` inside the namespace to completion (`ip netns exec`); throws when they fail.
    func run(_ arguments: [String]) throws {
        try HostCommand.check(["ip", "netns", "exec", name] + arguments)
    }

    /// Starts `arguments` inside the namespace (`ip netns exec`), its output discarded.
    func start(_ arguments: [String]) throws -> Process {
        let process = try HostCommand.start(["ip", "netns", "exec", name] + arguments, output: Pipe())
        return process
    }

    /// Opens the tap interface `interface` inside the namespace.
    ///
    /// The calling thread enters the namespace (`setns`), opens the device and returns to the
    /// namespace it was in, with no suspension point in between: the descriptor stays bound to the
    /// namespace the tap interface is in.
    func openTap(_ interface: String = "tap0", platform: UnixPlatform, mac: MACAddress, offloading: Bool = true) throws -> TapDevice {
        let home = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC)
        guard home >= 0 else { throw SetupFailure(description: "cannot open this thread's network namespace: errno \(errno)") }
        defer { close(home) }
        let target = open("/var/run/netns/" + name, O_RDONLY | O_CLOEXEC)
        guard target >= 0 else { throw SetupFailure(description: "cannot open the namespace \(name): errno \(errno)") }
        defer { close(target) }
        guard mirage_enter_network_namespace(target) == 0 else {
            throw SetupFailure(description: "cannot enter the namespace \(name): errno \(errno)")
        }
        defer {
            precondition(mirage_enter_network_namespace(home) == 0, "cannot return to the test's network namespace")
        }
        return try TapDevice(name: interface, platform: platform, mac: mac, offloading: offloading)
    }
}

/// How a ``runDeviceTask(_:timeout:_:)`` ended.
enum DriveOutcome: Equatable {
    case finished
    case failed(NetworkError)
    case timedOut
}

/// Runs `body` as a task on a scheduler over `platform`, on the calling thread, and gives up on
/// it after `timeout` (the task is then abandoned, still waiting).
func runDeviceTask(_ platform: UnixPlatform, timeout: Duration = .seconds(5),
           _ body: @escaping () async throws(NetworkError) -> Void) -> DriveOutcome {
    final class Box { var outcome: DriveOutcome? }
    let box = Box()
    _ = Mirage.runToCompletion(platform) { () async -> Int32 in
        let deadline = platform.monotonicClock.now() + timeout
        Task {
            do throws(NetworkError) {
                try await body()
                box.outcome = .finished
            } catch {
                box.outcome = .failed(error)
            }
        }
        while box.outcome == nil && platform.monotonicClock.now() < deadline {
            try? await sleep(for: .milliseconds(5))
        }
        return 0
    }
    return box.outcome ?? .timedOut
}

/// Frames the tests build and look for, with MirageNet's wire formats.
enum Frames {
    /// The ARP packet in `frame`, or nil when it holds none.
    static func arp(_ frame: PacketBuffer) -> ARPPacket? {
        frame.withUnsafeBytes { bytes -> ARPPacket? in
            guard let ethernet = try? EthernetHeader.parse(bytes), ethernet.etherType == .arp else { return nil }
            return try? ARPPacket.parse(UnsafeRawBufferPointer(rebasing: bytes[ethernet.length...]))
        }
    }

    /// `packet` in an Ethernet frame from our MAC to `destination`.
    static func arp(_ packet: ARPPacket, to destination: MACAddress) -> PacketBuffer {
        var bytes = [UInt8](repeating: 0, count: 14 + ARPPacket.length)
        bytes.withUnsafeMutableBytes { raw in
            EthernetHeader(destination: destination, source: TestLink.ourMAC, etherType: .arp).emit(into: raw)
            packet.emit(into: UnsafeMutableRawBufferPointer(rebasing: raw[14...]))
        }
        return PacketBuffer(bytes)
    }

    /// The IPv4 header and payload of `frame`, when it holds an IPv4 packet addressed to `mac`.
    static func ipv4(_ frame: PacketBuffer, to mac: MACAddress? = nil) -> (IPv4Header, [UInt8])? {
        frame.withUnsafeBytes { bytes -> (IPv4Header, [UInt8])? in
            guard let ethernet = try? EthernetHeader.parse(bytes), ethernet.etherType == .ipv4,
                  mac == nil || ethernet.destination == mac else { return nil }
            let packet = UnsafeRawBufferPointer(rebasing: bytes[ethernet.length...])
            guard let ip = try? IPv4Header.parse(packet) else { return nil }
            return (ip, Array(packet[ip.payloadRange]))
        }
    }

    /// The ICMP echo request in `frame`, when it holds one addressed to `mac`.
    static func echoRequest(_ frame: PacketBuffer, to mac: MACAddress)
        -> (ip: IPv4Header, identifier: UInt16, sequence: UInt16, data: [UInt8])?
    {
        guard let (ip, payload) = ipv4(frame, to: mac), ip.protocol == .icmp,
              let icmp = payload.withUnsafeBytes({ try? ICMPv4Header.parse($0) }),
              case let .echoRequest(identifier, sequence) = icmp.message else { return nil }
        return (ip, identifier, sequence, Array(payload[ICMPv4Header.headerLength...]))
    }

    /// The echo reply to `request`, from our MAC to `hostMAC`.
    static func echoReply(to request: (ip: IPv4Header, identifier: UInt16, sequence: UInt16, data: [UInt8]),
                          hostMAC: MACAddress) -> PacketBuffer {
        let ipLength = IPv4Header.minimumLength + ICMPv4Header.headerLength + request.data.count
        var bytes = [UInt8](repeating: 0, count: 14 + ipLength)
        bytes.withUnsafeMutableBytes { raw in
            EthernetHeader(destination: hostMAC, source: TestLink.ourMAC, etherType: .ipv4).emit(into: raw)
            IPv4Header(totalLength: UInt16(ipLength), protocol: .icmp, source: request.ip.destination,
                       destination: request.ip.source)
                .emit(into: UnsafeMutableRawBufferPointer(rebasing: raw[14...]))
            let icmp = UnsafeMutableRawBufferPointer(rebasing: raw[(14 + IPv4Header.minimumLength)...])
            icmp.copyBytes(from: [UInt8](repeating: 0, count: ICMPv4Header.headerLength) + request.data)
            ICMPv4Header(.echoReply(identifier: request.identifier, sequence: request.sequence)).emit(into: icmp)
        }
        return PacketBuffer(bytes)
    }

    /// The UDP payload of `frame`, when it holds an IPv4 UDP datagram.
    static func udpPayload(_ frame: PacketBuffer) -> [UInt8]? {
        guard let (ip, payload) = ipv4(frame), ip.protocol == .udp, payload.count >= UDPHeader.headerLength else {
            return nil
        }
        return Array(payload[UDPHeader.headerLength...])
    }
}
