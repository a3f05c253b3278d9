import CMirageHVTABI
import Foundation
import Glibc
@testable import MirageHVTHost
import Testing

/// Every hypercall handler against hostile arguments, over a buffer of the test's as guest
/// memory and a block device over a temporary file: no KVM needed. An argument or a buffer
/// outside guest memory ends the guest as crashed with a report, never a trap of the tender; a
/// bad device, range or length comes back INVALID with nothing touched.
@Suite("Hypercall handlers")
struct HypercallHandlerTests {
    static let memorySize = 1 << 16
    static let argument: UInt64 = 0x100
    static let buffer: UInt64 = 0x1000

    /// Guest memory filled with 0xCC, and a handler with block device 0 over a 4 KiB file whose
    /// sector n holds the byte n + 1.
    final class Fixture {
        let raw = UnsafeMutableRawBufferPointer.allocate(byteCount: memorySize, alignment: 4096)
        let memory: GuestMemory
        let handler: HypercallHandler
        let path = NSTemporaryDirectory() + "mirage-hypercall-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).img"

        init() throws {
            raw.initializeMemory(as: UInt8.self, repeating: 0xCC)
            memory = GuestMemory(bytes: raw)
            let contents = (0..<8).flatMap { [UInt8](repeating: UInt8($0 + 1), count: 512) }
            FileManager.default.createFile(atPath: path, contents: Data(contents))
            let block = try BlockBackend(name: "storage", path: path)
            handler = HypercallHandler(memory: memory, blocks: [0: block], events: HostEvents(handlesSignals: false))
        }

        deinit {
            try? FileManager.default.removeItem(atPath: path)
            raw.deallocate()
        }

        func call(_ number: mirage_hvt_hypercall, at address: UInt64 = argument) -> HypercallHandler.Outcome {
            handler.handle(UInt64(number.rawValue), argument: address)
        }

        /// Makes a block call with `io` at ``argument``; returns the outcome and `io` afterwards.
        func block(_ number: mirage_hvt_hypercall, _ io: mirage_hvt_block_io) -> (HypercallHandler.Outcome, mirage_hvt_block_io) {
            _ = memory.withStruct(mirage_hvt_block_io.self, at: argument) { $0.pointee = io }
            let outcome = call(number)
            return (outcome, memory.withStruct(mirage_hvt_block_io.self, at: argument) { $0.pointee }!)
        }

        var fileBytes: [UInt8] { Array(FileManager.default.contents(atPath: path) ?? Data()) }
    }

    static let everyCall: [mirage_hvt_hypercall] = [
        MIRAGE_HVT_WALL_CLOCK, MIRAGE_HVT_MONOTONIC, MIRAGE_HVT_CONSOLE, MIRAGE_HVT_POLL, MIRAGE_HVT_BLOCK_READ,
        MIRAGE_HVT_BLOCK_WRITE, MIRAGE_HVT_BLOCK_FLUSH, MIRAGE_HVT_HALT, MIRAGE_HVT_NET_RINGS, MIRAGE_HVT_BLOCK_RING,
    ]

    @Test("an argument structure outside guest memory, across its end or misaligned ends the guest as crashed",
          arguments: everyCall, [UInt64(memorySize) - 4, UInt64(memorySize), 0x7FFF_0000_0000, UInt64.max, argument + 1])
    func argumentOutsideMemory(call: mirage_hvt_hypercall, address: UInt64) throws {
        let fixture = try Fixture()
        guard case let .crash(reason) = fixture.call(call, at: address) else {
            Issue.record("hypercall \(call.rawValue) with its argument at 0x\(String(address, radix: 16)) was served")
            return
        }
        #expect(reason.contains("0x\(String(address, radix: 16)), outside its memory or misaligned"), "\(reason)")
        #expect(fixture.raw.allSatisfy { $0 == 0xCC })
    }

    @Test("hypercall numbers that do not exist end the guest as crashed", arguments: [0, 8, 9, 11, 15, 63, UInt64.max] as [UInt64])
    func unknownCalls(number: UInt64) throws {
        let fixture = try Fixture()
        #expect(fixture.handler.handle(number, argument: Self.argument) == .crash("the guest made hypercall \(number), which does not exist"))
    }

    @Test("the clocks write nanoseconds; halt returns the guest's status")
    func clocksAndHalt() throws {
        let fixture = try Fixture()
        #expect(fixture.call(MIRAGE_HVT_MONOTONIC) == .resume)
        let monotonic = fixture.memory.load(UInt64.self, at: Self.argument)!
        #expect(monotonic > 0 && monotonic <= HypercallHandler.clock(CLOCK_MONOTONIC))
        #expect(fixture.call(MIRAGE_HVT_WALL_CLOCK) == .resume)
        #expect(fixture.memory.load(UInt64.self, at: Self.argument)! > 1_700_000_000 * 1_000_000_000)
        _ = fixture.memory.withStruct(mirage_hvt_halt.self, at: Self.argument) { $0.pointee.status = -3 }
        #expect(fixture.call(MIRAGE_HVT_HALT) == .halt(status: -3))
    }

