import MirageCore
import MirageCrypto

/// What a client keeps to resume a session (RFC 8446 section 4.6.1, 2.2): the ticket the server
/// gave, the PSK it stands for, and what it may be used with. A TLS 1.2 ticket (RFC 5077; its
/// suite is a TLS 1.2 one) holds the session's master secret as its PSK. The PSK is a secret: a
/// client keeps tickets in memory only.
public struct TLSSessionTicket: Equatable, Sendable {
    public let ticket: [UInt8]
    /// The resumption PSK (RFC 8446 section 4.6.1); a TLS 1.2 session's master secret.
    public let preSharedKey: [UInt8]
    /// The suite of the session: a resumption must use one with the same hash.
    public let cipherSuite: TLSCipherSuite
    public let ageAdd: UInt32
    /// Seconds the ticket may be used for after it was received.
    public let lifetime: UInt32
    /// When it was received.
    public let received: WallTime
    /// The server name it was issued for.
    public let serverName: String?

    /// A ticket as a client kept it (tickets come from ``TLSOutput/sessionTickets``).
    public init(ticket: [UInt8], preSharedKey: [UInt8], cipherSuite: TLSCipherSuite, ageAdd: UInt32, lifetime: UInt32,
                received: WallTime, serverName: String?) {
        self.ticket = ticket
        self.preSharedKey = preSharedKey
        self.cipherSuite = cipherSuite
        self.ageAdd = ageAdd
        self.lifetime = lifetime
        self.received = received
        self.serverName = serverName
    }

    /// Whether it may still be offered at `now`.
    public func isUsable(at now: WallTime) -> Bool {
        now.seconds >= received.seconds && now.seconds - received.seconds < Int64(lifetime)
    }

    /// The obfuscated ticket age (RFC 8446 section 4.2.11.1): milliseconds since it was received,
    /// plus `ageAdd`, modulo 2^32.
    func obfuscatedAge(at now: WallTime) -> UInt32 {
        let milliseconds = (now.seconds - received.seconds) * 1000 + (Int64(now.nanoseconds) - Int64(received.nanoseconds)) / 1_000_000
        return UInt32(truncatingIfNeeded: max(milliseconds, 0)) &+ ageAdd
    }
}

/// A server's session tickets (RFC 8446 section 4.6.1; RFC 5077 in TLS 1.2, where the suite
/// tells the versions' tickets apart and the PSK is the master secret): stateless, the resumption state sealed
/// with AES-256-GCM under a key drawn when the server starts, so that a ticket says nothing to
/// anyone else and no table grows with the clients. A ticket from before a restart, or forged,
/// does not open and the client gets a full handshake. Its sealer is one BearSSL AES-GCM context
/// that every seal and open changes: one instance serves one thread at a time (as the engine
/// runs), never several at once.
public final class TLSSessionTickets {
    /// Seconds a ticket is good for (RFC 8446 allows up to seven days; two hours by default).
    public let lifetime: UInt32
    /// Tickets sent after each full handshake.
    public let count: Int
    private let sealer: AESGCM
    private let random: any EntropySource

    private static let label = Array("swift-mirage TLS 1.3 ticket v2".utf8)

    public init(random: any EntropySource, lifetime: UInt32 = 7200, count: Int = 1) {
        precondition(lifetime <= TLSNewSessionTicket.maximumLifetime, "a ticket lifetime over seven days")
        var key = [UInt8](repeating: 0, count: 32)
        key.withUnsafeMutableBytes { random.fill($0) }
        sealer = try! AESGCM(key: key)
        self.random = random
        self.lifetime = lifetime
        self.count = count
    }

    /// What a ticket carries.
    struct State: Equatable {
        var suite: TLSCipherSuite
        var issued: Int64
        var ageAdd: UInt32
        var preSharedKey: [UInt8]
        var serverName: String?
        /// The client's certificate, when it presented one and it was verified.
        var clientCertificate: [UInt8]? = nil
    }

    func randomBytes(_ count: Int) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        bytes.withUnsafeMutableBytes { random.fill($0) }
        return bytes
    }

    /// The largest client certificate a ticket records; a session with a larger one gets no
    /// ticket (a ticket is at most 65,535 bytes, RFC 8446 section 4.6.1).
    static let maximumClientCertificate = 1 << 13

    /// The ticket holding `state`: a nonce, the sealed state, its tag; empty when it cannot hold it.
    func seal(_ state: State) -> [UInt8] {
        guard (state.clientCertificate?.count ?? 0) <= Self.maximumClientCertificate else { return [] }
        var writer = TLSWireWriter()
        writer.append(state.suite.rawValue)
        writer.append(UInt64(bitPattern: state.issued))
        writer.append(state.ageAdd)
        writer.appendOpaque(lengthBytes: 1, state.preSharedKey)
        writer.appendOpaque(lengthBytes: 1, Array((state.serverName ?? "").utf8))
        writer.appendOpaque(lengthBytes: 2, state.clientCertificate ?? [])
        let nonce = randomBytes(12)
        guard let sealed = try? sealer.seal(writer.bytes, nonce: nonce, associatedData: Self.label) else { return [] }
        return nonce + sealed
    }

    /// The state in `ticket`, or nil when it does not open (forged, damaged, another key's).
    func open(_ ticket: [UInt8]) -> State? {
        guard ticket.count > 12 + AESGCM.tagLength,
              let plain = try? sealer.open(Array(ticket[12...]), nonce: Array(ticket[..<12]), associatedData: Self.label) else { return nil }
        var reader = TLSWireReader(plain)
        guard let suite = try? reader.readUInt16(), let issued = try? reader.readUInt64(), let ageAdd = try? reader.readUInt32(),
              let psk = try? reader.readOpaque(lengthBytes: 1, maximum: 64), let name = try? reader.readOpaque(lengthBytes: 1, maximum: 255),
              let certificate = try? reader.readOpaque(lengthBytes: 2, maximum: 0xFFFF), reader.isAtEnd else { return nil }
        return State(suite: TLSCipherSuite(rawValue: suite), issued: Int64(bitPattern: issued), ageAdd: ageAdd, preSharedKey: psk,
                     serverName: name.isEmpty ? nil : String(decoding: name, as: UTF8.self),
                     clientCertificate: certificate.isEmpty ? nil : certificate)
    }
}
