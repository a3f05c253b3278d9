import CMirageHVTABI
import Foundation
import Glibc
@testable import MirageHVTHost
import Testing

/// The net backend against a "tap" that is one end of a datagram socket pair (each datagram is one
/// frame, as on a tap descriptor; the test plays the host on the other end), and the poll
/// hypercall over a device handed over to the I/O thread. Guest memory is a buffer of the test's.
/// The frames themselves travel in the net rings (``NetRingPortTests``).
@Suite("Net devices and poll")
struct NetHypercallTests {
    /// 64 KiB of guest memory and a net backend over a socket pair, with the host's end.
    final class Fixture {
        static let memorySize = 1 << 16
        let raw = UnsafeMutableRawBufferPointer.allocate(byteCount: memorySize, alignment: 4096)
        let memory: GuestMemory
        let backend: NetBackend
        let host: Int32

        init(mtu: Int = 1500, headerLength: Int = 0) {
            raw.initializeMemory(as: UInt8.self, repeating: 0xCC)
            memory = GuestMemory(bytes: raw)
            (backend, host) = HostEnd.pair(mtu: mtu, headerLength: headerLength)
        }

        deinit {
            close(host)
            raw.deallocate()
        }
    }

    static var now: UInt64 { HypercallHandler.clock(CLOCK_MONOTONIC) }

    /// A handler whose net device 0 was handed over (rings at 0x80000 of 1 MiB of guest memory) to
    /// an I/O thread that is not started: the test plays the thread, putting frames in the receive
    /// ring and signalling the wake eventfd.
    final class HandedOver {
        let rings = NetRingPortTests.Rings()
        let thread: RingIOThread
        let handler: HypercallHandler
        let receive: UnsafeMutablePointer<mirage_hvt_ring>

        init() throws {
            thread = try RingIOThread()
            handler = HypercallHandler(memory: rings.memory, blocks: [:], nets: [0: rings.port.backend],
                                       events: HostEvents(handlesSignals: false), ioThread: thread)
            receive = UnsafeMutableRawPointer(rings.memory.range(at: 0x80000, length: 1)!.baseAddress!)
                .bindMemory(to: mirage_hvt_net_rings.self, capacity: 1).receive
            #expect(handOver(device: 0) == (.resume, MIRAGE_HVT_OK.rawValue))
        }

        /// The guest hands net device `device` over with rings at 0x80000: the outcome and status.
        func handOver(device: UInt32) -> (HypercallHandler.Outcome, UInt32) {
            let setup = mirage_hvt_net_rings_setup(device: device, status: 99, region: 0x80000, region_length: NetRingPort.regionLength)
            _ = rings.memory.withStruct(mirage_hvt_net_rings_setup.self, at: 0x100) { $0.pointee = setup }
            let outcome = handler.handle(UInt64(MIRAGE_HVT_NET_RINGS.rawValue), argument: 0x100)
            return (outcome, rings.memory.withStruct(mirage_hvt_net_rings_setup.self, at: 0x100) { $0.pointee.status }!)
        }

        func poll(deadline: UInt64, interest: UInt64) -> UInt64 {
            var request = mirage_hvt_poll(deadline: deadline, ready: interest)
            _ = rings.memory.withStruct(mirage_hvt_poll.self, at: 0x200) { $0.pointee = request }
            #expect(handler.handle(UInt64(MIRAGE_HVT_POLL.rawValue), argument: 0x200) == .resume)
            request = rings.memory.withStruct(mirage_hvt_poll.self, at: 0x200) { $0.pointee }!
            return request.ready
        }
    }

    @Test("poll reports a device whose receive ring holds frames when the guest waits for it, and only then")
    func pollReadiness() throws {
        let guest = try HandedOver()
        #expect(guest.poll(deadline: 0, interest: 1) == 0)
        mirage_hvt_ring_set_produced(guest.receive, 1)
        #expect(guest.poll(deadline: 0, interest: 1) == 1)
        // Not waited for: the deadline is kept, and the frame does not end the wait early.
        let start = Self.now
        #expect(guest.poll(deadline: start + 30_000_000, interest: 0) == 0)
        #expect(Self.now - start >= 30_000_000)
        #expect(guest.poll(deadline: 0, interest: 2) == 0)
        // Waited for again: at once.
        let again = Self.now
        #expect(guest.poll(deadline: again + 5_000_000_000, interest: 1) == 1)
        #expect(Self.now - again < 1_000_000_000)
        mirage_hvt_ring_set_consumed(guest.receive, 1)
        #expect(guest.poll(deadline: Self.now + 20_000_000, interest: 1) == 0)
    }