    @Test("console bytes outside guest memory, or whose end wraps, end the guest as crashed", arguments: [
        (UInt64(memorySize) - 10, 11), (0x7FFF_0000_0000, 1), (buffer, UInt64.max), (UInt64.max, 2),
    ] as [(UInt64, UInt64)])
    func consoleOutsideMemory(data: UInt64, length: UInt64) throws {
        let fixture = try Fixture()
        _ = fixture.memory.withStruct(mirage_hvt_console_write.self, at: Self.argument) { $0.pointee = mirage_hvt_console_write(data: data, length: length) }
        #expect(fixture.call(MIRAGE_HVT_CONSOLE)
            == .crash("the guest asked to print \(length) bytes at 0x\(String(data, radix: 16)), outside its memory"))
    }

    @Test("a block read puts whole sectors in guest memory; a write reaches the file; flush is served")
    func blockTransfers() throws {
        let fixture = try Fixture()
        let (read, io) = fixture.block(MIRAGE_HVT_BLOCK_READ, mirage_hvt_block_io(device: 0, status: 99, sector: 2, data: Self.buffer, length: 1024))
        #expect(read == .resume && io.status == MIRAGE_HVT_OK.rawValue)
        #expect(Array(fixture.memory.range(at: Self.buffer, length: 1024)!) == [UInt8](repeating: 3, count: 512) + [UInt8](repeating: 4, count: 512))
        fixture.memory.range(at: Self.buffer, length: 512)!.initializeMemory(as: UInt8.self, repeating: 0xEE)
        let (_, written) = fixture.block(MIRAGE_HVT_BLOCK_WRITE, mirage_hvt_block_io(device: 0, status: 99, sector: 7, data: Self.buffer, length: 512))
        #expect(written.status == MIRAGE_HVT_OK.rawValue)
        #expect(Array(fixture.fileBytes[3584...]) == [UInt8](repeating: 0xEE, count: 512))
        #expect(fixture.block(MIRAGE_HVT_BLOCK_FLUSH, mirage_hvt_block_io(device: 0, status: 99, sector: 0, data: 0, length: 0)).1.status == MIRAGE_HVT_OK.rawValue)
    }

    @Test("a bad device, a range past the device's end (however large) or a partial sector is INVALID, and nothing moves",
          arguments: [
              (UInt32(1), UInt64(0), UInt64(512)), (UInt32.max, 0, 512),      // no such device
              (0, 8, 512), (0, 7, 1024), (0, UInt64.max, 512),                 // past the end
              (0, UInt64.max / 512, 1024), (0, 0, UInt64.max & ~511),          // sums that would wrap
              (0, 0, 100), (0, 0, 513),                                        // partial sectors
          ] as [(UInt32, UInt64, UInt64)])
    func badBlockRanges(device: UInt32, sector: UInt64, length: UInt64) throws {
        let fixture = try Fixture()
        let before = fixture.fileBytes
        for call in [MIRAGE_HVT_BLOCK_READ, MIRAGE_HVT_BLOCK_WRITE] {
            let (outcome, io) = fixture.block(call, mirage_hvt_block_io(device: device, status: 99, sector: sector, data: Self.buffer, length: length))
            #expect(outcome == .resume && io.status == MIRAGE_HVT_INVALID.rawValue, "\(call.rawValue)")
        }
        #expect(fixture.fileBytes == before)
        #expect(Array(fixture.memory.range(at: Self.buffer, length: 4096)!).allSatisfy { $0 == 0xCC })
    }

    @Test("block data outside guest memory ends the guest as crashed, for reads and writes, with the file untouched", arguments: [
        (UInt64(memorySize) - 256, UInt64(512)), (0x7FFF_0000_0000, 512), (UInt64.max - 255, 512),
    ] as [(UInt64, UInt64)])
    func blockDataOutsideMemory(data: UInt64, length: UInt64) throws {
        let fixture = try Fixture()
        let before = fixture.fileBytes
        for (call, verb) in [(MIRAGE_HVT_BLOCK_READ, "read"), (MIRAGE_HVT_BLOCK_WRITE, "write")] {
            let (outcome, _) = fixture.block(call, mirage_hvt_block_io(device: 0, status: 0, sector: 0, data: data, length: length))
            #expect(outcome == .crash("the guest asked to \(verb) \(length) bytes at 0x\(String(data, radix: 16)) of block device storage, outside its memory"))
        }
        #expect(fixture.fileBytes == before)
    }

    @Test("poll with a deadline that has passed returns at once with nothing ready, whatever bits the guest sets")
    func pollChecksOnly() throws {
        let fixture = try Fixture()
        _ = fixture.memory.withStruct(mirage_hvt_poll.self, at: Self.argument) { $0.pointee = mirage_hvt_poll(deadline: 0, ready: UInt64.max) }
        #expect(fixture.call(MIRAGE_HVT_POLL) == .resume)
        #expect(fixture.memory.withStruct(mirage_hvt_poll.self, at: Self.argument) { $0.pointee.ready } == 0)
    }
}
