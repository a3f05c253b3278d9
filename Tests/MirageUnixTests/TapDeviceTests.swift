import CLinux
import Foundation
import Glibc
import MirageCore
import MirageNet
import MirageRuntime
import MirageUnix
import Testing

/// Whether tap interfaces and network namespaces can be made here; the suite says why not.
let tapAvailable: Bool = {
    var reason: String?
    if getuid() != 0 {
        reason = "not running as root, so no network namespace or tap interface can be made"
    } else if access("/dev/net/tun", R_OK | W_OK) != 0 {
        reason = "/dev/net/tun is absent or not usable"
    } else if !HostCommand.exists("ip") {
        reason = "the ip command (iproute2) is not installed"
    }
    if let reason { print("SKIP: TapDevice tests: \(reason)") }
    return reason == nil
}()

/// The link in every test namespace: the kernel's side at 10.0.0.1 and ours.
enum TestLink {
    static let hostAddress = IPv4Address(10, 0, 0, 1)
    static let ourAddress = IPv4Address(10, 0, 0, 2)
    static let ourMAC = MACAddress(0x02, 0x00, 0x00, 0x00, 0x00, 0x02)
}

@Suite("TapDevice", .serialized, .enabled(if: tapAvailable, "SKIP: needs root and /dev/net/tun"))
struct TapDeviceTests {
    @Test("the kernel's ARP request arrives; after our reply comes its echo request, and ping gets our echo reply")
    func arpThenPing() throws {
        guard HostCommand.exists("ping") else {
            print("SKIP: TapDevice ping test: ping (iputils-ping) is not installed")
            return
        }
        let namespace = try TestNetworkNamespace()
        defer { namespace.delete() }
        let platform = UnixPlatform(bootArguments: [], handlesSignals: false)
        let device = try namespace.openTap(platform: platform, mac: TestLink.ourMAC)
        let ping = try namespace.start(["ping", "-c", "1", "-W", "2", TestLink.ourAddress.description])
        defer { if ping.isRunning { ping.terminate() } }

        var request: ARPPacket?
        var echo: (ip: IPv4Header, identifier: UInt16, sequence: UInt16, data: [UInt8])?
        var seen = (frames: 0, bytes: 0)
        let outcome = runDeviceTask(platform) { () async throws(NetworkError) in
            while request == nil {
                try await device.receive { frame in
                    seen.frames += 1
                    seen.bytes += frame.count
                    if let arp = Frames.arp(frame), arp.operation == .request, arp.targetProtocol == TestLink.ourAddress {
                        request = arp
                    }
                }
            }
            let reply = ARPPacket(
                operation: .reply, senderHardware: TestLink.ourMAC, senderProtocol: TestLink.ourAddress,
                targetHardware: request!.senderHardware, targetProtocol: request!.senderProtocol)
            try await device.transmit(Frames.arp(reply, to: request!.senderHardware))
            while echo == nil {
                try await device.receive { frame in
                    seen.frames += 1
                    seen.bytes += frame.count
                    echo = Frames.echoRequest(frame, to: TestLink.ourMAC)
                }
            }
            try await device.transmit(Frames.echoReply(to: echo!, hostMAC: request!.senderHardware))
        }
        ping.waitUntilExit()

        #expect(outcome == .finished)
        #expect(request?.senderProtocol == TestLink.hostAddress)
        #expect(request?.targetHardware == .zero)
        #expect(echo?.ip.source == TestLink.hostAddress)
        #expect(echo?.ip.destination == TestLink.ourAddress)
        #expect(ping.terminationStatus == 0, "ping got no echo reply")
        #expect(device.statistics.receivedFrames == UInt64(seen.frames))
        #expect(device.statistics.receivedBytes == UInt64(seen.bytes))
        #expect(device.statistics.transmittedFrames == 2)
        #expect(device.statistics.transmittedBytes == UInt64(42 + 14 + Int(echo?.ip.totalLength ?? 0)))
        #expect(device.statistics.dropped == 0)
    }

    @Test("a burst of 100 frames arrives in order, at most 64 per receive, each with 64 bytes of headroom")
    func batches() throws {
        let namespace = try TestNetworkNamespace()
        defer { namespace.delete() }
        let platform = UnixPlatform(bootArguments: [], handlesSignals: false)
        let device = try namespace.openTap(platform: platform, mac: TestLink.ourMAC)
        // A permanent neighbour entry: the kernel sends the datagrams at once, without asking by ARP.
        try namespace.run(["ip", "neigh", "add", TestLink.ourAddress.description, "lladdr", TestLink.ourMAC.description,
                           "dev", "tap0", "nud", "permanent"])
        try namespace.run(["bash", "-c", "for i in $(seq 1 100); do echo $i > /dev/udp/\(TestLink.ourAddress)/9; done"])

        var batches: [[String]] = []
        var headrooms: Set<Int> = []
        let outcome = runDeviceTask(platform) { () async throws(NetworkError) in
            while batches.joined().count < 100 {
                var batch: [String] = []
                try await device.receive { frame in
                    headrooms.insert(frame.headroom)
                    batch.append(Frames.udpPayload(frame).map { String(decoding: $0, as: UTF8.self) } ?? "?")
                }
                batches.append(batch)
            }
        }

        #expect(outcome == .finished)
        #expect(batches.map(\.count) == [64, 36])
        #expect(Array(batches.joined()) == (1...100).map { "\($0)\n" })
        #expect(headrooms == [NetworkDeviceLimits.receiveHeadroom])
        #expect(device.statistics.receivedFrames == 100)
    }

