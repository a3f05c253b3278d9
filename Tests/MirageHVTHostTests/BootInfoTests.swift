import CMirageHVTABI
@testable import MirageHVTHost
import Testing

/// What the tender tells the guest at boot (`struct mirage_hvt_boot_info`): the options that tune
/// the guest reach it, and the command line follows the boot information.
@Suite("Boot information")
struct BootInfoTests {
    @Test("--poll-spin reaches the guest in nanoseconds; 0 and the default too", arguments: [
        (["x.hvt"], UInt64(200_000)),
        (["--poll-spin=0", "x.hvt"], UInt64(0)),
        (["--poll-spin=1000", "x.hvt"], UInt64(1_000_000)),
    ])
    func pollSpin(arguments: [String], nanoseconds: UInt64) throws {
        let options = try TenderOptions.parse(arguments)
        try GuestMemoryTests.withGuestMemory(size: 4 << 20) { memory, _ in
            let address = try BootInfo.write(
                into: memory, memorySize: 4 << 20, heapStart: 0x200000, arguments: ["-l", "debug"], devices: [],
                tscFrequency: 2_000_000_000, clockAnchor: (ticks: 123_456_789, nanoseconds: 987_654_321, wallNanoseconds: 1_765_000_000_987_654_321),
                pollSpinNanoseconds: options.pollSpinMicroseconds * 1000)
            let info = memory.withStruct(mirage_hvt_boot_info.self, at: address) { $0.pointee }
            #expect(info?.poll_spin_ns == nanoseconds)
            #expect(info?.tsc_frequency == 2_000_000_000)
            #expect(info?.clock_anchor_ticks == 123_456_789 && info?.clock_anchor_ns == 987_654_321)
            #expect(info?.clock_anchor_wall_ns == 1_765_000_000_987_654_321)
            #expect(info?.abi_version == UInt64(MIRAGE_HVT_ABI_VERSION))
            #expect(info?.argument_count == 2 && info?.command_line_length == 9)
            #expect(memory.range(at: UInt64(MIRAGE_HVT_COMMAND_LINE), length: 9).map(Array.init) == Array("-l\0debug\0".utf8))
        }
    }

    @Test("the clock's anchor reaches the guest only with a counter frequency: without one the guest reads the host's clock by hypercall, and the anchor is 0")
    func clockAnchorNeedsFrequency() throws {
        try GuestMemoryTests.withGuestMemory(size: 4 << 20) { memory, _ in
            let address = try BootInfo.write(into: memory, memorySize: 4 << 20, heapStart: 0x200000, arguments: [], devices: [],
                                             tscFrequency: 0, clockAnchor: (ticks: 5, nanoseconds: 7, wallNanoseconds: 9))
            let info = memory.withStruct(mirage_hvt_boot_info.self, at: address) { $0.pointee }
            #expect(info?.clock_anchor_ticks == 0 && info?.clock_anchor_ns == 0 && info?.clock_anchor_wall_ns == 0)
        }
    }
}
