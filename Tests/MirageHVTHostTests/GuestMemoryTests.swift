import CMirageHVTABI
import Glibc
import MirageHVTHost
import Testing

/// Guest memory: every access inside is served, every access with a byte outside is refused whole,
/// without wrapping, and typed access needs an aligned guest pointer.
@Suite("Guest memory")
struct GuestMemoryTests {
    /// Calls `body` with `size` bytes of guest memory (page-aligned on the host) filled with 0xCC.
    static func withGuestMemory<R>(size: Int = 4096, _ body: (GuestMemory, UnsafeMutableRawBufferPointer) throws -> R) rethrows -> R {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 4096)
        defer { buffer.deallocate() }
        buffer.initializeMemory(as: UInt8.self, repeating: 0xCC)
        return try body(GuestMemory(bytes: buffer), buffer)
    }

    @Test func itsSizeIsTheBuffersSize() {
        Self.withGuestMemory(size: 8192) { memory, _ in
            #expect(memory.size == 8192)
        }
    }

    @Test func integersAreStoredAndLoadedLittleEndian() {
        Self.withGuestMemory { memory, raw in
            #expect(memory.store(UInt32(0x1122_3344), at: 0x10))
            #expect(Array(raw[0x10..<0x14]) == [0x44, 0x33, 0x22, 0x11])
            #expect(memory.load(UInt32.self, at: 0x10) == 0x1122_3344)
            #expect(memory.load(UInt16.self, at: 0x11) == 0x2233)
            #expect(memory.store(Int16(-2), at: 0x20))
            #expect(Array(raw[0x20..<0x22]) == [0xFE, 0xFF])
            #expect(memory.load(Int16.self, at: 0x20) == -2)
            #expect(memory.store(UInt64(0x0102_0304_0506_0708), at: 0x33)) // unaligned is fine
            #expect(memory.load(UInt64.self, at: 0x33) == 0x0102_0304_0506_0708)
            #expect(memory.load(UInt8.self, at: 0x33) == 0x08)
        }
    }

    @Test func rangeGivesTheHostBytesBehindGuestAddresses() throws {
        try Self.withGuestMemory { memory, raw in
            let range = try #require(memory.range(at: 0x100, length: 16))
            #expect(range.count == 16)
            #expect(range.baseAddress == raw.baseAddress! + 0x100)
        }
    }

    @Test func theLastByteIsInsideAndTheNextIsRefused() {
        Self.withGuestMemory { memory, raw in
            #expect(memory.range(at: 4095, length: 1)?.count == 1)
            #expect(memory.range(at: 4096, length: 1) == nil)
            #expect(memory.range(at: 4095, length: 2) == nil)
            #expect(memory.range(at: 0, length: 4096)?.count == 4096)
            #expect(memory.range(at: 0, length: 4097) == nil)
            #expect(memory.load(UInt8.self, at: 4095) == 0xCC)
            #expect(memory.load(UInt8.self, at: 4096) == nil)
            #expect(memory.load(UInt64.self, at: 4088) != nil)
            #expect(memory.load(UInt64.self, at: 4089) == nil)
            #expect(memory.store(UInt16(0xABCD), at: 4094))
            #expect(!memory.store(UInt16(0xABCD), at: 4095))
            #expect(raw[4095] == 0xAB) // from the store that fitted, not the refused one
        }
    }

    @Test func anEmptyRangeIsValidUpToTheEndAndNotPastIt() {
        Self.withGuestMemory { memory, _ in
            #expect(memory.range(at: 0, length: 0)?.count == 0)
            #expect(memory.range(at: 4096, length: 0)?.count == 0)
            #expect(memory.range(at: 4097, length: 0) == nil)
            #expect(memory.zero(at: 4096, length: 0))
            #expect(!memory.zero(at: 4097, length: 0))
        }
    }

    @Test func anAccessWhoseEndWrapsAroundIsRefused() {
        Self.withGuestMemory { memory, raw in
            let address = UInt64.max - 3
            #expect(memory.range(at: address, length: 8) == nil)
            #expect(memory.range(at: 8, length: .max) == nil)
            #expect(memory.range(at: .max, length: 1) == nil)
            #expect(memory.load(UInt64.self, at: address) == nil)
            #expect(!memory.store(UInt64.max, at: address))
            #expect(!memory.zero(at: address, length: 8))
            #expect(!memory.zero(at: 1, length: .max))
            let copied = [UInt8](repeating: 1, count: 8).withUnsafeBytes { memory.copy($0, to: address) }
            #expect(!copied)
            #expect(memory.withStruct(mirage_hvt_time.self, at: UInt64.max - 7) { _ in true } == nil)
            #expect(raw.allSatisfy { $0 == 0xCC })
        }
    }

    @Test func copyWritesInsideAndRefusesAPartlyOutsideTargetWhole() {
        Self.withGuestMemory { memory, raw in
            let text = Array("hello, guest".utf8)
            #expect(text.withUnsafeBytes { memory.copy($0, to: 0x200) })
            #expect(Array(raw[0x200..<0x200 + text.count]) == text)
            #expect(!text.withUnsafeBytes { memory.copy($0, to: 4096 - UInt64(text.count) + 1) })
            #expect(raw[(4096 - text.count)...].allSatisfy { $0 == 0xCC }) // the refused copy wrote nothing
            #expect(text.withUnsafeBytes { memory.copy($0, to: 4096 - UInt64(text.count)) })
            #expect(Array(raw[(4096 - text.count)...]) == text)
            #expect([UInt8]().withUnsafeBytes { memory.copy($0, to: 4096) })
        }
    }

    @Test func copyMayReadFromOverlappingGuestMemory() throws {
        try Self.withGuestMemory { memory, raw in
            for index in 0..<8 { raw[index] = UInt8(index) }
            let source = try #require(memory.range(at: 0, length: 8))
            #expect(memory.copy(UnsafeRawBufferPointer(source), to: 2))
            #expect(Array(raw[0..<10]) == [0, 1, 0, 1, 2, 3, 4, 5, 6, 7])
        }
    }

    @Test("populate makes the whole pages of a range resident (mincore), no others, and changes no byte")
    func populateMakesThePagesOfTheRangeResident() throws {
        let size = 16 * 4096
        let mapping = try #require(mmap(nil, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0))
        defer { munmap(mapping, size) }
        let memory = GuestMemory(bytes: UnsafeMutableRawBufferPointer(start: mapping, count: size))
        func resident() -> [Bool] {
            var vector = [UInt8](repeating: 0, count: 16)
            mincore(mapping, size, &vector)
            return vector.map { $0 & 1 != 0 }
        }
        #expect(resident() == Array(repeating: false, count: 16))
        memory.populate(at: 0x1800, length: 0x2000)  // pages 1, 2 and 3
        #expect(resident() == (0..<16).map { (1...3).contains($0) })
        memory.populate(at: 0xF000, length: 0x2000)  // runs past the end: nothing
        memory.populate(at: 0x5000, length: 0)
        #expect(resident() == (0..<16).map { (1...3).contains($0) })
        #expect(UnsafeRawBufferPointer(start: mapping, count: size).allSatisfy { $0 == 0 })
    }

    @Test func zeroClearsExactlyTheRange() {
        Self.withGuestMemory { memory, raw in
            #expect(memory.zero(at: 0x10, length: 0x20))
            #expect(raw[0x0F] == 0xCC && raw[0x30] == 0xCC)
            #expect(raw[0x10..<0x30].allSatisfy { $0 == 0 })
            #expect(!memory.zero(at: 4000, length: 97))
            #expect(raw[4000..<4096].allSatisfy { $0 == 0xCC })
        }
    }

    @Test func aStructIsReadAndWrittenAtAnAlignedAddress() {
        Self.withGuestMemory { memory, _ in
            #expect(memory.store(UInt64(0x3000), at: 0x40))
            #expect(memory.store(UInt64(12), at: 0x48))
            let fields = memory.withStruct(mirage_hvt_console_write.self, at: 0x40) { ($0.pointee.data, $0.pointee.length) }
            #expect(fields?.0 == 0x3000 && fields?.1 == 12)
            #expect(memory.withStruct(mirage_hvt_time.self, at: 0x80) { $0.pointee.nanoseconds = 42 } != nil)
            #expect(memory.load(UInt64.self, at: 0x80) == 42)
        }
    }

    @Test("a misaligned struct is refused without calling the body", arguments: [UInt64(0x41), 0x44, 0x4C, 0xFFF])
    func aMisalignedStructIsRefused(address: UInt64) {
        Self.withGuestMemory { memory, raw in
            var called = false
            let result: Void? = memory.withStruct(mirage_hvt_time.self, at: address) { pointer in
                called = true
                pointer.pointee.nanoseconds = 0
            }
            #expect(result == nil)
            #expect(!called)
            #expect(raw.allSatisfy { $0 == 0xCC })
        }
    }

    @Test func aStructMayEndAtTheLastByteButNotCrossIt() {
        Self.withGuestMemory { memory, _ in
            let size = UInt64(MemoryLayout<mirage_hvt_block_io>.size)
            #expect(memory.withStruct(mirage_hvt_block_io.self, at: 4096 - size) { _ in true } == true)
            #expect(memory.withStruct(mirage_hvt_block_io.self, at: 4096 - size + 8) { _ in true } == nil)
            #expect(memory.withStruct(mirage_hvt_block_io.self, at: 4096) { _ in true } == nil)
        }
    }

    @Test func theBootInfoFitsAtItsAddress() {
        Self.withGuestMemory(size: 0x8000) { memory, _ in
            let version = memory.withStruct(mirage_hvt_boot_info.self, at: UInt64(MIRAGE_HVT_BOOT_INFO)) { info in
                info.pointee.abi_version = UInt64(MIRAGE_HVT_ABI_VERSION)
                return info.pointee.abi_version
            }
            #expect(version == UInt64(MIRAGE_HVT_ABI_VERSION))
            #expect(memory.load(UInt64.self, at: UInt64(MIRAGE_HVT_BOOT_INFO)) == UInt64(MIRAGE_HVT_ABI_VERSION))
        }
    }

    @Test func emptyMemoryRefusesEveryByte() {
        let memory = GuestMemory(bytes: UnsafeMutableRawBufferPointer(start: nil, count: 0))
        #expect(memory.size == 0)
        #expect(memory.range(at: 0, length: 0)?.count == 0)
        #expect(memory.range(at: 0, length: 1) == nil)
        #expect(memory.load(UInt8.self, at: 0) == nil)
        #expect(!memory.store(UInt8(1), at: 0))
        #expect(memory.zero(at: 0, length: 0))
        #expect(memory.withStruct(mirage_hvt_time.self, at: 0) { _ in true } == nil)
    }
}
