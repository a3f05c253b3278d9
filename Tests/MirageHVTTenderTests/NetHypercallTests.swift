import CMirageHVTABI
import Foundation
import Glibc
@testable import MirageHVTTender
import Testing

/// The net hypercalls against a net backend whose "tap" is one end of a datagram socket pair:
/// each datagram is one frame, as on a tap descriptor, and the test plays the host on the other
/// end. Guest memory is a 64 KiB buffer of the test's.
@Suite("Net hypercalls")
struct NetHypercallTests {
    /// Guest memory, a handler serving net device 0 over a socket pair, and the host's end.
    final class Fixture {
        static let memorySize = 1 << 16
        static let argument: UInt64 = 0x100  // where the argument structure goes
        static let buffer: UInt64 = 0x1000   // where frames go
        let raw = UnsafeMutableRawBufferPointer.allocate(byteCount: memorySize, alignment: 4096)
        let memory: GuestMemory
        let handler: HypercallHandler
        let backend: NetBackend
        let host: Int32

        init(mtu: Int = 1500, headerLength: Int = 0) {
            raw.initializeMemory(as: UInt8.self, repeating: 0xCC)
            memory = GuestMemory(bytes: raw)
            var pair: [Int32] = [0, 0]
            precondition(socketpair(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &pair) == 0)
            host = pair[1]
            backend = NetBackend(name: "service", interface: "test0", fileDescriptor: pair[0], mtu: mtu, mac: [2, 0, 0, 0, 0, 1],
                                 headerLength: headerLength)
            handler = HypercallHandler(memory: memory, blocks: [:], nets: [0: backend], events: HostEvents(handlesSignals: false))
        }

        deinit {
            close(host)
            raw.deallocate()
        }

        /// Makes a net hypercall with `io` at ``argument``; returns the outcome and `io` as the
        /// tender left it.
        func call(_ number: mirage_hvt_hypercall, _ io: mirage_hvt_net_io, at address: UInt64 = argument) -> (HypercallHandler.Outcome, mirage_hvt_net_io) {
            _ = memory.withStruct(mirage_hvt_net_io.self, at: address) { $0.pointee = io }
            let outcome = handler.handle(UInt64(number.rawValue), argument: address)
            return (outcome, memory.withStruct(mirage_hvt_net_io.self, at: address) { $0.pointee } ?? io)
        }

        func read(capacity: Int, device: UInt32 = 0) -> (HypercallHandler.Outcome, mirage_hvt_net_io) {
            call(MIRAGE_HVT_NET_READ, mirage_hvt_net_io(device: device, status: 99, data: Self.buffer, length: UInt64(capacity)))
        }

        func write(_ frame: [UInt8], device: UInt32 = 0) -> (HypercallHandler.Outcome, mirage_hvt_net_io) {
            _ = frame.withUnsafeBytes { memory.copy($0, to: Self.buffer) }
            return call(MIRAGE_HVT_NET_WRITE, mirage_hvt_net_io(device: device, status: 99, data: Self.buffer, length: UInt64(frame.count)))
        }

        /// Makes a net hypercall with headers (`MIRAGE_HVT_NET_HEADER`): `io` and `header` at
        /// ``argument``; returns the outcome, `io` and the header as the tender left them.
        func callWithHeader(_ number: mirage_hvt_hypercall, _ io: mirage_hvt_net_io, header: [UInt8])
            -> (HypercallHandler.Outcome, mirage_hvt_net_io, [UInt8]) {
            let (outcome, after, returned, _) = callWithHeaderAndMore(number, io, header: header)
            return (outcome, after, returned)
        }

        /// ``callWithHeader(_:_:header:)``, also returning the `more` byte the tender left (the
        /// argument starts with it at 0xEE).
        func callWithHeaderAndMore(_ number: mirage_hvt_hypercall, _ io: mirage_hvt_net_io, header: [UInt8])
            -> (HypercallHandler.Outcome, mirage_hvt_net_io, [UInt8], UInt8) {
            var argument = mirage_hvt_net_io_with_header()
            argument.io = io
            argument.io.device |= MIRAGE_HVT_NET_HEADER
            argument.more = 0xEE
            withUnsafeMutableBytes(of: &argument.header) { bytes in
                for (index, byte) in header.enumerated() { bytes[index] = byte }
            }
            _ = memory.withStruct(mirage_hvt_net_io_with_header.self, at: Self.argument) { $0.pointee = argument }
            let outcome = handler.handle(UInt64(number.rawValue), argument: Self.argument)
            let after = memory.withStruct(mirage_hvt_net_io_with_header.self, at: Self.argument) { $0.pointee }!
            return (outcome, after.io, withUnsafeBytes(of: after.header) { Array($0.prefix(10)) }, after.more)
        }

