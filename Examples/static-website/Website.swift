import MirageHTTP
import MirageRuntime

/// A static website (as mirage.io serves its own): the files of a key-value store over HTTP/1.1
/// on `--port`, one log line per request, at most `--http-connections` at once. The same code runs with the host's sockets or our
/// stack, on unix and hvt, over files compiled in (crunch) or read from a tar archive on a block
/// device (`configure --kv=tar`).
struct Website<Stack: TCPStack, Files: KeyValueStore, Clock: MonotonicClock, Wall: WallClock>: Unikernel {
    typealias Failure = FlowError

    let log = LogSource("http", documentation: "the website's requests")
    let stack: Stack
    let site: HTTPStaticSite<Files>
    let clock: Clock
    let wallClock: Wall
    let port: UInt16
    let configuration: HTTPServerConfiguration

    init(_ stack: Stack, _ files: Files, _ clock: Clock, _ wallClock: Wall, port: UInt16, httpConnections: Int) {
        self.stack = stack
        site = HTTPStaticSite(store: files)
        self.clock = clock
        self.wallClock = wallClock
        self.port = port
        var configuration = HTTPServerConfiguration()
        configuration.maximumConnections = Swift.max(httpConnections, 1)
        self.configuration = configuration
    }

    func start() async throws(FlowError) {
        let listener = try stack.listen(port: port)
        log.info("serving on port \(port)")
        let site = self.site, log = self.log
        let server = HTTPServer(configuration: configuration, clock: clock, wallClock: wallClock) { request in
            let response = await site.respond(to: request)
            log.info("\(request.head.method) \(request.head.target) \(response.status.code) \(response.body.count)")
            return response
        }
        await server.serve(listener)
    }
}
