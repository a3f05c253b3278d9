#if canImport(Glibc)
import Glibc
#endif
import CLinux
import CMirageHVTABI
#if !hasFeature(Embedded)  // the tender's Embedded build compiles MirageHostSystem's files in
import MirageHostSystem
#endif

/// Serves the guest's hypercalls (mirage_hvt_abi.h). Every guest address and length goes through
/// ``GuestMemory``'s checks; a call that names memory outside the guest, an unknown call or a bad
/// argument address ends the guest as crashed, with the reason.
public final class HypercallHandler {
    /// What the run loop does after a hypercall.
    public enum Outcome: Equatable {
        case resume
        case halt(status: Int32)
        case crash(String)
    }

    let memory: GuestMemory
    /// The block devices the vCPU thread serves, through the block calls: all of them until the
    /// guest hands one to the I/O thread (`MIRAGE_HVT_BLOCK_RING`).
    var blocks: [Int: BlockBackend]
    /// The net devices not yet handed to the I/O thread: until the guest hands one over
    /// (`MIRAGE_HVT_NET_RINGS`), nothing reads its tap.
    var nets: [Int: NetBackend]
    let events: HostEvents
    /// The thread that serves the devices handed over with `MIRAGE_HVT_NET_RINGS` and
    /// `MIRAGE_HVT_BLOCK_RING`, and their rings.
    let ioThread: RingIOThread?
    var rings: [(device: Int, rings: UnsafeMutablePointer<mirage_hvt_net_rings>)] = []
    var blockRings: [(device: Int, ring: UnsafeMutablePointer<mirage_hvt_block_ring>)] = []

    /// A handler serving `blocks` and `nets` (by device index); the poll hypercall waits in
    /// `events`. With `ioThread`, the guest may hand the net devices over to it
    /// (`MIRAGE_HVT_NET_RINGS`), the only way it has to use them, and the block devices
    /// (`MIRAGE_HVT_BLOCK_RING`).
    init(memory: GuestMemory, blocks: [Int: BlockBackend], nets: [Int: NetBackend] = [:], events: HostEvents, ioThread: RingIOThread? = nil) {
        self.memory = memory
        self.blocks = blocks
        self.nets = nets
        self.events = events
        self.ioThread = ioThread
    }

    /// A handler serving `blocks` and no network device (for tests and the fuzzer, which drive
    /// it over a buffer as guest memory).
    public convenience init(memory: GuestMemory, blocks: [Int: BlockBackend], events: HostEvents) {
        self.init(memory: memory, blocks: blocks, nets: [:], events: events)
    }

    /// Serves hypercall `number` with its argument structure at guest address `argument`.
    public func handle(_ number: UInt64, argument: UInt64) -> Outcome {
        switch number {
        case UInt64(MIRAGE_HVT_WALL_CLOCK.rawValue):
            return withArgument(mirage_hvt_time.self, at: argument) { $0.pointee.nanoseconds = Self.clock(CLOCK_REALTIME) }
        case UInt64(MIRAGE_HVT_MONOTONIC.rawValue):
            return withArgument(mirage_hvt_time.self, at: argument) { $0.pointee.nanoseconds = Self.clock(CLOCK_MONOTONIC) }
        case UInt64(MIRAGE_HVT_CONSOLE.rawValue):
            return console(argument)
        case UInt64(MIRAGE_HVT_POLL.rawValue):
            return withArgument(mirage_hvt_poll.self, at: argument) { poll in
                kickIfAsked()
                poll.pointee.ready = events.wait(until: poll.pointee.deadline, interest: poll.pointee.ready & ~MIRAGE_HVT_POLL_STOP_REQUESTED)
            }
        case UInt64(MIRAGE_HVT_BLOCK_READ.rawValue), UInt64(MIRAGE_HVT_BLOCK_WRITE.rawValue), UInt64(MIRAGE_HVT_BLOCK_FLUSH.rawValue):
            return block(number, argument: argument)
        case UInt64(MIRAGE_HVT_NET_RINGS.rawValue):
            return netRings(argument)
        case UInt64(MIRAGE_HVT_BLOCK_RING.rawValue):
            return blockRing(argument)
        case UInt64(MIRAGE_HVT_NET_KICK.rawValue):
            // Only where KVM could not take the kick itself (KVM_IOEVENTFD).
            ioThread?.kick()
            return .resume
        case UInt64(MIRAGE_HVT_HALT.rawValue):
            guard let status = memory.withStruct(mirage_hvt_halt.self, at: argument, { $0.pointee.status }) else {
                return .crash(badArgument("halt", argument))
            }
            return .halt(status: status)
        default:
            return .crash("the guest made hypercall \(number), which does not exist")
        }
    }

    private func withArgument<T>(_ type: T.Type, at address: UInt64, _ body: (UnsafeMutablePointer<T>) -> Void) -> Outcome {
        memory.withStruct(type, at: address, body) == nil ? .crash(badArgument("\(type)", address)) : .resume
    }

    func badArgument(_ call: String, _ address: UInt64) -> String {
        "the guest passed a \(call) hypercall argument at 0x\(String(address, radix: 16)), outside its memory or misaligned"
    }

    private func console(_ argument: UInt64) -> Outcome {
        guard let (data, length) = memory.withStruct(mirage_hvt_console_write.self, at: argument, { ($0.pointee.data, $0.pointee.length) }) else {
            return .crash(badArgument("console", argument))
        }
        guard let bytes = memory.range(at: data, length: length) else {
            return .crash("the guest asked to print \(length) bytes at 0x\(String(data, radix: 16)), outside its memory")
        }
        // Standard error closed or full: the guest's output is lost, and the guest runs on.
        try? SystemCall.writeAll(STDERR_FILENO, UnsafeRawBufferPointer(bytes))
        return .resume
    }

    private func block(_ number: UInt64, argument: UInt64) -> Outcome {
        let outcome = memory.withStruct(mirage_hvt_block_io.self, at: argument) { io -> Outcome in
            guard let backend = blocks[Int(io.pointee.device)] else {
                io.pointee.status = MIRAGE_HVT_INVALID.rawValue
                return .resume
            }
            switch backend.serve(number, sector: io.pointee.sector, data: io.pointee.data, length: io.pointee.length, in: memory) {
            case let .status(status):
                io.pointee.status = status
                return .resume
            case let .outsideMemory(reason):
                return .crash(reason)
            }
        }
        return outcome ?? .crash(badArgument("block", argument))
    }

    /// Nanoseconds on a host clock.
    static func clock(_ id: clockid_t) -> UInt64 {
        var time = timespec()
        clock_gettime(id, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }
}
