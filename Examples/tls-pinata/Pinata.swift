import MirageHTTP
import MirageRuntime

/// A piñata in the manner of MirageOS's Bitcoin Piñata: a secret (`secret.txt` of the `secret`
/// store) served over HTTPS on `--port` only to a client presenting a certificate issued by a CA
/// of the certificate store's `client-ca.pem`, in TLS 1.3 or 1.2. Every other client fails in the
/// handshake, and the `tls` log says how, with the alert: `certificate_required` without a
/// certificate, `unknown_ca` for another CA's, `decrypt_error` for a signature that does not
/// verify. Each secret handed out is logged.
struct Pinata<Secure: TCPStack, Secret: KeyValueStore, Clock: MonotonicClock, Wall: WallClock>: Unikernel {
    typealias Failure = PinataFailure

    let log = LogSource("pinata", documentation: "the piñata: each secret handed out")
    let secure: Secure
    let store: Secret
    let clock: Clock
    let wallClock: Wall
    let port: UInt16

    init(_ secure: Secure, _ store: Secret, _ clock: Clock, _ wallClock: Wall, port: UInt16) {
        self.secure = secure
        self.store = store
        self.clock = clock
        self.wallClock = wallClock
        self.port = port
    }

    func start() async throws(Failure) {
        let secret: [UInt8]
        do { secret = try await store.get(KeyValueKey("secret.txt")) } catch { throw .noSecret(error) }
        let listener: Secure.Listener
        do { listener = try secure.listen(port: port) } catch { throw .network(error) }
        log.info("serving on port \(port): the secret only to clients with a certificate from client-ca.pem")
        let log = self.log
        let server = HTTPServer(clock: clock, wallClock: wallClock) { request in
            guard request.head.target == "/" else { return .text(.notFound, "the secret is at /\n") }
            log.info("\(request.head.method) / 200: the secret handed out")
            return HTTPResponse(status: .ok, headers: HTTPHeaders([("Content-Type", "text/plain; charset=utf-8")]), body: PacketBuffer(secret))
        }
        await server.serve(listener)
    }
}

/// Why the piñata did not start.
enum PinataFailure: Error, CustomStringConvertible {
    case noSecret(KeyValueError)
    case network(FlowError)

    var description: String {
        switch self {
        case let .noSecret(error): "the secret store has no secret.txt (\(error))"
        case let .network(error): "cannot listen: \(error)"
        }
    }
}
