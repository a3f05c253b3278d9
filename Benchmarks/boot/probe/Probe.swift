import MirageRuntime

/// Hello without its sleeps: one line the moment `start` runs, then exit. The boot benchmark
/// times the tender's spawn to that line (boot to `start`) and to the exit.
struct Probe: Unikernel {
    let log = LogSource("application", documentation: "the boot probe")

    func start() async {
        log.info("started")
    }
}
