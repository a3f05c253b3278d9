import CMirageHVTABI
import Foundation
import Glibc
@testable import MirageHVTHost
import Testing

/// The tender's end of the block ring (``BlockRingPort``), the I/O thread serving it, and the
/// hypercall that hands a device over: guest memory is a buffer of the test's, the device a
/// temporary file, and the test plays the guest on the ring.
@Suite("Block ring")
struct BlockRingPortTests {
    /// 1 MiB of guest memory with the ring at 0xC0000 and data buffers from 0x1000, and block
    /// device 0 over a file of 64 sectors whose sector n holds the byte n + 1.
    final class Ring {
        static let region: UInt64 = 0xC0000
        static let buffers: UInt64 = 0x1000
        static let sectors = 64
        let raw = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 4096)
        let memory: GuestMemory
        let path = NSTemporaryDirectory() + "mirage-block-ring-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).img"
        let backend: BlockBackend
        let port: BlockRingPort
        let ring: UnsafeMutablePointer<mirage_hvt_block_ring>

        init() throws {
            raw.initializeMemory(as: UInt8.self, repeating: 0)
            memory = GuestMemory(bytes: raw)
            let contents = (0..<Self.sectors).flatMap { [UInt8](repeating: UInt8($0 + 1), count: 512) }
            FileManager.default.createFile(atPath: path, contents: Data(contents))
            backend = try BlockBackend(name: "storage", path: path)
            let region = memory.range(at: Self.region, length: BlockRingPort.regionLength)!
            ring = region.baseAddress!.bindMemory(to: mirage_hvt_block_ring.self, capacity: 1)
            port = BlockRingPort(device: 0, backend: backend, memory: memory, region: region)
        }

        deinit {
            try? FileManager.default.removeItem(atPath: path)
            raw.deallocate()
        }

        /// The guest puts a request in the ring; returns its slot's count.
        @discardableResult
        func submit(_ operation: mirage_hvt_hypercall, sector: UInt64 = 0, data: UInt64 = buffers, length: UInt64 = 512) -> UInt32 {
            let submitted = mirage_hvt_block_ring_submitted(ring)
            mirage_hvt_block_ring_slot(ring, submitted)!.pointee = mirage_hvt_block_request(
                operation: operation.rawValue, status: 99, sector: sector, data: data, length: length)
            mirage_hvt_block_ring_set_submitted(ring, submitted &+ 1)
            return submitted
        }