        /// The host sends `frame` to the guest.
        func send(_ frame: [UInt8]) {
            #expect(frame.withUnsafeBytes { Glibc.send(host, $0.baseAddress, $0.count, 0) } == frame.count)
        }

        /// The frames the guest sent, as the host reads them.
        func received() -> [[UInt8]] {
            var frames: [[UInt8]] = []
            var buffer = [UInt8](repeating: 0, count: 1 << 16)
            while true {
                let count = recv(host, &buffer, buffer.count, 0)
                if count < 0 { return frames }
                frames.append(Array(buffer[0..<count]))
            }
        }

        func guestBytes(at address: UInt64, count: Int) -> [UInt8] {
            Array(memory.range(at: address, length: UInt64(count))!)
        }

        func poll(deadline: UInt64, interest: UInt64) -> UInt64 {
            var request = mirage_hvt_poll(deadline: deadline, ready: interest)
            _ = memory.withStruct(mirage_hvt_poll.self, at: Self.argument) { $0.pointee = request }
            #expect(handler.handle(UInt64(MIRAGE_HVT_POLL.rawValue), argument: Self.argument) == .resume)
            request = memory.withStruct(mirage_hvt_poll.self, at: Self.argument) { $0.pointee }!
            return request.ready
        }
    }

    static func frame(_ count: Int, seed: UInt8 = 1) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ Int(seed)) }
    }

    static var now: UInt64 { HypercallHandler.clock(CLOCK_MONOTONIC) }

    @Test("a write sends the guest's bytes as one frame")
    func writeSendsOneFrame() {
        let fixture = Fixture()
        let frame = Self.frame(60)
        let (outcome, io) = fixture.write(frame)
        #expect(outcome == .resume)
        #expect(io.status == MIRAGE_HVT_OK.rawValue)
        #expect(fixture.received() == [frame])
    }

    @Test("a read with no frame waiting says AGAIN; frames are then read one per call, in order")
    func readsFramesInOrder() {
        let fixture = Fixture()
        let (outcome, empty) = fixture.read(capacity: 1518)
        #expect(outcome == .resume)
        #expect(empty.status == MIRAGE_HVT_AGAIN.rawValue && empty.length == 0)
        let first = Self.frame(1514, seed: 1), second = Self.frame(42, seed: 2)
        fixture.send(first)
        fixture.send(second)
        for expected in [first, second] {
            let (_, io) = fixture.read(capacity: 1518)
            #expect(io.status == MIRAGE_HVT_OK.rawValue)
            #expect(io.length == UInt64(expected.count))
            #expect(fixture.guestBytes(at: Fixture.buffer, count: expected.count) == expected)
        }
        #expect(fixture.read(capacity: 1518).1.status == MIRAGE_HVT_AGAIN.rawValue)
    }

    @Test("a frame longer than the guest's buffer is dropped and counted, not cut short, and nothing past the buffer changes")
    func longFrameIsDropped() {
        let fixture = Fixture()
        fixture.send(Self.frame(1000, seed: 3))
        let next = Self.frame(100, seed: 4)
        fixture.send(next)
        let (outcome, dropped) = fixture.read(capacity: 200)
        #expect(outcome == .resume)
        #expect(dropped.status == MIRAGE_HVT_DROPPED.rawValue && dropped.length == 0)
        #expect(fixture.backend.droppedFrames == 1)
        #expect(fixture.guestBytes(at: Fixture.buffer + 200, count: 4096) == [UInt8](repeating: 0xCC, count: 4096))
        let (_, io) = fixture.read(capacity: 200)
        #expect(io.status == MIRAGE_HVT_OK.rawValue && io.length == 100)
        #expect(fixture.guestBytes(at: Fixture.buffer, count: 100) == next)
    }

    @Test("writes shorter than an Ethernet header or longer than MTU + 18 bytes are refused and not sent")
    func writeLengthsAreChecked() {
        let fixture = Fixture(mtu: 1500)
        #expect(fixture.write(Self.frame(13)).1.status == MIRAGE_HVT_INVALID.rawValue)
        #expect(fixture.write(Self.frame(1519)).1.status == MIRAGE_HVT_INVALID.rawValue)
        #expect(fixture.write(Self.frame(1518)).1.status == MIRAGE_HVT_OK.rawValue)
        #expect(fixture.received().map(\.count) == [1518])
    }

    @Test("a device index that is not a net device is refused with INVALID", arguments: [1, 5, 16, UInt32.max] as [UInt32])
    func unknownDevice(device: UInt32) {
        let fixture = Fixture()
        fixture.send(Self.frame(60))
        let (outcome, read) = fixture.read(capacity: 1518, device: device)
        #expect(outcome == .resume)
        #expect(read.status == MIRAGE_HVT_INVALID.rawValue && read.length == 0)
        #expect(fixture.write(Self.frame(60), device: device).1.status == MIRAGE_HVT_INVALID.rawValue)
        #expect(fixture.received().isEmpty)
    }

    @Test("a buffer outside guest memory ends the guest as crashed, for reads and writes", arguments: [
        (Fixture.buffer, UInt64(Fixture.memorySize)),              // runs past the end
        (UInt64(Fixture.memorySize) - 10, 1518),                   // starts inside, ends outside
        (0x7FFF_0000_0000, 60),                                    // far outside
        (UInt64(Fixture.memorySize) - 10, UInt64.max - 4),         // address + length wraps
    ] as [(UInt64, UInt64)])
    func bufferOutsideMemory(data: UInt64, length: UInt64) {
        let fixture = Fixture()
        fixture.send(Self.frame(60))
        for call in [MIRAGE_HVT_NET_READ, MIRAGE_HVT_NET_WRITE] {
            let (outcome, _) = fixture.call(call, mirage_hvt_net_io(device: 0, status: 0, data: data, length: length))
            guard case let .crash(reason) = outcome else {
                Issue.record("\(call) with \(length) bytes at 0x\(String(data, radix: 16)) was served: \(outcome)")
                continue
            }
            #expect(reason.contains("outside its memory"), "\(reason)")
            #expect(reason.contains("0x\(String(data, radix: 16))"), "\(reason)")
        }
        #expect(fixture.received().isEmpty)
    }

    @Test("an argument structure outside guest memory or misaligned ends the guest as crashed", arguments: [
        UInt64(Fixture.memorySize) - 8, 0x7FFF_0000_0000, Fixture.argument + 4,
    ])
    func argumentOutsideMemory(address: UInt64) {
        let fixture = Fixture()
        let outcome = fixture.handler.handle(UInt64(MIRAGE_HVT_NET_READ.rawValue), argument: address)
        #expect(outcome == .crash("the guest passed a net hypercall argument at 0x\(String(address, radix: 16)), outside its memory or misaligned"))
    }

    @Test("poll reports a device with frames when the guest waits for it, and only then")
    func pollReadiness() {
        let fixture = Fixture()
        #expect(fixture.poll(deadline: 0, interest: 1) == 0)
        fixture.send(Self.frame(60))
        #expect(fixture.poll(deadline: 0, interest: 1) == 1)
        // Not waited for: the deadline is kept, and the frame does not end the wait early.
        let start = Self.now
        #expect(fixture.poll(deadline: start + 30_000_000, interest: 0) == 0)
        #expect(Self.now - start >= 30_000_000)
        // Waited for again: at once.
        let again = Self.now
        #expect(fixture.poll(deadline: again + 5_000_000_000, interest: 1) == 1)
        #expect(Self.now - again < 1_000_000_000)
        _ = fixture.read(capacity: 1518)
        #expect(fixture.poll(deadline: Self.now + 20_000_000, interest: 1) == 0)
    }

    @Test("a frame arriving during a poll ends it early")
    func pollWakesForFrames() {
        let fixture = Fixture()
        let host = fixture.host
        let frame = Self.frame(60)
        // A thread of its own: the poll blocks this one, and the test's executor may have no other.
        let sender = Thread {
            usleep(50_000)
            _ = frame.withUnsafeBytes { send(host, $0.baseAddress, $0.count, 0) }
        }
        let start = Self.now
        sender.start()
        #expect(fixture.poll(deadline: start + 10_000_000_000, interest: 1) == 1)
        #expect(Self.now - start < 5_000_000_000)
        while !sender.isFinished { usleep(1000) }
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

    @Test("the guest's MAC is random, unicast and locally administered, and the table entry carries it and the MTU")
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
    }

    @Test("with headers, a write sends the guest's virtio-net header and frame as one; a segment for the kernel to cut may pass the MTU, another may not")
    func writeWithHeader() {
        let fixture = Fixture(headerLength: 10)
        #expect(fixture.backend.tableEntry.abiEntry.flags == MIRAGE_HVT_NET_HEADERS)
        let frame = [UInt8](repeating: 0x5A, count: 3000)
        _ = frame.withUnsafeBytes { fixture.memory.copy($0, to: Fixture.buffer) }
        let io = mirage_hvt_net_io(device: 0, status: 99, data: Fixture.buffer, length: UInt64(frame.count))
        let segmenting: [UInt8] = [1, 1, 66, 0, 0xA8, 0x05, 34, 0, 16, 0]
        let (outcome, after, _) = fixture.callWithHeader(MIRAGE_HVT_NET_WRITE, io, header: segmenting)
        #expect(outcome == .resume && after.status == MIRAGE_HVT_OK.rawValue)
        #expect(fixture.received() == [segmenting + frame])
        let plain: [UInt8] = [1, 0, 0, 0, 0, 0, 34, 0, 16, 0]
        let (_, refused, _) = fixture.callWithHeader(MIRAGE_HVT_NET_WRITE, io, header: plain)
        #expect(refused.status == MIRAGE_HVT_INVALID.rawValue)
        #expect(fixture.received().isEmpty)
    }

    @Test("with headers, a read returns the frame and, beside it, the header the host sent; without, the header is dropped")
    func readWithHeader() {
        let fixture = Fixture(headerLength: 10)
        let header: [UInt8] = [1, 0, 0, 0, 0, 0, 34, 0, 16, 0]
        let frame = [UInt8](repeating: 0x33, count: 100)
        fixture.send(header + frame)
        let io = mirage_hvt_net_io(device: 0, status: 99, data: Fixture.buffer, length: 2000)
        let (_, after, returned) = fixture.callWithHeader(MIRAGE_HVT_NET_READ, io, header: [UInt8](repeating: 0xEE, count: 10))
        #expect(after.status == MIRAGE_HVT_OK.rawValue && after.length == 100)
        #expect(returned == header)
        #expect(fixture.guestBytes(at: Fixture.buffer, count: 100) == frame)
        // A guest that asks for no header gets the frame alone.
        fixture.send(header + frame.map { $0 ^ 0xFF })
        let (_, plain) = fixture.read(capacity: 2000)
        #expect(plain.status == MIRAGE_HVT_OK.rawValue && plain.length == 100)
        #expect(fixture.guestBytes(at: Fixture.buffer, count: 100) == frame.map { $0 ^ 0xFF })
    }

    @Test("a read with headers says whether another frame is waiting: 1 while one is, 0 for the last")
    func readSaysWhetherMoreWait() {
        let fixture = Fixture(headerLength: 10)
        let header: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
        fixture.send(header + Self.frame(60, seed: 1))
        fixture.send(header + Self.frame(70, seed: 2))
        let io = mirage_hvt_net_io(device: 0, status: 99, data: Fixture.buffer, length: 2000)
        let (_, first, _, moreAfterFirst) = fixture.callWithHeaderAndMore(MIRAGE_HVT_NET_READ, io, header: header)
        #expect(first.status == MIRAGE_HVT_OK.rawValue && first.length == 60)
        #expect(moreAfterFirst == 1)
        let (_, second, _, moreAfterSecond) = fixture.callWithHeaderAndMore(MIRAGE_HVT_NET_READ, io, header: header)
        #expect(second.status == MIRAGE_HVT_OK.rawValue && second.length == 70)
        #expect(moreAfterSecond == 0)
        let (_, none, _, _) = fixture.callWithHeaderAndMore(MIRAGE_HVT_NET_READ, io, header: header)
        #expect(none.status == MIRAGE_HVT_AGAIN.rawValue)
    }

    @Test("a call with headers to a device that cannot pass them is refused with UNSUPPORTED, and its entry does not offer them")
    func headersUnsupported() {
        let fixture = Fixture()
        #expect(fixture.backend.tableEntry.abiEntry.flags == 0)
        let io = mirage_hvt_net_io(device: 0, status: 99, data: Fixture.buffer, length: 2000)
        let (outcome, after, _) = fixture.callWithHeader(MIRAGE_HVT_NET_READ, io, header: [])
        #expect(outcome == .resume && after.status == MIRAGE_HVT_UNSUPPORTED.rawValue && after.length == 0)
    }
}
