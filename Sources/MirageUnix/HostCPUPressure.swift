import Glibc
import MirageCore

/// The host's CPU pressure stall information, `/proc/pressure/cpu` (Linux 4.20 and later, where
/// the kernel keeps it: `CONFIG_PSI`, not turned off with `psi=0`): how long, in all, at least one
/// task has been runnable and waiting for a CPU. ``SpinGuard`` reads it to let the poll spin run
/// only while no other task wants the CPU (Documentation/accounting/psi.rst).
final class HostCPUPressure {
    private let descriptor: Int32
    private let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 256, alignment: 8)

    private init(descriptor: Int32) { self.descriptor = descriptor }

    /// The pressure read from `path`; nil when it cannot be opened or read, or reads as something
    /// else.
    static func open(path: String = "/proc/pressure/cpu") -> HostCPUPressure? {
        let descriptor = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        let pressure = HostCPUPressure(descriptor: descriptor)
        return pressure.someStallTotal() == nil ? nil : pressure
    }

    deinit {
        close(descriptor)
        buffer.deallocate()
    }

    /// The total "some" stall so far; nil when the read fails.
    func someStallTotal() -> Duration? {
        let count = pread(descriptor, buffer.baseAddress, buffer.count, 0)
        guard count > 0 else { return nil }
        return Self.someStallTotal(in: UnsafeRawBufferPointer(rebasing: buffer[..<count]))
    }

    /// The `total=` microseconds of the first line, which must be the "some" line:
    /// `some avg10=0.11 avg60=1.79 avg300=4.27 total=5307646216`; nil for anything else.
    static func someStallTotal(in text: UnsafeRawBufferPointer) -> Duration? {
        let line = text.prefix { $0 != UInt8(ascii: "\n") }
        guard line.starts(with: "some ".utf8) else { return nil }
        let key = Array(" total=".utf8)
        guard let start = line.indices.first(where: { line[$0...].starts(with: key) }) else { return nil }
        var microseconds: Int64 = 0
        var digits = 0
        for byte in line[(start + key.count)...] {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { break }
            let (times, overflowed) = microseconds.multipliedReportingOverflow(by: 10)
            guard !overflowed, times <= Int64.max / 1000 - 9 else { return nil }  // in Duration's range
            microseconds = times + Int64(byte - UInt8(ascii: "0"))
            digits += 1
        }
        return digits > 0 ? .microseconds(microseconds) : nil
    }
}