        func status(of count: UInt32) -> UInt32 { mirage_hvt_block_ring_slot(ring, count)!.pointee.status }
        var completed: UInt32 { mirage_hvt_block_ring_completed(ring) }
        func bytes(at address: UInt64, _ length: Int) -> [UInt8] { Array(memory.range(at: address, length: UInt64(length))!) }
        var fileBytes: [UInt8] { Array(FileManager.default.contents(atPath: path) ?? Data()) }
    }

    static func served(_ ring: Ring) -> Bool? {
        switch ring.port.serve() {
        case let .success(any): return any
        case .failure: return nil
        }
    }

    @Test("requests in the ring are served in order, each counted as its status is written: reads fill guest memory from the file, writes reach it, a flush is served")
    func servedInOrder() throws {
        let ring = try Ring()
        #expect(Self.served(ring) == false)  // nothing submitted
        let read = ring.submit(MIRAGE_HVT_BLOCK_READ, sector: 2, length: 1024)
        _ = [UInt8](repeating: 0xAB, count: 512).withUnsafeBytes { ring.memory.copy($0, to: Ring.buffers + 0x1000) }
        let write = ring.submit(MIRAGE_HVT_BLOCK_WRITE, sector: 5, data: Ring.buffers + 0x1000, length: 512)
        let flush = ring.submit(MIRAGE_HVT_BLOCK_FLUSH, length: 0)
        #expect(ring.port.hasRequests)
        #expect(Self.served(ring) == true)
        #expect(ring.completed == 3 && !ring.port.hasRequests && ring.ring.isDrained)
        #expect([read, write, flush].map(ring.status) == [MIRAGE_HVT_OK.rawValue, MIRAGE_HVT_OK.rawValue, MIRAGE_HVT_OK.rawValue])
        #expect(ring.bytes(at: Ring.buffers, 1024) == [UInt8](repeating: 3, count: 512) + [UInt8](repeating: 4, count: 512))
        #expect(Array(ring.fileBytes[(5 * 512)..<(6 * 512)]) == [UInt8](repeating: 0xAB, count: 512))
        #expect(Array(ring.fileBytes[(4 * 512)..<(5 * 512)]) == [UInt8](repeating: 5, count: 512))
    }

    @Test("a range past the device's end, a part sector or an unknown operation is INVALID, nothing moves, and the requests after them are served")
    func refusedRequests() throws {
        let ring = try Ring()
        let past = ring.submit(MIRAGE_HVT_BLOCK_READ, sector: UInt64(Ring.sectors), length: 512)
        let huge = ring.submit(MIRAGE_HVT_BLOCK_WRITE, sector: 1, length: UInt64.max - 511)
        let part = ring.submit(MIRAGE_HVT_BLOCK_READ, sector: 0, length: 100)
        let unknown = ring.submit(MIRAGE_HVT_HALT, sector: 0, length: 512)
        let good = ring.submit(MIRAGE_HVT_BLOCK_READ, sector: 1, length: 512)
        #expect(Self.served(ring) == true)
        #expect([past, huge, part, unknown].map(ring.status) == [UInt32](repeating: MIRAGE_HVT_INVALID.rawValue, count: 4))
        #expect(ring.status(of: good) == MIRAGE_HVT_OK.rawValue)
        #expect(ring.bytes(at: Ring.buffers, 512) == [UInt8](repeating: 2, count: 512))
        #expect(ring.fileBytes == (0..<Ring.sectors).flatMap { [UInt8](repeating: UInt8($0 + 1), count: 512) })
    }

    @Test("bytes outside guest memory, or whose end wraps, end the guest, for reads and writes, with nothing served after them; so does a submitted count past the ring's slots",
          arguments: [(0xFFFFF, 512), (1 << 20, 512), (0x7FFF_0000_0000, 512), (UInt64.max - 511, 1024)] as [(UInt64, UInt64)])
    func outsideMemory(address: UInt64, length: UInt64) throws {
        for operation in [MIRAGE_HVT_BLOCK_READ, MIRAGE_HVT_BLOCK_WRITE] {
            let ring = try Ring()
            ring.submit(operation, sector: 0, data: address, length: length)
            let after = ring.submit(MIRAGE_HVT_BLOCK_READ, sector: 1, length: 512)
            guard case let .failure(violation) = ring.port.serve() else {
                Issue.record("served: \(operation) at 0x\(String(address, radix: 16))")
                continue
            }
            #expect(violation.reason.contains("outside its memory"))
            #expect(ring.completed == 0 && ring.status(of: after) == 99)
            #expect(ring.fileBytes.prefix(512).allSatisfy { $0 == 1 })
        }
        let ring = try Ring()
        mirage_hvt_block_ring_set_submitted(ring.ring, BlockRingPort.slots + 1)
        guard case let .failure(violation) = ring.port.serve() else {
            Issue.record("a count past the ring was taken")
            return
        }
        #expect(violation.reason.contains("more than its 64 slots"))
        #expect(ring.completed == 0)
    }

    @Test("a thousand seeded requests of random kinds, places and lengths, served in random batches, leave the file as a model of it says, every read seeing it")
    func seededAgainstModel() throws {
        let seed = UInt64.random(in: 0...UInt64.max)
        print("BlockRingPortTests.seededAgainstModel seed: \(seed)")
        var generator = ELFImageTests.SeededGenerator(state: seed)
        let ring = try Ring()
        var model = ring.fileBytes
        var pending: [(count: UInt32, check: () -> Bool)] = []
        for index in 0..<1000 {
            let sectors = Int.random(in: 1...8, using: &generator)
            let sector = Int.random(in: 0...(Ring.sectors - sectors), using: &generator)
            let range = (sector * 512)..<((sector + sectors) * 512)
            // Each request its own 4 KiB buffer in guest memory, as long as it is in flight.
            let buffer = Ring.buffers + UInt64(index % 64) * 4096
            if Bool.random(using: &generator) {
                let bytes = (0..<range.count).map { _ in UInt8.random(in: 0...255, using: &generator) }
                _ = bytes.withUnsafeBytes { ring.memory.copy($0, to: buffer) }
                model.replaceSubrange(range, with: bytes)
                let count = ring.submit(MIRAGE_HVT_BLOCK_WRITE, sector: UInt64(sector), data: buffer, length: UInt64(range.count))
                pending.append((count, { ring.status(of: count) == MIRAGE_HVT_OK.rawValue }))
            } else {
                let expected = Array(model[range])
                let count = ring.submit(MIRAGE_HVT_BLOCK_READ, sector: UInt64(sector), data: buffer, length: UInt64(range.count))
                pending.append((count, { ring.status(of: count) == MIRAGE_HVT_OK.rawValue && ring.bytes(at: buffer, range.count) == expected }))
            }
            // Served now and then, several requests at once (never more than 64 in flight).
            if pending.count == 64 || Int.random(in: 0..<8, using: &generator) == 0 {
                #expect(Self.served(ring) == true)
                for request in pending { #expect(request.check(), "request \(request.count), seed \(seed)") }
                pending.removeAll()
            }
        }
        _ = Self.served(ring)
        for request in pending { #expect(request.check(), "request \(request.count), seed \(seed)") }
        #expect(ring.completed == 1000)
        #expect(ring.fileBytes == model ? true : false, "the file differs from the model, seed \(seed)")
    }

    @Test("the I/O thread serves a request put while it spins (--io-spin) without a kick, asks for one once it sleeps, and wakes a guest that waits")
    func ioThread() throws {
        let ring = try Ring()
        // Three seconds: far longer than the test takes to put its next request.
        let thread = try RingIOThread(spinLimit: .seconds(3))
        try thread.start()
        defer { thread.park() }  // before the ring's memory goes
        thread.add(ring.port)
        func within(_ milliseconds: Int, _ condition: () -> Bool) -> Bool {
            var waited = 0
            while !condition(), waited < milliseconds {
                usleep(1_000)
                waited += 1
            }
            return condition()
        }
        ring.submit(MIRAGE_HVT_BLOCK_READ, sector: 0)
        thread.kick()
        #expect(within(10_000) { ring.completed == 1 })
        // Spinning, it serves the next one without a kick.
        usleep(100_000)
        #expect(mirage_hvt_block_ring_tender_sleeping(ring.ring) == 0)
        ring.submit(MIRAGE_HVT_BLOCK_READ, sector: 1)
        #expect(within(10_000) { ring.completed == 2 })
        // Asleep, it serves nothing until kicked; then it wakes a guest that waits.
        #expect(within(10_000) { mirage_hvt_block_ring_tender_sleeping(ring.ring) == 1 })
        RingIOThread.drain(thread.wakeDescriptor)  // non-blocking: an eventfd of its own
        mirage_hvt_block_ring_set_guest_waiting(ring.ring, 1)
        ring.submit(MIRAGE_HVT_BLOCK_READ, sector: 2)
        usleep(300_000)
        #expect(ring.completed == 2)
        thread.kick()
        #expect(within(10_000) { ring.completed == 3 })
        var wake = pollfd(fd: thread.wakeDescriptor, events: Int16(POLLIN), revents: 0)
        #expect(poll(&wake, 1, 10_000) == 1)
        #expect(ring.bytes(at: Ring.buffers, 512) == [UInt8](repeating: 3, count: 512))
    }

    @Test("the hand-over: a region outside guest memory, misaligned or short ends the guest; a device that is not a block device is INVALID, and so is a second hand-over; the vCPU thread then no longer serves the device, and the poll reports it ready once every request is served")
    func handOver() throws {
        let ring = try Ring()
        let thread = try RingIOThread()
        let handler = HypercallHandler(memory: ring.memory, blocks: [0: ring.backend], nets: [:],
                                       events: HostEvents(handlesSignals: false), ioThread: thread)
        func call(device: UInt32, region: UInt64, length: UInt64) -> (HypercallHandler.Outcome, UInt32) {
            let setup = mirage_hvt_block_ring_setup(device: device, status: 99, region: region, region_length: length)
            _ = ring.memory.withStruct(mirage_hvt_block_ring_setup.self, at: 0x100) { $0.pointee = setup }
            let outcome = handler.handle(UInt64(MIRAGE_HVT_BLOCK_RING.rawValue), argument: 0x100)
            return (outcome, ring.memory.withStruct(mirage_hvt_block_ring_setup.self, at: 0x100) { $0.pointee.status }!)
        }
        let (outside, _) = call(device: 0, region: 0x100000, length: BlockRingPort.regionLength)
        guard case let .crash(reason) = outside else { Issue.record("not a crash: \(outside)"); return }
        #expect(reason.contains("outside its memory"))
        #expect(call(device: 0, region: 0x80001, length: BlockRingPort.regionLength).0 != .resume)
        #expect(call(device: 0, region: 0x80000, length: BlockRingPort.regionLength - 1).0 != .resume)
        #expect(call(device: 3, region: 0x80000, length: BlockRingPort.regionLength) == (.resume, MIRAGE_HVT_INVALID.rawValue))
        #expect(call(device: 0, region: 0x80000, length: BlockRingPort.regionLength) == (.resume, MIRAGE_HVT_OK.rawValue))
        #expect(call(device: 0, region: 0x90000, length: BlockRingPort.regionLength) == (.resume, MIRAGE_HVT_INVALID.rawValue))
        #expect(handler.blocks[0] == nil)
        // A block call for the device handed over is INVALID.
        let io = mirage_hvt_block_io(device: 0, status: 99, sector: 0, data: Ring.buffers, length: 512)
        _ = ring.memory.withStruct(mirage_hvt_block_io.self, at: 0x200) { $0.pointee = io }
        #expect(handler.handle(UInt64(MIRAGE_HVT_BLOCK_READ.rawValue), argument: 0x200) == .resume)
        #expect(ring.memory.withStruct(mirage_hvt_block_io.self, at: 0x200) { $0.pointee.status } == MIRAGE_HVT_INVALID.rawValue)
        // Ready while drained; not while a request waits (the thread is not started here).
        let handed = ring.memory.range(at: 0x80000, length: 1)!.baseAddress!.bindMemory(to: mirage_hvt_block_ring.self, capacity: 1)
        #expect(handler.ringsReady(1) == 1)
        mirage_hvt_block_ring_set_submitted(handed, 1)
        #expect(handler.ringsReady(1) == 0)
        mirage_hvt_block_ring_set_completed(handed, 1)
        #expect(handler.ringsReady(1) == 1)
        #expect(handler.ringsReady(2) == 0)
    }
}
