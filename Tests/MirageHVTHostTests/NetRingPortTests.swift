import CMirageHVTABI
import Foundation
import Glibc
@testable import MirageHVTHost
import MirageCore
import Testing

/// The tender's end of the net rings (``NetRingPort``) and the hypercall that hands a device over,
/// driven step by step on the test's thread: guest memory is a buffer of the test's, the "tap" one
/// end of a datagram socket pair (``HostEnd/pair(mtu:headerLength:bufferBytes:)``), and the test plays the guest on
/// the rings and the host on the other end of the pair.
@Suite("Net rings")
struct NetRingPortTests {
    /// Guest memory of 1 MiB with the rings at 0x40000 and a frame buffer at 0x1000.
    final class Rings {
        static let region: UInt64 = 0x40000
        static let frames: UInt64 = 0x1000
        let raw = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 4096)
        let memory: GuestMemory
        let port: NetRingPort
        let backend: NetBackend
        let host: Int32
        let rings: UnsafeMutablePointer<mirage_hvt_net_rings>
        var transmit: UnsafeMutablePointer<mirage_hvt_ring> { rings.transmit }
        var receive: UnsafeMutablePointer<mirage_hvt_ring> { rings.receive }

        init(mtu: Int = 1500, headerLength: Int = 0) {
            raw.initializeMemory(as: UInt8.self, repeating: 0)
            memory = GuestMemory(bytes: raw)
            (backend, host) = HostEnd.pair(mtu: mtu, headerLength: headerLength, bufferBytes: 4 << 20)
            let region = memory.range(at: Self.region, length: NetRingPort.regionLength)!
            rings = region.baseAddress!.bindMemory(to: mirage_hvt_net_rings.self, capacity: 1)
            port = NetRingPort(device: 0, backend: backend, memory: memory, region: region, address: Self.region)
        }

        deinit {
            close(host)
            raw.deallocate()
        }

        /// The guest puts a frame description in the transmit ring.
        func put(data: UInt64, length: Int, header: [UInt8] = []) {
            let produced = mirage_hvt_ring_produced(transmit)
            let slot = mirage_hvt_ring_slot(transmit, produced)!
            slot.pointee.data = data
            slot.pointee.length = UInt32(length)
            withUnsafeMutableBytes(of: &slot.pointee.header) { $0.copyBytes(from: header + [UInt8](repeating: 0, count: 10 - header.count)) }
            mirage_hvt_ring_set_produced(transmit, produced &+ 1)
        }

        /// The guest copies `frame` to `address` and puts it in the transmit ring.
        func put(_ frame: [UInt8], at address: UInt64 = frames, header: [UInt8] = []) {
            _ = frame.withUnsafeBytes { memory.copy($0, to: address) }
            put(data: address, length: frame.count, header: header)
        }

        /// The header of the receive slot the guest takes next.
        var nextReceivedHeader: [UInt8] {
            let slot = mirage_hvt_ring_slot(receive, mirage_hvt_ring_consumed(receive))!
            return withUnsafeBytes(of: slot.pointee.header) { Array($0) }
        }

        /// The guest takes up to `limit` frames from the receive ring, with their guest addresses.
        func take(_ limit: Int = .max) -> [(address: UInt64, bytes: [UInt8])] {
            var taken: [(UInt64, [UInt8])] = []
            var consumed = mirage_hvt_ring_consumed(receive)
            while consumed != mirage_hvt_ring_produced(receive), taken.count < limit {
                let slot = mirage_hvt_ring_slot(receive, consumed)!.pointee
                taken.append((slot.data, Array(memory.range(at: slot.data, length: UInt64(slot.length))!)))
                consumed &+= 1
            }
            mirage_hvt_ring_set_consumed(receive, consumed)
            return taken
        }

        func send(_ frame: [UInt8]) { HostEnd(descriptor: host).send(frame) }

