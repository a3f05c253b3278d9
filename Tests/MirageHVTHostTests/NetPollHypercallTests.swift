import CMirageHVTABI
import Foundation
import Glibc
@testable import MirageHVTHost
import Testing

/// `MIRAGE_HVT_NET_POLL`, frames sent and received in one call, against the socket-pair backend
/// of ``NetHypercallTests``. Guest layout: the argument at 0x100, the queue at 0x200, the frame
/// descriptions from 0x400, frames to send from 0x1000, the receive area at 0x8000.
@Suite("Net poll hypercall")
struct NetPollHypercallTests {
    typealias Fixture = NetHypercallTests.Fixture
    static let argument: UInt64 = 0x100
    static let queueAddress: UInt64 = 0x200
    static let descriptions: UInt64 = 0x400
    static let outgoing: UInt64 = 0x1000
    static let area: UInt64 = 0x8000
    static let descriptionSize = UInt64(MemoryLayout<mirage_hvt_net_frame>.stride)

    /// What one call left: its outcome, the ready bits, the queue, and the received frames with
    /// their headers and guest addresses.
    struct Result {
        var outcome: HypercallHandler.Outcome
        var ready: UInt64
        var queue: mirage_hvt_net_queue
        var sent: [mirage_hvt_net_frame]
        var received: [(address: UInt64, bytes: [UInt8], header: [UInt8])]
    }

    /// Puts `frames` to send (with `header` each) in guest memory and makes the call.
    static func call(_ fixture: Fixture, send frames: [[UInt8]] = [], header: [UInt8] = [], receiveCount: Int = 8,
                     areaLength: UInt64 = 0x4000, deadline: UInt64 = 0, interest: UInt64 = 1, device: UInt32 = 0) -> Result {
        var address = outgoing
        for (index, frame) in frames.enumerated() {
            _ = frame.withUnsafeBytes { fixture.memory.copy($0, to: address) }
            var description = mirage_hvt_net_frame()
            description.data = address
            description.length = UInt32(frame.count)
            description.status = 99
            withUnsafeMutableBytes(of: &description.header) { bytes in
                for (offset, byte) in header.enumerated() { bytes[offset] = byte }
            }
            _ = fixture.memory.withStruct(mirage_hvt_net_frame.self, at: descriptions + UInt64(index) * descriptionSize) { $0.pointee = description }
            address += UInt64(frame.count + 15) & ~15
        }
        let queue = mirage_hvt_net_queue(device: device, status: 99, frames: descriptions, send_count: UInt16(frames.count),
                                         receive_count: UInt16(receiveCount), received: 99, more: 99, area: area, area_length: areaLength)
        _ = fixture.memory.withStruct(mirage_hvt_net_queue.self, at: queueAddress) { $0.pointee = queue }
        let request = mirage_hvt_net_poll(poll: mirage_hvt_poll(deadline: deadline, ready: interest), queues: queueAddress, queue_count: 1)
        _ = fixture.memory.withStruct(mirage_hvt_net_poll.self, at: argument) { $0.pointee = request }
        let outcome = fixture.handler.handle(UInt64(MIRAGE_HVT_NET_POLL.rawValue), argument: argument)
        let after = fixture.memory.withStruct(mirage_hvt_net_queue.self, at: queueAddress) { $0.pointee }!
        let description = { (index: Int) in
            fixture.memory.withStruct(mirage_hvt_net_frame.self, at: descriptions + UInt64(index) * descriptionSize) { $0.pointee }!
        }
        let received = (0..<Int(after.received)).map { index in
            let frame = description(frames.count + index)
            return (frame.data, fixture.guestBytes(at: frame.data, count: Int(frame.length)),
                    withUnsafeBytes(of: frame.header) { Array($0.prefix(10)) })
        }
        return Result(outcome: outcome, ready: fixture.memory.withStruct(mirage_hvt_net_poll.self, at: argument) { $0.pointee.poll.ready }!,
                      queue: after, sent: (0..<frames.count).map(description), received: received)
    }

