import MirageRuntime

/// The block benchmark's guest (Benchmarks/block/run.py): times `--requests` requests of
/// `--request-size` bytes to its block device, one at a time as an application awaits them, and
/// logs one line, `block-probe: MODE REQUESTS SIZE NANOSECONDS`, then exits. `read` goes through
/// the device in order (round again at its end), `randread` and `randwrite` go to offsets drawn
/// from a generator seeded with `--seed`, and `randwrite` ends with a flush, inside the time, as
/// fio's `end_fsync` does for the peer.
struct BlockProbe<Disk: BlockDevice, Clock: MonotonicClock>: Unikernel {
    enum Failure: Error, CustomStringConvertible {
        case device(BlockError)
        case badArguments(String)

        var description: String {
            switch self {
            case let .device(error): "block device error: \(error)"
            case let .badArguments(reason): reason
            }
        }
    }

    let log = LogSource("application", documentation: "the block benchmark's probe")
    let disk: Disk
    let clock: Clock
    let mode: String
    let requests: Int
    let requestSize: Int
    let seed: Int

    init(_ disk: Disk, _ clock: Clock, mode: String, requests: Int, requestSize: Int, seed: Int) {
        self.disk = disk
        self.clock = clock
        self.mode = mode
        self.requests = requests
        self.requestSize = requestSize
        self.seed = seed
    }

    func start() async throws(Failure) {
        let info = disk.info
        guard requestSize > 0, requestSize % info.sectorSize == 0 else {
            throw .badArguments("--request-size=\(requestSize) is not a whole number of \(info.sectorSize)-byte sectors")
        }
        let sectorsPerRequest = UInt64(requestSize / info.sectorSize)
        guard sectorsPerRequest <= info.sectorCount, requests > 0 else {
            throw .badArguments("--request-size=\(requestSize) or --requests=\(requests) does not fit the device")
        }
        guard ["read", "randread", "randwrite"].contains(mode) else {
            throw .badArguments("--mode=\(mode) is not read, randread or randwrite")
        }
        let slots = info.sectorCount / sectorsPerRequest
        var random = UInt64(truncatingIfNeeded: seed) | 1
        var buffer = [UInt8](repeating: 0x5A, count: requestSize)
        let begin = clock.now()
        do {
            for index in 0..<UInt64(requests) {
                let slot: UInt64
                if mode == "read" {
                    slot = index % slots
                } else {
                    // xorshift64 (Marsaglia, 2003): uniform enough for offsets.
                    random ^= random << 13
                    random ^= random >> 7
                    random ^= random << 17
                    slot = random % slots
                }
                if mode == "randwrite" {
                    try await disk.write(at: slot * sectorsPerRequest, from: buffer)
                } else {
                    try await disk.read(at: slot * sectorsPerRequest, into: &buffer)
                }
            }
            if mode == "randwrite" { try await disk.flush() }
        } catch {
            throw .device(error)
        }
        let elapsed = clock.now().nanoseconds - begin.nanoseconds
        log.info("block-probe: \(mode) \(requests) \(requestSize) \(elapsed)")
    }
}