        func received() -> [[UInt8]] { HostEnd(descriptor: host).received() }
    }

    static func frame(_ count: Int, seed: Int) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ seed) }
    }

    static func violation(_ result: Result<Bool, RingViolation>) -> String? {
        if case let .failure(violation) = result { return violation.reason }
        return nil
    }

    @Test("frames the guest puts in the transmit ring reach the tap in order; a malformed one is dropped and counted")
    func transmitInOrder() throws {
        let rings = Rings()
        let frames = [Self.frame(60, seed: 1), Self.frame(1514, seed: 2), Self.frame(10, seed: 3), Self.frame(342, seed: 4)]
        var address = Rings.frames
        for frame in frames {
            _ = frame.withUnsafeBytes { rings.memory.copy($0, to: address) }
            rings.put(data: address, length: frame.count)
            address += 2048
        }
        #expect(rings.port.hasFramesToSend)
        #expect(try rings.port.transmit().get())
        #expect(rings.received() == [frames[0], frames[1], frames[3]])  // 10 bytes: shorter than an Ethernet header
        #expect(rings.rings.pointee.dropped == 1)
        #expect(mirage_hvt_ring_consumed(rings.transmit) == 4)
        #expect(!rings.port.hasFramesToSend)
        #expect(try !rings.port.transmit().get())
    }

    @Test("frames longer than MTU + 18 bytes are dropped and counted, not sent; a frame of MTU + 18 is")
    func transmitLengthsAreChecked() throws {
        let rings = Rings(mtu: 1500)
        rings.put(Self.frame(1519, seed: 1), at: Rings.frames)
        rings.put(Self.frame(1518, seed: 2), at: Rings.frames + 2048)
        #expect(try rings.port.transmit().get())
        #expect(rings.received() == [Self.frame(1518, seed: 2)])
        #expect(rings.rings.pointee.dropped == 1)
    }

    @Test("with headers, sent frames carry the guest's header and received ones come with the host's")
    func headersBothWays() throws {
        let rings = Rings(headerLength: 10)
        let header: [UInt8] = [1, 0, 0, 0, 0, 0, 34, 0, 16, 0]
        let frame = Self.frame(200, seed: 7)
        rings.put(frame, header: header)
        #expect(try rings.port.transmit().get())
        #expect(rings.received() == [header + frame])
        let hosts: [UInt8] = [1, 0, 0, 0, 0, 0, 34, 0, 6, 0]
        rings.send(hosts + frame)
        rings.port.tapReadable = true
        #expect(try rings.port.receive().get())
        #expect(rings.nextReceivedHeader == hosts)
        #expect(rings.take().map(\.bytes) == [frame])
    }

    @Test("with headers, a segment for the kernel to cut may pass the MTU, and a frame that asks for no segmentation may not")
    func segmentsMayPassTheMTU() throws {
        let rings = Rings(headerLength: 10)
        let frame = [UInt8](repeating: 0x5A, count: 3000)
        let segmenting: [UInt8] = [1, 1, 66, 0, 0xA8, 0x05, 34, 0, 16, 0]
        rings.put(frame, header: segmenting)
        #expect(try rings.port.transmit().get())
        #expect(rings.received() == [segmenting + frame])
        rings.put(frame, header: [1, 0, 0, 0, 0, 0, 34, 0, 16, 0])
        #expect(try rings.port.transmit().get())
        #expect(rings.received().isEmpty)
        #expect(rings.rings.pointee.dropped == 1)
    }

    @Test("for a device that passes no headers, a received slot's header is zero, whatever the guest left there")
    func noHeadersReceiveZero() throws {
        let rings = Rings()
        for index in 0..<MIRAGE_HVT_RING_SLOTS {
            _ = withUnsafeMutableBytes(of: &mirage_hvt_ring_slot(rings.receive, index)!.pointee.header) {
                $0.initializeMemory(as: UInt8.self, repeating: 0xEE)
            }
        }
        rings.send(Self.frame(100, seed: 6))
        rings.port.tapReadable = true
        #expect(try rings.port.receive().get())
        #expect(rings.nextReceivedHeader == [UInt8](repeating: 0, count: 10))
        #expect(rings.take().map(\.bytes) == [Self.frame(100, seed: 6)])
    }

    @Test("a frame longer than any the guest can take is dropped and counted, never cut short, and the next one comes through")
    func overlongFrameIsDropped() throws {
        let rings = Rings()
        rings.send(Self.frame(NetBackend.largestReadableFrame + 1, seed: 1))
        rings.send(Self.frame(60, seed: 8))
        rings.port.tapReadable = true
        #expect(try rings.port.receive().get())
        #expect(rings.take().map(\.bytes) == [Self.frame(60, seed: 8)])
        #expect(rings.backend.droppedFrames == 1)
    }

    @Test("frames from the tap fill receive slots, each in the receive area at a multiple of 16 bytes, in order")
    func receiveInOrder() throws {
        let rings = Rings()
        let frames = (0..<5).map { Self.frame(60 + $0 * 100, seed: $0) }
        for frame in frames { rings.send(frame) }
        #expect(try rings.port.receive().get())
        let taken = rings.take()
        #expect(taken.map(\.bytes) == frames)
        let areaStart = Rings.region + UInt64(MemoryLayout<mirage_hvt_net_rings>.stride)
        #expect(taken.allSatisfy { $0.address >= areaStart && $0.address % 16 == 0 })
        #expect(taken.first?.address == areaStart)
        #expect(mirage_hvt_ring_consumed(rings.receive) == mirage_hvt_ring_produced(rings.receive))  // all taken
    }

    @Test("a thousand seeded frames through a guest that takes them in random steps: all arrive whole and in order, none written over a frame the guest holds")
    func receiveAreaGoesRound() throws {
        let seed = UInt64(UInt32.random(in: 0...UInt32.max))
        print("NetRingPortTests.receiveAreaGoesRound seed \(seed)")
        var random = SplitMix64(seed: seed)
        let rings = Rings(mtu: 9000)
        var sent: [[UInt8]] = []
        var arrived: [[UInt8]] = []
        // The frames in the ring, as the tender wrote them when it published them.
        var pending: [[UInt8]] = []
        var seen: UInt32 = 0
        while arrived.count < 1000 {
            for _ in 0..<Int(random.next() % 40) where sent.count < 1000 && sent.count - arrived.count < 200 {
                let frame = Self.frame(60 + Int(random.next() % 9000), seed: sent.count)
                rings.send(frame)
                sent.append(frame)
            }
            rings.port.tapReadable = true  // as the I/O thread does on epoll's edge
            _ = try rings.port.receive().get()
            while seen != mirage_hvt_ring_produced(rings.receive) {
                let slot = mirage_hvt_ring_slot(rings.receive, seen)!.pointee
                pending.append(Array(rings.memory.range(at: slot.data, length: UInt64(slot.length))!))
                seen &+= 1
            }
            // What the guest takes is still as published: nothing was written over it meanwhile.
            let taken = rings.take(Int(random.next() % 100)).map(\.bytes)
            #expect(taken == Array(pending.prefix(taken.count)))
            pending.removeFirst(taken.count)
            arrived += taken
        }
        #expect(arrived == sent)
    }

    @Test("frames that fill the receive area exactly: the next goes round to the start once the oldest is taken, and none is written over a frame the guest holds")
    func exactlyFullArea() throws {
        let rings = Rings(mtu: 20_000)
        let size = Int(MIRAGE_HVT_NET_RECEIVE_AREA) / 16
        let frames = (0..<18).map { Self.frame(size, seed: $0) }
        for frame in frames { rings.send(frame) }
        #expect(try rings.port.receive().get())
        #expect(mirage_hvt_ring_produced(rings.receive) == 16)
        #expect(rings.take(1).map(\.bytes) == [frames[0]])
        #expect(try rings.port.receive().get())
        #expect(mirage_hvt_ring_produced(rings.receive) == 17)  // the area is full again: #18 waits
        let held = rings.take()
        #expect(held.map(\.bytes) == Array(frames[1...16]))
        #expect(held.last?.address == Rings.region + UInt64(MemoryLayout<mirage_hvt_net_rings>.stride))
        #expect(try rings.port.receive().get())
        #expect(rings.take().map(\.bytes) == [frames[17]])
    }

    @Test("segments of 64 KiB, the guest taking each a round late: the tender goes round to the start before the end has too little room, so every read lands straight in the area, none copied")
    func largeFramesGoRoundEarly() throws {
        let rings = Rings(mtu: 65_000)
        let areaStart = Rings.region + UInt64(MemoryLayout<mirage_hvt_net_rings>.stride)
        var sent: [[UInt8]] = [], arrived: [[UInt8]] = []
        var wentRound = false
        for round in 0..<12 {
            for index in 0..<2 {
                let frame = Self.frame(65_000, seed: round * 2 + index)
                rings.send(frame)
                sent.append(frame)
            }
            rings.port.tapReadable = true
            #expect(try rings.port.receive().get())
            // The guest holds its newest frame over to the next round.
            let produced = mirage_hvt_ring_produced(rings.receive)
            let taken = rings.take(Int(produced &- mirage_hvt_ring_consumed(rings.receive)) - 1)
            wentRound = wentRound || taken.contains { $0.address == areaStart } && round > 0
            arrived += taken.map(\.bytes)
        }
        arrived += rings.take().map(\.bytes)
        #expect(arrived == sent)
        #expect(wentRound)
        #expect(rings.backend.copiedFrames == 0)
    }

    @Test("a frame outside guest memory, or whose end wraps, ends the guest; so does a transmit count past the ring's slots")
    func hostileTransmit() {
        for (data, length) in [(UInt64(1 << 20), 60), (UInt64(1 << 20) - 30, 60), (UInt64.max - 10, 60), (Rings.frames, 70_000)] {
            let rings = Rings()
            rings.put(data: data, length: length)
            #expect(Self.violation(rings.port.transmit())?.contains("outside its memory") == true, "\(data) \(length)")
            #expect(rings.received().isEmpty)
        }
        let rings = Rings()
        mirage_hvt_ring_set_produced(rings.transmit, 257)
        #expect(Self.violation(rings.port.transmit()) == "the guest claims 257 frames in the transmit ring of net device 0, more than its 256 slots")
    }

    @Test("a guest saying it took receive slots it was never given ends at the next frame, nothing written")
    func hostileReceiveCount() {
        let rings = Rings()
        mirage_hvt_ring_set_consumed(rings.receive, 3)
        rings.send(Self.frame(60, seed: 1))
        #expect(Self.violation(rings.port.receive()) == "the guest says it took 3 receive slots of net device 0 it was never given")
        #expect(mirage_hvt_ring_produced(rings.receive) == 0)
    }

    @Test("with every slot held, the tender stops, asks for a kick (producer_waiting) and goes on once the guest takes frames")
    func fullRingWaits() throws {
        let rings = Rings()
        for index in 0..<300 { rings.send(Self.frame(60, seed: index)) }
        #expect(try rings.port.receive().get())
        #expect(mirage_hvt_ring_produced(rings.receive) == MIRAGE_HVT_RING_SLOTS)
        #expect(mirage_hvt_ring_producer_waiting(rings.receive) == 1)
        #expect(rings.take(10).count == 10)
        #expect(try rings.port.receive().get())
        #expect(mirage_hvt_ring_produced(rings.receive) == MIRAGE_HVT_RING_SLOTS + 10)
        let all = rings.take() + { () -> [(address: UInt64, bytes: [UInt8])] in _ = try? rings.port.receive().get(); return rings.take() }()
        #expect(all.count == 290)
        #expect(all.last?.bytes == Self.frame(60, seed: 299))
    }

    /// The frames the host end receives within `milliseconds`, waiting for the first.
    static func frames(at rings: Rings, within milliseconds: Int32) -> [[UInt8]] {
        var ready = pollfd(fd: rings.host, events: Int16(POLLIN), revents: 0)
        _ = Glibc.poll(&ready, 1, milliseconds)
        return rings.received()
    }

    @Test("the I/O thread, having moved frames, sends the guest's next one without a kick while it spins (--io-spin), and asks for a kick once it sleeps; a thread that never spins needs the kick", arguments: [true, false])
    func ioThreadSpin(spins: Bool) throws {
        let rings = Rings()
        // Three seconds: far longer than the test takes to put its next frame, short enough that
        // the thread has gone to sleep (and can be parked) soon after.
        let thread = try RingIOThread(spinLimit: spins ? .seconds(3) : .zero)
        try thread.start()
        defer { thread.park() }  // before the rings' memory goes
        thread.add(rings.port)
        let first = Self.frame(60, seed: 1), next = Self.frame(60, seed: 2), last = Self.frame(60, seed: 3)
        rings.put(first, at: Rings.frames)
        thread.kick()
        #expect(Self.frames(at: rings, within: 10_000) == [first])
        // Waits until the thread sleeps, asking for a kick.
        func untilAsleep() {
            var waited = 0
            while mirage_hvt_ring_consumer_waiting(rings.transmit) == 0, waited < 10_000 {
                usleep(10_000)
                waited += 10
            }
            #expect(mirage_hvt_ring_consumer_waiting(rings.transmit) == 1)
        }
        if spins {
            // A tenth of a second later it still looks at the ring (a thread that does not spin
            // sleeps within microseconds), and sends a frame put there without a kick.
            usleep(100_000)
            #expect(mirage_hvt_ring_consumer_waiting(rings.transmit) == 0)
            rings.put(next, at: Rings.frames + 2048)
            #expect(Self.frames(at: rings, within: 10_000) == [next])
        }
        // Asleep, the thread sends nothing without a kick.
        untilAsleep()
        rings.put(spins ? last : next, at: Rings.frames + 4096)
        #expect(Self.frames(at: rings, within: 300).isEmpty)
        thread.kick()
        #expect(Self.frames(at: rings, within: 10_000) == (spins ? [last] : [next]))
    }

    @Test("a spinning I/O thread stops looking for the guest's frames once the guest says it is idle with every frame it was given taken, and not while one waits in the receive ring")
    func ioThreadSpinStopsForAnIdleGuest() throws {
        let rings = Rings()
        // Thirty seconds: a thread that did not heed the guest would still be looking when the
        // waits below (up to 10 s each) give up.
        let thread = try RingIOThread(spinLimit: .seconds(30))
        try thread.start()
        defer { thread.park() }
        thread.add(rings.port)
        // Waits up to 10 s until the thread sleeps, asking for a kick.
        func asleep() -> Bool {
            var waited = 0
            while mirage_hvt_ring_consumer_waiting(rings.transmit) == 0, waited < 10_000 {
                usleep(10_000)
                waited += 10
            }
            return mirage_hvt_ring_consumer_waiting(rings.transmit) == 1
        }
        // Idle, with nothing in the receive ring: after sending the guest's frame the thread
        // sleeps at once rather than spin three seconds.
        mirage_hvt_ring_set_producer_idle(rings.transmit, 1)
        let first = Self.frame(60, seed: 1)
        rings.put(first, at: Rings.frames)
        thread.kick()
        #expect(Self.frames(at: rings, within: 10_000) == [first])
        #expect(asleep())
        // A frame from the host, put in the receive ring and not yet taken: the guest is about to
        // work, so the thread keeps looking even though the flag still says idle...
        rings.send(Self.frame(60, seed: 2))
        var waited = 0
        while mirage_hvt_ring_produced(rings.receive) == 0, waited < 10_000 {
            usleep(10_000)
            waited += 10
        }
        #expect(mirage_hvt_ring_produced(rings.receive) == 1)
        usleep(100_000)
        #expect(mirage_hvt_ring_consumer_waiting(rings.transmit) == 0)
        // ...and stops once the guest has taken it and is idle again.
        #expect(rings.take().count == 1)
        #expect(asleep())
    }

    @Test("the hand-over: a region outside guest memory, misaligned or short ends the guest; a device that is not a net device is INVALID, and so is a second hand-over")
    func handOver() throws {
        let fixture = NetHypercallTests.Fixture()
        let thread = try RingIOThread()
        let handler = HypercallHandler(memory: fixture.memory, blocks: [:], nets: [0: fixture.backend],
                                       events: HostEvents(handlesSignals: false), ioThread: thread)
        func call(device: UInt32, region: UInt64, length: UInt64) -> (HypercallHandler.Outcome, UInt32) {
            let setup = mirage_hvt_net_rings_setup(device: device, status: 99, region: region, region_length: length)
            _ = fixture.memory.withStruct(mirage_hvt_net_rings_setup.self, at: 0x100) { $0.pointee = setup }
            let outcome = handler.handle(UInt64(MIRAGE_HVT_NET_RINGS.rawValue), argument: 0x100)
            return (outcome, fixture.memory.withStruct(mirage_hvt_net_rings_setup.self, at: 0x100) { $0.pointee.status }!)
        }
        // The fixture's guest memory is 64 KiB: too small for rings, which the tests above give room.
        let (outside, _) = call(device: 0, region: 0x1000, length: NetRingPort.regionLength)
        guard case let .crash(reason) = outside else { Issue.record("not a crash: \(outside)"); return }
        #expect(reason.contains("outside its memory"))
        #expect(call(device: 0, region: 0x1001, length: 0x100).0 != .resume)
        #expect(call(device: 0, region: 0x1000, length: 0x100).0 != .resume)

        // With room for rings (NetHypercallTests.HandedOver hands device 0 over at 0x80000).
        let guest = try NetHypercallTests.HandedOver()
        #expect(guest.handOver(device: 3) == (.resume, MIRAGE_HVT_INVALID.rawValue))
        #expect(guest.handOver(device: 0) == (.resume, MIRAGE_HVT_INVALID.rawValue))
        #expect(guest.handler.nets[0] == nil)  // the vCPU thread no longer holds its tap
        // The poll reports the device ready once its receive ring holds a frame.
        #expect(guest.handler.ringsReady(1) == 0)
        mirage_hvt_ring_set_produced(guest.receive, 1)
        #expect(guest.handler.ringsReady(1) == 1)
        #expect(guest.handler.ringsReady(2) == 0)
    }
}
