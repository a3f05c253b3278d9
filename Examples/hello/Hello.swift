import MirageRuntime

/// The first unikernel: says hello four times, one second apart (mirage-skeleton's
/// `tutorial/hello`). It needs no devices; `--hello=TEXT` changes what it says.
struct Hello: Unikernel {
    let log = LogSource("application", documentation: "the hello unikernel")
    let message: String

    init(hello: String) {
        message = hello
    }

    func start() async throws(CancellationError) {
        for round in 1...4 {
            log.info(message)
            if round < 4 { try await sleep(for: .seconds(1)) }
        }
    }
}
