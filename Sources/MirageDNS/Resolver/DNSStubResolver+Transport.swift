import MirageCore
import MirageRuntime

/// How one exchange with one resolver ended.
enum DNSExchangeOutcome {
    case answer(DNSMessage)
    /// The answer was truncated: ask over TCP.
    case truncated
    case timedOut
    case failed(FlowError)
}

/// A UDP port or TCP connection of one exchange and the timer that closes it: closed once,
/// by whichever of the timer and the exchange comes first.
final class DNSExchangeGuard {
    private(set) var timedOut = false
    private var closing: (() -> Void)?

    init(closing: @escaping () -> Void) { self.closing = closing }

    /// The deadline passed.
    func expire() {
        timedOut = true
        close()
    }

    func close() {
        let closing = closing
        self.closing = nil
        closing?()
    }

    /// The exchange is over and closes what it used itself: the timer does nothing.
    func disarm() { closing = nil }
}

extension DNSStubResolver {
    /// Sends `query` from a random port and waits up to `timeout` for its answer, ignoring
    /// every datagram that is not it.
    func exchangeOverUDP(_ query: DNSStubQuery, timeout: Duration) async -> DNSExchangeOutcome {
        let socket: Stack.Socket
        do { socket = try bindRandomPort() } catch { return .failed(error) }
        let exchange = DNSExchangeGuard { socket.close() }
        let timer = Task { await Self.expire(exchange, at: self.clock.now() + timeout) }
        defer {
            timer.cancel()
            exchange.close()
        }
        statistics.udpQueries += 1
        do {
            try await socket.send(PacketBuffer(query.encoded(udpPayloadSize: configuration.udpPayloadSize), headroom: 64),
                                  to: query.server)
        } catch {
            // No route or no source address yet (an IPv6 address still in duplicate address
            // detection, RFC 4862 section 5.4; a neighbour not resolved): there may be one at the
            // next attempt, so wait as for a datagram lost, not asking again at once.
            _ = try? await socket.receive()
            return .failed(error)
        }
        while true {
            let datagram: Datagram
            do {
                datagram = try await socket.receive()
            } catch {
                if exchange.timedOut {
                    statistics.timeouts += 1
                    return .timedOut
                }
                return .failed(error)
            }
            switch datagram.payload.withUnsafeBytes({ query.check($0, from: datagram.source) }) {
            case let .answer(response):
                return .answer(response)
            case .truncated:
                statistics.truncated += 1
                return .truncated
            case let .ignored(reason):
                statistics.mismatched += 1
                resolverLog.debug("ignored a datagram for \(query.question): \(reason)")
            }
        }
    }

    /// Asks `query` again over a TCP connection to the same resolver (RFC 7766 section 5), and
    /// waits up to ``DNSResolverConfiguration/tcpTimeout`` once connected for the answer.
    func exchangeOverTCP(_ query: DNSStubQuery) async -> DNSExchangeOutcome {
        statistics.tcpQueries += 1
        let connection: Stack.Connection
        do { connection = try await stack.connect(to: query.server) } catch { return .failed(error) }
        let exchange = DNSExchangeGuard { Task { await connection.abort() } }
        let timer = Task { await Self.expire(exchange, at: self.clock.now() + self.configuration.tcpTimeout) }
        defer { timer.cancel() }
        var framer = DNSStreamFramer()
        do {
            try await connection.write(PacketBuffer(DNSStreamFramer.frame(query.encoded(udpPayloadSize: nil)), headroom: 64))
            while true {
                guard let data = try await connection.read() else { break }
                data.withUnsafeBytes { framer.append($0) }
                guard let message = framer.nextMessage() else { continue }
                switch query.check(message, from: nil) {
                case let .answer(response):
                    exchange.disarm()
                    await connection.close()
                    return .answer(response)
                case .truncated, .ignored:
                    // Over TCP the answer is the next message; one that is not it ends the exchange.
                    statistics.mismatched += 1
                    exchange.close()
                    return .failed(.reset)
                }
            }
        } catch {
            if exchange.timedOut {
                statistics.timeouts += 1
                return .timedOut
            }
            exchange.close()
            return .failed(error)
        }
        // The resolver closed the connection before its answer was whole.
        exchange.close()
        return .failed(.reset)
    }

    /// Binds a random port of 49152-65535 (RFC 5452 section 9.2; RFC 6056 section 2.1), trying
    /// a few before leaving the choice to the stack.
    func bindRandomPort() throws(FlowError) -> Stack.Socket {
        for _ in 0..<8 {
            let port = 49152 + randomID() % 16384
            if let socket = try? stack.bind(port: port) { return socket }
        }
        return try stack.bind(port: 0)
    }

    private static func expire(_ exchange: DNSExchangeGuard, at deadline: Instant) async {
        do { try await sleep(until: deadline) } catch { return }
        exchange.expire()
    }
}
