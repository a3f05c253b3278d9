import MirageHTTP
import MirageRuntime

/// A static website (as mirage.io serves its own): the files of a key-value store over HTTP/1.1
/// on `--port`, one log line per request, at most `--http-connections` at once. Configured with
/// `--tls=true`, it serves HTTPS on `--tls-port` (its certificate from the `certificates` store)
/// and answers HTTP with a permanent redirect there, adding Strict-Transport-Security with
/// `--hsts`. The same code runs with the host's sockets or our stack, on unix and hvt, over files
/// compiled in (crunch) or read from a tar archive on a block device (`configure --kv=tar`).
struct Website<Stack: TCPStack, Secure: TCPStack, Files: KeyValueStore, Clock: MonotonicClock, Wall: WallClock>: Unikernel {
    typealias Failure = FlowError

    let log = LogSource("http", documentation: "the website's requests")
    let stack: Stack
    let secure: Secure
    let site: HTTPStaticSite<Files>
    let clock: Clock
    let wallClock: Wall
    let port: UInt16
    let tls: Bool
    let tlsPort: UInt16
    let hsts: Bool
    let configuration: HTTPServerConfiguration

    init(_ stack: Stack, _ secure: Secure, _ files: Files, _ clock: Clock, _ wallClock: Wall, port: UInt16, httpConnections: Int,
         tls: Bool, tlsPort: UInt16, hsts: Bool) {
        self.stack = stack
        self.secure = secure
        site = HTTPStaticSite(store: files)
        self.clock = clock
        self.wallClock = wallClock
        self.port = port
        self.tls = tls
        self.tlsPort = tlsPort
        self.hsts = hsts
        var configuration = HTTPServerConfiguration()
        configuration.maximumConnections = Swift.max(httpConnections, 1)
        self.configuration = configuration
    }

    func start() async throws(FlowError) {
        let listener = try stack.listen(port: port)
        let site = self.site, hsts = self.hsts, tlsPort = self.tlsPort
        guard tls else {
            log.info("serving on port \(port)")
            // A kept file is answered at once, without the async call of `respond`.
            await server(kept: { site.keptResponse(to: $0) }) { request in await site.respond(toNotKept: request) }.serve(listener)
            return
        }
        let secureListener = try secure.listen(port: tlsPort)
        log.info("serving HTTPS on port \(tlsPort), redirecting HTTP on port \(port) to it")
        // RFC 6797 section 7.1: only over HTTPS.
        func secured(_ response: HTTPResponse) -> HTTPResponse {
            guard hsts else { return response }
            var secured = response
            secured.headers.add("Strict-Transport-Security", "max-age=31536000")
            return secured
        }
        Task {
            await server(kept: { site.keptResponse(to: $0).map(secured) }) { request in
                secured(await site.respond(toNotKept: request))
            }.serve(secureListener)
        }
        await server { request in Self.redirect(request, tlsPort: tlsPort) }.serve(listener)
    }

    /// An HTTP server over `kept` (a response at once, or nil) and `respond`, that logs each
    /// request.
    private func server(kept: @escaping (HTTPRequest) -> HTTPResponse? = { _ in nil },
                        _ respond: @escaping (HTTPRequest) async -> HTTPResponse) -> HTTPServer<Clock, Wall> {
        let log = self.log
        func logged(_ request: HTTPRequest, _ response: HTTPResponse) -> HTTPResponse {
            log.info("\(request.head.method) \(request.head.target) \(response.status.code) \(response.body.count)")
            return response
        }
        return HTTPServer(configuration: configuration, clock: clock, wallClock: wallClock,
                          immediate: { request in kept(request).map { logged(request, $0) } }) { request in
            logged(request, await respond(request))
        }
    }

    /// The same resource over HTTPS: `https://HOST[:PORT]/TARGET` (RFC 9110 section 4.2.2).
    static func redirect(_ request: HTTPRequest, tlsPort: UInt16) -> HTTPResponse {
        guard let host = request.head.headers["Host"], !host.isEmpty else { return .text(.badRequest, "no Host to redirect to") }
        // The host without the HTTP port; an IPv6 literal keeps its brackets.
        var name = Substring(host)
        if let colon = name.lastIndex(of: ":"), !name[colon...].contains("]") { name = name[..<colon] }
        let authority = tlsPort == 443 ? String(name) : "\(name):\(tlsPort)"
        let target = request.head.target.hasPrefix("/") ? request.head.target : "/"
        return .redirect(to: "https://" + authority + target)
    }
}
