#if canImport(Glibc)
import Glibc
#endif
import CLinux
import CMirageHVTABI

/// Writes what the guest is told at boot: `struct mirage_hvt_boot_info` at `MIRAGE_HVT_BOOT_INFO`
/// and the boot arguments, NUL-terminated one after another, at `MIRAGE_HVT_COMMAND_LINE`.
enum BootInfo {
    static func write(
        into memory: GuestMemory, memorySize: UInt64, heapStart: UInt64,
        arguments: [String], devices: [DeviceTableEntry], tscFrequency: UInt64 = 0,
        clockAnchor: (ticks: UInt64, nanoseconds: UInt64, wallNanoseconds: UInt64)? = nil, pollSpinNanoseconds: UInt64 = 0
    ) throws(TenderError) -> UInt64 {
        var commandLine: [UInt8] = []
        for argument in arguments { commandLine += Array(argument.utf8) + [0] }
        guard UInt64(commandLine.count) <= MIRAGE_HVT_COMMAND_LINE_MAX else {
            throw TenderError("the boot arguments take \(commandLine.count) bytes; at most \(MIRAGE_HVT_COMMAND_LINE_MAX) fit", status: TenderExitStatus.usage)
        }
        guard devices.count <= Int(MIRAGE_HVT_MAX_DEVICES) else {
            throw TenderError("at most \(MIRAGE_HVT_MAX_DEVICES) devices can be attached", status: TenderExitStatus.usage)
        }
        let heapEnd = memorySize - UInt64(MIRAGE_HVT_STACK_SIZE)
        guard heapStart < heapEnd else {
            throw TenderError("the image leaves no room for a heap in \(memorySize >> 20) MiB: give more with --mem", status: TenderExitStatus.usage)
        }
        let copied = commandLine.withUnsafeBytes { memory.copy($0, to: UInt64(MIRAGE_HVT_COMMAND_LINE)) }
        var info = mirage_hvt_boot_info()
        info.abi_version = UInt64(MIRAGE_HVT_ABI_VERSION)
        info.memory_size = memorySize
        info.heap_start = heapStart
        info.heap_end = heapEnd
        info.command_line = UInt64(MIRAGE_HVT_COMMAND_LINE)
        info.command_line_length = UInt64(commandLine.count)
        info.argument_count = UInt64(arguments.count)
        withUnsafeMutableBytes(of: &info.entropy_seed) { seed in
            var filled = 0
            while filled < seed.count {
                let count = getrandom(seed.baseAddress! + filled, seed.count - filled, 0)
                if count > 0 { filled += count }
            }
        }
        info.tsc_frequency = tscFrequency
        if tscFrequency != 0, let clockAnchor {
            info.clock_anchor_ticks = clockAnchor.ticks
            info.clock_anchor_ns = clockAnchor.nanoseconds
            info.clock_anchor_wall_ns = clockAnchor.wallNanoseconds
        }
        info.poll_spin_ns = pollSpinNanoseconds
        info.device_count = UInt64(devices.count)
        withUnsafeMutableBytes(of: &info.devices) { raw in
            let table = raw.bindMemory(to: mirage_hvt_device.self)
            for (index, device) in devices.enumerated() { table[index] = device.abiEntry }
        }
        let stored: Void? = memory.withStruct(mirage_hvt_boot_info.self, at: UInt64(MIRAGE_HVT_BOOT_INFO)) { $0.pointee = info }
        guard copied, stored != nil else {
            throw TenderError("guest memory is too small for the boot information", status: TenderExitStatus.usage)
        }
        return UInt64(MIRAGE_HVT_BOOT_INFO)
    }
}

/// One row of the boot info's device table.
struct DeviceTableEntry {
    var kind: mirage_hvt_device_kind
    var name: String
    var writable = false
    var sectorSize: UInt64 = 0
    var sectorCount: UInt64 = 0
    var mac: [UInt8] = []
    var mtu: UInt64 = 0
    /// Net: MIRAGE_HVT_NET_HEADERS or 0.
    var netFlags: UInt32 = 0

    var abiEntry: mirage_hvt_device {
        var entry = mirage_hvt_device()
        entry.kind = kind.rawValue
        // One field: a block device's writable flag, a net device's flags.
        entry.writable = kind == MIRAGE_HVT_DEVICE_NET ? netFlags : (writable ? 1 : 0)
        entry.sector_size = sectorSize
        entry.sector_count = sectorCount
        entry.mtu = mtu
        withUnsafeMutableBytes(of: &entry.name) { bytes in
            for (index, byte) in name.utf8.prefix(bytes.count - 1).enumerated() { bytes[index] = byte }
        }
        withUnsafeMutableBytes(of: &entry.mac) { bytes in
            for (index, byte) in mac.prefix(bytes.count).enumerated() { bytes[index] = byte }
        }
        return entry
    }
}