    @Test("the MTU is read from the interface; a frame of MTU + 18 bytes is sent, one byte more is refused and counted, a runt is refused by the kernel")
    func frameTooLarge() throws {
        let namespace = try TestNetworkNamespace()
        defer { namespace.delete() }
        try namespace.run(["ip", "link", "set", "tap0", "mtu", "1400"])
        let platform = UnixPlatform(bootArguments: [], handlesSignals: false)
        let device = try namespace.openTap(platform: platform, mac: TestLink.ourMAC)
        #expect(device.name == "tap0")
        #expect(device.mtu == 1400)
        #expect(device.frameLimit == 1418)

        // Addressed to our own MAC with an experimental EtherType: the kernel drops it unread.
        func frame(length: Int) -> PacketBuffer {
            var bytes = [UInt8](repeating: 0, count: length)
            bytes.withUnsafeMutableBytes {
                EthernetHeader(destination: TestLink.ourMAC, source: TestLink.ourMAC, etherType: EtherType(rawValue: 0x88B5)).emit(into: $0)
            }
            return PacketBuffer(bytes)
        }
        var refusals: [NetworkError] = []
        let outcome = runDeviceTask(platform) { () async throws(NetworkError) in
            try await device.transmit(frame(length: 1418))
            do throws(NetworkError) { try await device.transmit(frame(length: 1419)) } catch { refusals.append(error) }
            // Shorter than an Ethernet header: the kernel refuses it.
            do throws(NetworkError) { try await device.transmit(PacketBuffer([1, 2, 3])) } catch { refusals.append(error) }
        }

        #expect(outcome == .finished)
        #expect(refusals == [.frameTooLarge(length: 1419, limit: 1418), .io(code: EINVAL)])
        #expect(device.statistics.transmittedFrames == 1)
        #expect(device.statistics.transmittedBytes == 1418)
        #expect(device.statistics.dropped == 1)
    }

    @Test("a received frame longer than the MTU the device was opened with: without offloads dropped and counted (the next one still arrives), with offloads passed on (the kernel may coalesce TCP segments)",
          arguments: [false, true])
    func receivedFrameLongerThanMTU(offloading: Bool) throws {
        let namespace = try TestNetworkNamespace()
        defer { namespace.delete() }
        try namespace.run(["ip", "link", "set", "tap0", "mtu", "1400"])
        let platform = UnixPlatform(bootArguments: [], handlesSignals: false)
        let device = try namespace.openTap(platform: platform, mac: TestLink.ourMAC, offloading: offloading)
        // The kernel's MTU grows after the device read it: its frames may now exceed the limit.
        try namespace.run(["ip", "link", "set", "tap0", "mtu", "1500"])
        try namespace.run(["ip", "neigh", "add", TestLink.ourAddress.description, "lladdr", TestLink.ourMAC.description,
                           "dev", "tap0", "nud", "permanent"])
        let long = String(repeating: "x", count: 1450)
        try namespace.run(["bash", "-c", "echo \(long) > /dev/udp/\(TestLink.ourAddress)/9; echo short > /dev/udp/\(TestLink.ourAddress)/9"])

        var payloads: [String] = []
        let outcome = runDeviceTask(platform) { () async throws(NetworkError) in
            while !payloads.contains("short\n") {
                try await device.receive { frame in
                    payloads.append(Frames.udpPayload(frame).map { String(decoding: $0, as: UTF8.self) } ?? "?")
                }
            }
        }
        #expect(outcome == .finished)
        #expect(device.offloads == (offloading ? [.transmitChecksum, .tcpSegmentation, .tcpSegmentationIPv6] : []))
        #expect(payloads == (offloading ? [long + "\n", "short\n"] : ["short\n"]))
        #expect(device.statistics.dropped == (offloading ? 0 : 1))
    }

    @Test("after close, receive and transmit throw disconnected; closing twice is harmless")
    func closeDisconnects() throws {
        let namespace = try TestNetworkNamespace()
        defer { namespace.delete() }
        let platform = UnixPlatform(bootArguments: [], handlesSignals: false)
        let device = try namespace.openTap(platform: platform, mac: TestLink.ourMAC)
        device.close()
        device.close()
        #expect(device.isClosed)
        var errors: [NetworkError] = []
        let outcome = runDeviceTask(platform) { () async throws(NetworkError) in
            do throws(NetworkError) { try await device.receive { _ in } } catch { errors.append(error) }
            do throws(NetworkError) { try await device.transmit(PacketBuffer([UInt8](repeating: 0, count: 60))) } catch { errors.append(error) }
        }
        #expect(outcome == .finished)
        #expect(errors == [.disconnected, .disconnected])
    }