    @Test("frames the I/O thread puts in the ring of a sleeping guest end its poll early, and only those it waits for")
    func pollWakesForFrames() throws {
        let guest = try HandedOver()
        let (receive, wake) = (UInt(bitPattern: guest.receive), guest.thread.wakeDescriptor)  // an address: Sendable
        // A thread of its own plays the I/O thread: the poll blocks this one, and the test's
        // executor may have no other. A wake with nothing for the guest first, then a frame.
        let producer = Thread {
            usleep(30_000)
            RingIOThread.signal(wake)
            usleep(30_000)
            mirage_hvt_ring_set_produced(UnsafeMutablePointer(bitPattern: receive), 1)
            RingIOThread.signal(wake)
        }
        let start = Self.now
        producer.start()
        #expect(guest.poll(deadline: start + 10_000_000_000, interest: 1) == 1)
        let waited = Self.now - start
        #expect(waited >= 60_000_000 && waited < 5_000_000_000)
        while !producer.isFinished { usleep(1000) }
    }

    @Test("a tap interface that does not exist is named with the reason: exit 66")
    func missingTap() {
        #expect(throws: TenderError("--net:service=mirage-none9: cannot open tap interface mirage-none9: No such device; create it with 'ip tuntap add dev mirage-none9 mode tap' (or use 'swift-mirage run --create-tap')", status: TenderExitStatus.noInput)) {
            try NetBackend(name: "service", interface: "mirage-none9")
        }
    }

    @Test("interface names the kernel would expand or refuse are not tried", arguments: ["tap%d", "a/b", "sixteen-bytes-xx"])
    func badTapName(interface: String) {
        #expect(throws: TenderError("--net:service=\(interface): cannot open tap interface \(interface): not an interface name (1 to 15 bytes, no '%' or '/')", status: TenderExitStatus.noInput)) {
            try NetBackend(name: "service", interface: interface)
        }
    }

    @Test("the guest's MAC is random, unicast and locally administered, and the table entry carries it, the MTU and whether headers pass")
    func tableEntry() {
        let macs = (0..<32).map { _ in NetBackend.randomLocalMAC() }
        #expect(macs.allSatisfy { $0.count == 6 && $0[0] & 0x03 == 0x02 })
        #expect(Set(macs).count == macs.count)
        let fixture = Fixture(mtu: 9000)
        let entry = fixture.backend.tableEntry.abiEntry
        #expect(entry.kind == MIRAGE_HVT_DEVICE_NET.rawValue)
        #expect(entry.mtu == 9000)
        #expect(withUnsafeBytes(of: entry.mac) { Array($0.prefix(6)) } == [2, 0, 0, 0, 0, 1])
        #expect(withUnsafeBytes(of: entry.name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) } == "service")
        #expect(entry.flags == 0)
        #expect(Fixture(headerLength: 10).backend.tableEntry.abiEntry.flags == MIRAGE_HVT_NET_HEADERS)
    }
}

/// The host's end of a socket pair standing in for a tap: each datagram one frame.
struct HostEnd {
    let descriptor: Int32

    /// A net backend over one end of a new datagram socket pair, and the host's end of it.
    /// `bufferBytes`, when given, sizes both ends' socket buffers (for tests that queue many frames).
    static func pair(mtu: Int, headerLength: Int, bufferBytes: Int32? = nil) -> (backend: NetBackend, host: Int32) {
        var pair: [Int32] = [0, 0]
        precondition(socketpair(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &pair) == 0)
        if var size = bufferBytes {
            setsockopt(pair[1], SOL_SOCKET, SO_SNDBUF, &size, 4)
            setsockopt(pair[0], SOL_SOCKET, SO_RCVBUF, &size, 4)
        }
        let backend = NetBackend(name: "service", interface: "test0", fileDescriptor: pair[0], mtu: mtu, mac: [2, 0, 0, 0, 0, 1],
                                 headerLength: headerLength)
        return (backend, pair[1])
    }

    /// Sends `frame` to the guest.
    func send(_ frame: [UInt8]) {
        #expect(frame.withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, 0) } == frame.count)
    }

    /// The frames the guest sent, as the host reads them.
    func received() -> [[UInt8]] {
        var frames: [[UInt8]] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = recv(descriptor, &buffer, buffer.count, 0)
            if count < 0 { return frames }
            frames.append(Array(buffer[0..<count]))
        }
    }
}