    @Test("one call sends the queued frames in order, each with its status, and a frame too short is refused alone")
    func sendsInOrder() {
        let fixture = Fixture()
        let frames = [NetHypercallTests.frame(60, seed: 1), [1, 2, 3], NetHypercallTests.frame(1514, seed: 2)]
        let result = Self.call(fixture, send: frames)
        #expect(result.outcome == .resume && result.queue.status == MIRAGE_HVT_OK.rawValue)
        #expect(result.sent.map(\.status) == [MIRAGE_HVT_OK.rawValue, MIRAGE_HVT_INVALID.rawValue, MIRAGE_HVT_OK.rawValue])
        #expect(fixture.received() == [frames[0], frames[2]])
        #expect(result.queue.received == 0 && result.queue.more == 0 && result.ready == 0)
    }

    @Test("waiting frames come back in the same call, one after another at multiples of 16 bytes, and the device is ready")
    func receivesWaitingFrames() {
        let fixture = Fixture()
        let frames = [NetHypercallTests.frame(60, seed: 3), NetHypercallTests.frame(1514, seed: 4), NetHypercallTests.frame(99, seed: 5)]
        for frame in frames { fixture.send(frame) }
        // A far deadline: frames waiting end the call at once.
        let start = NetHypercallTests.now
        let result = Self.call(fixture, send: [NetHypercallTests.frame(70)], deadline: start + 10_000_000_000)
        #expect(NetHypercallTests.now - start < 5_000_000_000)
        #expect(result.received.map(\.bytes) == frames)
        #expect(result.received.map(\.address) == [Self.area, Self.area + 64, Self.area + 64 + 1520])
        #expect(result.queue.more == 0 && result.ready == 1)
        #expect(fixture.received() == [NetHypercallTests.frame(70)])
    }

    @Test("a frame longer than the room left waits, whole, for the next call, and more says so")
    func frameWithoutRoomWaits() {
        let fixture = Fixture()
        let frames = (1...3).map { NetHypercallTests.frame(100, seed: UInt8($0)) }
        for frame in frames { fixture.send(frame) }
        let first = Self.call(fixture, areaLength: 256)
        #expect(first.received.map(\.bytes) == Array(frames[0..<2]))
        #expect(first.queue.more == 1)
        let second = Self.call(fixture, areaLength: 256)
        #expect(second.received.map(\.bytes) == [frames[2]])
        #expect(second.received.map(\.address) == [Self.area])
        #expect(second.queue.more == 0)
    }

    @Test("no more frames are taken than there are descriptions; more says others wait")
    func descriptionsLimitTheBatch() {
        let fixture = Fixture()
        let frames = (1...3).map { NetHypercallTests.frame(80, seed: UInt8($0)) }
        for frame in frames { fixture.send(frame) }
        let first = Self.call(fixture, receiveCount: 2)
        #expect(first.received.map(\.bytes) == Array(frames[0..<2]) && first.queue.more == 1)
        let second = Self.call(fixture, receiveCount: 2)
        #expect(second.received.map(\.bytes) == [frames[2]] && second.queue.more == 0)
    }

    @Test("with nothing waiting the call waits, and a frame arriving meanwhile comes back in it")
    func waitsThenReceives() {
        let fixture = Fixture()
        let host = fixture.host
        let frame = NetHypercallTests.frame(60, seed: 9)
        let sender = Thread {
            usleep(50_000)
            _ = frame.withUnsafeBytes { send(host, $0.baseAddress, $0.count, 0) }
        }
        sender.start()
        let result = Self.call(fixture, deadline: NetHypercallTests.now + 10_000_000_000)
        #expect(result.received.map(\.bytes) == [frame] && result.ready == 1)
        while !sender.isFinished { usleep(1000) }
        // A deadline that has passed only checks.
        let check = Self.call(fixture, deadline: 0)
        #expect(check.outcome == .resume && check.received.isEmpty && check.ready == 0)
    }

    @Test("with headers, sent frames carry the guest's header and received ones come with the host's")
    func headersBothWays() {
        let fixture = Fixture(headerLength: 10)
        let header: [UInt8] = [1, 0, 0, 0, 0, 0, 34, 0, 16, 0]
        let frame = NetHypercallTests.frame(200, seed: 7)
        fixture.send(header + frame)
        let result = Self.call(fixture, send: [frame], header: header, areaLength: 0x100)
        #expect(fixture.received() == [header + frame])
        #expect(result.received.count == 1)
        #expect(result.received.first?.bytes == frame && result.received.first?.header == header)
    }