    @Test("deleting the interface under an open device makes receive throw disconnected")
    func interfaceDeleted() throws {
        let namespace = try TestNetworkNamespace()
        defer { namespace.delete() }
        let platform = UnixPlatform(bootArguments: [], handlesSignals: false)
        let device = try namespace.openTap(platform: platform, mac: TestLink.ourMAC)
        try namespace.run(["ip", "link", "delete", "tap0"])
        var failure: NetworkError?
        let outcome = runDeviceTask(platform) { () async throws(NetworkError) in
            do throws(NetworkError) { try await device.receive { _ in } } catch { failure = error }
        }
        #expect(outcome == .finished)
        #expect(failure == .disconnected)
    }

    @Test("a name that is too long, or that of a tun interface, is refused with EINVAL")
    func refusedNames() throws {
        let namespace = try TestNetworkNamespace()
        defer { namespace.delete() }
        try namespace.run(["ip", "tuntap", "add", "dev", "tun0", "mode", "tun"])
        let platform = UnixPlatform(bootArguments: [], handlesSignals: false)
        #expect(throws: NetworkError.io(code: EINVAL)) {
            try namespace.openTap("sixteen-bytes-xx", platform: platform, mac: TestLink.ourMAC)
        }
        #expect(throws: NetworkError.io(code: EINVAL)) {
            try namespace.openTap("", platform: platform, mac: TestLink.ourMAC)
        }
        #expect(throws: NetworkError.io(code: EINVAL)) {
            try namespace.openTap("tun0", platform: platform, mac: TestLink.ourMAC)
        }
    }
}

@Suite("TapDevice addresses")
struct TapDeviceAddressTests {
    /// Entropy that gives the same byte over and over.
    final class ConstantEntropy: EntropySource {
        let byte: UInt8
        init(_ byte: UInt8) { self.byte = byte }
        func fill(_ buffer: UnsafeMutableRawBufferPointer) {
            for index in buffer.indices { buffer[index] = byte }
        }
    }

    @Test("a random MAC is unicast and locally administered, and keeps the other 46 bits random")
    func randomLocalMAC() {
        #expect(TapDevice.randomLocalMAC(from: ConstantEntropy(0xFF)) == MACAddress(0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF))
        #expect(TapDevice.randomLocalMAC(from: ConstantEntropy(0x00)) == MACAddress(0x02, 0, 0, 0, 0, 0))
        for _ in 0..<100 {
            let mac = TapDevice.randomLocalMAC(from: UnixEntropy())
            #expect(!mac.isMulticast)
            #expect(mac.isLocallyAdministered)
        }
    }
}

@Suite("virtio-net header")
struct VirtioNetHeaderTests {
    @Test("a segment for the kernel to cut asks for a partial checksum and TCPv4 segmentation, in little-endian fields")
    func transmitSegmentation() {
        var offload = FrameOffload()
        offload.checksumStart = 34
        offload.checksumOffset = 16
        offload.tcpSegmentSize = 1448
        offload.headerLength = 66
        var bytes = [UInt8](repeating: 0xEE, count: VirtioNetHeader.length)
        bytes.withUnsafeMutableBytes { VirtioNetHeader(transmitting: offload).write(into: $0) }
        #expect(bytes == [1, 1, 66, 0, 0xA8, 0x05, 34, 0, 16, 0])
        let read = bytes.withUnsafeBytes { VirtioNetHeader($0) }
        #expect(read == VirtioNetHeader(transmitting: offload))
    }

    @Test("a frame without offloads gets an all-zero header; a checksum-only one no segmentation")
    func transmitPlain() {
        var bytes = [UInt8](repeating: 0xEE, count: VirtioNetHeader.length)
        bytes.withUnsafeMutableBytes { VirtioNetHeader(transmitting: FrameOffload()).write(into: $0) }
        #expect(bytes == [UInt8](repeating: 0, count: 10))
        var offload = FrameOffload()
        offload.checksumStart = 34
        offload.checksumOffset = 6
        bytes.withUnsafeMutableBytes { VirtioNetHeader(transmitting: offload).write(into: $0) }
        #expect(bytes == [1, 0, 0, 0, 0, 0, 34, 0, 6, 0])
    }

    @Test("received: a partial or checked checksum is vouched for, a plain frame's is not")
    func received() {
        for (flags, verified) in [(UInt8(0), false), (1, true), (2, true), (3, true)] {
            let bytes: [UInt8] = [flags, 1, 66, 0, 0xA8, 0x05, 34, 0, 16, 0]
            #expect(bytes.withUnsafeBytes { VirtioNetHeader($0).receivedOffload.checksumVerified } == verified)
        }
    }
}
