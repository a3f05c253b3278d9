import CMirageHVTABI
import Glibc
import MirageHVTHost

extension FuzzTargets {
    /// The block device the hypercall target serves: 8 sectors in a temporary file, made once.
    nonisolated(unsafe) static let fuzzBlock: BlockBackend? = {
        let path = "/tmp/mirage-fuzz-block-\(getpid()).img"
        let descriptor = open(path, O_CREAT | O_RDWR | O_TRUNC, 0o600)
        guard descriptor >= 0 else { return nil }
        _ = ftruncate(descriptor, 8 * 512)
        close(descriptor)
        defer { unlink(path) } // the backend keeps it open
        return try? BlockBackend(name: "storage", path: path)
    }()

    /// The epoll set the poll calls wait on (no devices: they return at once), made once.
    nonisolated(unsafe) static let fuzzEvents = HostEvents(handlesSignals: false)

    /// The tender's hypercall handlers over a hostile guest: 64 KiB of guest memory from the
    /// input, then calls (numbers known and unknown, argument addresses anywhere) taken from it.
    /// The poll calls get a deadline of 0 so that they never wait. Every outcome must be a resume,
    /// a halt or a crash report: never a trap of the tender.
    static let hypercalls = FuzzTarget("hypercalls", "HypercallHandler over 64 KiB of hostile guest memory") { bytes in
        var input = FuzzInput(bytes)
        let memoryBytes = UnsafeMutableRawBufferPointer(rebasing: guestBytes[0..<(1 << 16)])
        memoryBytes.initializeMemory(as: UInt8.self, repeating: 0)
        let image = input.piece(maximum: memoryBytes.count)
        memoryBytes.copyBytes(from: image)
        let memory = GuestMemory(bytes: memoryBytes)
        let handler = HypercallHandler(memory: memory, blocks: fuzzBlock.map { [0: $0] } ?? [:],
                                       events: fuzzEvents)
        for _ in 0..<16 where !input.isAtEnd {
            let number = UInt64(input.byte() % 14)
            let argument = input.byte() == 0xFF ? UInt64(input.uint32()) << 32 | UInt64(input.uint32())
                                                : UInt64(input.uint16())
            if number == UInt64(MIRAGE_HVT_POLL.rawValue) {
                _ = memory.withStruct(mirage_hvt_poll.self, at: argument) { $0.pointee.deadline = 0 }
            }
            if case .halt = handler.handle(number, argument: argument) { return }
        }
    }
}