    @Test("a queue naming a device that is not a net device, or with too many frames, comes back INVALID and nothing is sent")
    func invalidQueues() {
        let fixture = Fixture()
        let wrongDevice = Self.call(fixture, send: [NetHypercallTests.frame(60)], device: 3)
        #expect(wrongDevice.outcome == .resume && wrongDevice.queue.status == MIRAGE_HVT_INVALID.rawValue)
        #expect(fixture.received().isEmpty)
        let tooMany = Self.call(fixture, receiveCount: Int(MIRAGE_HVT_NET_QUEUE_MAX) + 1)
        #expect(tooMany.outcome == .resume && tooMany.queue.status == MIRAGE_HVT_INVALID.rawValue)
    }

    @Test("guest addresses outside its memory end the guest as crashed: the queues, the descriptions, a frame, the receive area")
    func hostileAddresses() {
        let fixture = Fixture()
        let size = UInt64(Fixture.memorySize)
        // The queue array.
        var request = mirage_hvt_net_poll(poll: mirage_hvt_poll(deadline: 0, ready: 1), queues: size - 8, queue_count: 1)
        _ = fixture.memory.withStruct(mirage_hvt_net_poll.self, at: Self.argument) { $0.pointee = request }
        if case .crash = fixture.handler.handle(UInt64(MIRAGE_HVT_NET_POLL.rawValue), argument: Self.argument) {} else { Issue.record("queues outside memory") }
        request.queues = Self.queueAddress
        request.queue_count = UInt64(MIRAGE_HVT_MAX_DEVICES) + 1
        _ = fixture.memory.withStruct(mirage_hvt_net_poll.self, at: Self.argument) { $0.pointee = request }
        if case .crash = fixture.handler.handle(UInt64(MIRAGE_HVT_NET_POLL.rawValue), argument: Self.argument) {} else { Issue.record("too many queues") }
        // A frame to send outside memory.
        var description = mirage_hvt_net_frame()
        description.data = size - 10
        description.length = 60
        _ = fixture.memory.withStruct(mirage_hvt_net_frame.self, at: Self.descriptions) { $0.pointee = description }
        let queue = mirage_hvt_net_queue(device: 0, status: 0, frames: Self.descriptions, send_count: 1, receive_count: 0, received: 0, more: 0,
                                         area: Self.area, area_length: 0x100)
        _ = fixture.memory.withStruct(mirage_hvt_net_queue.self, at: Self.queueAddress) { $0.pointee = queue }
        request.queue_count = 1
        _ = fixture.memory.withStruct(mirage_hvt_net_poll.self, at: Self.argument) { $0.pointee = request }
        #expect(fixture.handler.handle(UInt64(MIRAGE_HVT_NET_POLL.rawValue), argument: Self.argument)
            == .crash("the guest asked to send a frame of 60 bytes at 0x\(String(size - 10, radix: 16)), outside its memory"))
        #expect(fixture.received().isEmpty)
        // Descriptions running past the end of memory.
        var pastEnd = queue
        pastEnd.frames = size - Self.descriptionSize
        pastEnd.receive_count = 1
        _ = fixture.memory.withStruct(mirage_hvt_net_queue.self, at: Self.queueAddress) { $0.pointee = pastEnd }
        if case .crash = fixture.handler.handle(UInt64(MIRAGE_HVT_NET_POLL.rawValue), argument: Self.argument) {} else { Issue.record("descriptions past the end") }
        // A receive area past the end, with a frame waiting: nothing of it is written.
        fixture.send(NetHypercallTests.frame(60))
        var badArea = queue
        badArea.send_count = 0
        badArea.receive_count = 1
        badArea.area = size - 0x80
        _ = fixture.memory.withStruct(mirage_hvt_net_queue.self, at: Self.queueAddress) { $0.pointee = badArea }
        #expect(fixture.handler.handle(UInt64(MIRAGE_HVT_NET_POLL.rawValue), argument: Self.argument)
            == .crash("the guest gave a receive area of 256 bytes at 0x\(String(size - 0x80, radix: 16)), outside its memory"))
        #expect(fixture.guestBytes(at: size - 0x80, count: 0x80).allSatisfy { $0 == 0xCC })
    }

    @Test("frames shorter than an Ethernet header or longer than MTU + 18 bytes are refused and not sent")
    func sendLengthsAreChecked() {
        let fixture = Fixture(mtu: 1500)
        let frames = [NetHypercallTests.frame(13), NetHypercallTests.frame(1519), NetHypercallTests.frame(1518)]
        let result = Self.call(fixture, send: frames)
        #expect(result.sent.map(\.status) == [MIRAGE_HVT_INVALID.rawValue, MIRAGE_HVT_INVALID.rawValue, MIRAGE_HVT_OK.rawValue])
        #expect(fixture.received().map(\.count) == [1518])
    }

    @Test("with headers, a segment for the kernel to cut may pass the MTU, and a frame that asks for no segmentation may not")
    func segmentsMayPassTheMTU() {
        let fixture = Fixture(headerLength: 10)
        let frame = [UInt8](repeating: 0x5A, count: 3000)
        let segmenting: [UInt8] = [1, 1, 66, 0, 0xA8, 0x05, 34, 0, 16, 0]
        let sent = Self.call(fixture, send: [frame], header: segmenting)
        #expect(sent.outcome == .resume && sent.sent.map(\.status) == [MIRAGE_HVT_OK.rawValue])
        #expect(fixture.received() == [segmenting + frame])
        let plain: [UInt8] = [1, 0, 0, 0, 0, 0, 34, 0, 16, 0]
        let refused = Self.call(fixture, send: [frame], header: plain)
        #expect(refused.sent.map(\.status) == [MIRAGE_HVT_INVALID.rawValue])
        #expect(fixture.received().isEmpty)
    }

    @Test("for a device that passes no headers, a received frame's header is zero")
    func noHeadersReceiveZero() {
        let fixture = Fixture()
        let frame = NetHypercallTests.frame(100, seed: 6)
        fixture.send(frame)
        // The description's header starts as 0xEE bytes: the tender must clear it.
        var description = mirage_hvt_net_frame()
        withUnsafeMutableBytes(of: &description.header) { $0.initializeMemory(as: UInt8.self, repeating: 0xEE) }
        _ = fixture.memory.withStruct(mirage_hvt_net_frame.self, at: Self.descriptions) { $0.pointee = description }
        let result = Self.call(fixture)
        #expect(result.received.map(\.bytes) == [frame])
        #expect(result.received.first?.header == [UInt8](repeating: 0, count: 10))
    }

    @Test("a frame longer than any the guest can take is dropped and counted, never cut short, and the next one comes through")
    func overlongFrameIsDropped() {
        let fixture = Fixture()
        fixture.send(NetHypercallTests.frame(NetBackend.largestReadableFrame + 1))
        fixture.send(NetHypercallTests.frame(60, seed: 8))
        let result = Self.call(fixture)
        #expect(result.received.map(\.bytes) == [NetHypercallTests.frame(60, seed: 8)])
        #expect(fixture.backend.droppedFrames == 1)
    }

    @Test("a receive area outside guest memory ends the guest as crashed, with nothing written", arguments: [
        (UInt64(0x8000), UInt64(NetHypercallTests.Fixture.memorySize)),          // runs past the end
        (UInt64(NetHypercallTests.Fixture.memorySize) - 10, 1518),               // starts inside, ends outside
        (0x7FFF_0000_0000, 60),                                                  // far outside
        (UInt64(NetHypercallTests.Fixture.memorySize) - 10, UInt64.max - 4),     // address + length wraps
    ] as [(UInt64, UInt64)])
    func receiveAreaOutsideMemory(address: UInt64, length: UInt64) {
        let fixture = Fixture()
        fixture.send(NetHypercallTests.frame(60))
        let queue = mirage_hvt_net_queue(device: 0, status: 0, frames: Self.descriptions, send_count: 0, receive_count: 1, received: 0, more: 0,
                                         area: address, area_length: length)
        _ = fixture.memory.withStruct(mirage_hvt_net_queue.self, at: Self.queueAddress) { $0.pointee = queue }
        let request = mirage_hvt_net_poll(poll: mirage_hvt_poll(deadline: 0, ready: 1), queues: Self.queueAddress, queue_count: 1)
        _ = fixture.memory.withStruct(mirage_hvt_net_poll.self, at: Self.argument) { $0.pointee = request }
        #expect(fixture.handler.handle(UInt64(MIRAGE_HVT_NET_POLL.rawValue), argument: Self.argument)
            == .crash("the guest gave a receive area of \(length) bytes at 0x\(String(address, radix: 16)), outside its memory"))
        #expect(fixture.guestBytes(at: UInt64(Fixture.memorySize) - 10, count: 10).allSatisfy { $0 == 0xCC })
    }

    @Test("an argument structure outside guest memory or misaligned ends the guest as crashed", arguments: [
        UInt64(NetHypercallTests.Fixture.memorySize) - 8, 0x7FFF_0000_0000, argument + 4,
    ])
    func argumentOutsideMemory(address: UInt64) {
        let fixture = Fixture()
        let outcome = fixture.handler.handle(UInt64(MIRAGE_HVT_NET_POLL.rawValue), argument: address)
        #expect(outcome == .crash("the guest passed a net poll hypercall argument at 0x\(String(address, radix: 16)), outside its memory or misaligned"))
    }

    @Test("the one-frame net calls of ABI version 1 (8 and 9) no longer exist", arguments: [8, 9] as [UInt64])
    func oneFrameCallsAreGone(number: UInt64) {
        let fixture = Fixture()
        #expect(fixture.handler.handle(number, argument: Self.argument) == .crash("the guest made hypercall \(number), which does not exist"))
    }

    @Test("frames received over a later queue's description are checked when it is read again: a crash report, not a trap")
    func receiveAreaOverALaterQueue() {
        let fixture = Fixture()
        let stride = UInt64(MemoryLayout<mirage_hvt_net_queue>.stride)
        let second = Self.queueAddress + stride
        // Queue A receives into an area that starts at queue B's description.
        let a = mirage_hvt_net_queue(device: 0, status: 0, frames: 0x2000, send_count: 0, receive_count: 1, received: 0, more: 0,
                                     area: second, area_length: 0x1000)
        let b = mirage_hvt_net_queue(device: 0, status: 0, frames: 0x3000, send_count: 0, receive_count: 1, received: 0, more: 0,
                                     area: 0x6000, area_length: 0x1000)
        _ = fixture.memory.withStruct(mirage_hvt_net_queue.self, at: Self.queueAddress) { $0.pointee = a }
        _ = fixture.memory.withStruct(mirage_hvt_net_queue.self, at: second) { $0.pointee = b }
        // The frame that arrives while the call waits rewrites B: device 0, status OK, and frame
        // descriptions near the top of the address space, where adding to the address wraps.
        var forged = mirage_hvt_net_queue(device: 0, status: 0, frames: 0xFFFF_FFFF_FFFF_FF00, send_count: 0xFFFF, receive_count: 1,
                                          received: 0, more: 0, area: 0x6000, area_length: 0x1000)
        let frame = withUnsafeBytes(of: &forged) { Array($0) } + [UInt8](repeating: 0, count: 20)
        let host = fixture.host
        let sender = Thread {
            usleep(50_000)
            _ = frame.withUnsafeBytes { send(host, $0.baseAddress, $0.count, 0) }
        }
        sender.start()
        let request = mirage_hvt_net_poll(poll: mirage_hvt_poll(deadline: NetHypercallTests.now + 10_000_000_000, ready: 1),
                                          queues: Self.queueAddress, queue_count: 2)
        _ = fixture.memory.withStruct(mirage_hvt_net_poll.self, at: Self.argument) { $0.pointee = request }
        let outcome = fixture.handler.handle(UInt64(MIRAGE_HVT_NET_POLL.rawValue), argument: Self.argument)
        while !sender.isFinished { usleep(1000) }
        #expect(outcome == .crash("the guest described 65535 + 1 net frames at 0xffffffffffffff00: more than \(MIRAGE_HVT_NET_QUEUE_MAX) either way, or outside its memory"))
        #expect(fixture.guestBytes(at: second, count: frame.count) == frame)
    }
}
