import CMirageHVTGuest
import MirageRuntime

/// A guest made to misbehave, for the tender's robustness tests: each attack must end with the
/// tender's clear message and exit status, and never with the tender touching memory outside the
/// guest.
struct Hostile: Unikernel {
    let log = LogSource("application", documentation: "the hostile guest")
    let attack: String

    init(attack: String) {
        self.attack = attack
    }

    func start() async {
        if attack == "clock" {
            // The guest's first reading of its monotonic clock, before anything else: the tests
            // check it against the host's clock around the run.
            let nanoseconds = mirage_hvt_monotonic_ns()
            log.info("monotonic: \(nanoseconds)")
        }
        log.info("attack: \(attack)")
        switch attack {
        case "console":
            // Ask the tender to print 4 KiB from far outside guest memory.
            var request = mirage_hvt_console_write(data: 0x7FFF_0000_0000, length: 4096)
            mirage_hvt_hypercall(MIRAGE_HVT_CONSOLE, &request)
        case "halt-pointer":
            // A hypercall whose argument structure itself is outside guest memory.
            mirage_hvt_hypercall(MIRAGE_HVT_HALT, UnsafeMutableRawPointer(bitPattern: 0xBFFF_FFF0))
        case "trap":
            let values = [1, 2, 3]
            let index = attack.utf8.count
            log.info("value: \(values[index])")
        case "out-of-memory":
            var hoard: [[UInt8]] = []
            while true { hoard.append([UInt8](repeating: 1, count: 1 << 20)) }
        default:
            break
        }
        log.info("survived")
    }
}
