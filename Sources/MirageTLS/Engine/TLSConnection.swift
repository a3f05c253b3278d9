import MirageCore
import MirageCrypto

/// One TLS 1.3 connection (RFC 8446), client or server, as a pure engine in the style of
/// ocaml-tls: bytes from the peer go in with the time (``receive(_:now:)``), records to send and
/// application data come out (``TLSOutput``); the application's data goes in through
/// ``send(_:)``. It does no I/O, reads no clock, and draws randomness only from the source it is
/// given. Every fault is a ``TLSError`` whose alert is sent before the connection closes.
public struct TLSConnection {
    public enum Role: Sendable {
        case client, server
    }

    /// Where the handshake is (RFC 8446 appendix A).
    enum Phase: Equatable {
        case clientStart
        case waitServerHello(retried: Bool)
        case waitEncryptedExtensions
        case waitCertificateOrRequest
        case waitCertificate
        case waitCertificateVerify
        case waitServerFinished
        case waitClientHello(retried: Bool)
        case waitClientFinished
        /// The server asked for the client's certificate (either version).
        case waitClientCertificate
        case waitClientCertificateVerify
        /// TLS 1.2 (RFC 5246 section 7.3): the server's flight is out.
        case waitClientKeyExchange
        case waitChangeCipherSpec
        case waitClientFinished12
        /// TLS 1.2, the client (RFC 5246 section 7.3): after the ServerHello.
        case waitServerCertificate12
        case waitServerKeyExchange
        case waitServerHelloDone
        case waitServerFinished12
        case connected
        case closed
    }

    public let role: Role
    var phase: Phase
    let random: any EntropySource
    let server: TLSServerConfiguration?
    let client: TLSClientConfiguration?
    let limits: TLSLimits

    var records = TLSRecordFramer()
    var handshakeMessages: TLSHandshakeFramer
    var reader: TLSRecordProtection?
    var writer: TLSRecordProtection?
    /// TLS 1.2: the client's read protection, in force from its ChangeCipherSpec.
    var pendingReader: TLSRecordProtection?
    /// Handshake messages written and not yet sealed into records.
    var pendingHandshake: [UInt8] = []

    var suite: TLSCipherSuite?
    var transcript: TLSTranscript?
    var schedule: TLS13KeySchedule?
    var clientHandshakeSecret: [UInt8] = []
    var serverHandshakeSecret: [UInt8] = []
    var readApplicationSecret: [UInt8] = []
    var writeApplicationSecret: [UInt8] = []

    var handshakeMessagesReceived = 0
    var changeCipherSpecsReceived = 0
    var sentChangeCipherSpec = false
    var keyUpdatesInARow = 0
    /// The read keys changed while handling the current handshake message.
    var keysChanged = false
    /// Bytes of undecryptable records still to skip while refusing 0-RTT; nil when not skipping.
    var earlyDataToSkip: Int?
    /// The largest plaintext we send in one record (the peer's record_size_limit, RFC 8449).
    var sendLimit = TLSRecord.maximumPlaintext
    /// The peer sent close_notify.
    public internal(set) var readClosed = false
    /// We sent close_notify.
    public internal(set) var writeClosed = false

    // The client's handshake.
    var clientHello: TLSClientHello?
    var firstClientHello: [UInt8] = []
    var ephemeralKeys: [TLSEphemeralKey] = []
    var retrySuite: TLSCipherSuite?
    var certificateRequestContext: [UInt8]?
    /// The schemes the server's CertificateRequest accepts.
    var certificateRequestSchemes: [TLSSignatureScheme] = []
    var peerPublicKey: PublicKey?

    // The server's handshake.
    var retryGroup: TLSNamedGroup?

    /// The TLS 1.2 handshake's state (RFC 5246 section 7.3): a server's, a client's.
    var tls12: TLS12Handshake?
    var clientTLS12: TLS12ClientHandshake?

    // Resumption.
    /// The PSK in use, when the handshake resumed a session.
    var resumptionKey: [UInt8]?
    /// A TLS 1.2 session resumed with a ticket (RFC 5077).
    var resumedTLS12 = false
    /// The secret tickets' PSKs derive from (RFC 8446 section 7.1), after the client's Finished.
    var resumptionMasterSecret: [UInt8] = []
    /// The time of the call being handled (ticket ages and issue times).
    var currentTime = WallTime(seconds: 0)

    /// Whether this handshake resumed a session: with a PSK (and (EC)DHE) in TLS 1.3, with a
    /// ticket's master secret in TLS 1.2.
    public var isResumed: Bool { resumptionKey != nil || resumedTLS12 }

    /// The application protocol agreed with ALPN, if any.
    public internal(set) var applicationProtocol: [UInt8]?
    /// The host name the client asked for (SNI).
    public internal(set) var serverName: String?
    /// The certificate chain the peer presented and we verified, leaf first: the server's on a
    /// client; on a server that asked for one, the client's (after a resumption, the leaf the
    /// ticket recorded); empty when there is none.
    public internal(set) var peerCertificates: [[UInt8]] = []
    /// The secrets of the connection in the NSS key log format (`CLIENT_HANDSHAKE_TRAFFIC_SECRET
    /// <client random> <secret>`...), when the configuration asks for them.
    public internal(set) var keyLog: [String] = []

    /// A server connection, waiting for a ClientHello.
    public init(server configuration: TLSServerConfiguration, random: any EntropySource) {
        role = .server
        phase = .waitClientHello(retried: false)
        self.random = random
        server = configuration
        client = nil
        limits = configuration.limits
        handshakeMessages = TLSHandshakeFramer(maximumMessage: configuration.limits.maximumHandshakeMessage)
    }

    /// A client connection; ``start()`` gives its ClientHello.
    public init(client configuration: TLSClientConfiguration, random: any EntropySource) {
        role = .client
        phase = .clientStart
        self.random = random
        server = nil
        client = configuration
        limits = configuration.limits
        handshakeMessages = TLSHandshakeFramer(maximumMessage: configuration.limits.maximumHandshakeMessage)
        serverName = configuration.serverName
    }

    /// Whether the handshake is done and application data flows.
    public var isConnected: Bool { phase == .connected }
    public var isClosed: Bool { phase == .closed }

    /// The version in use once negotiated.
    public internal(set) var version: TLSProtocolVersion?
    public var cipherSuite: TLSCipherSuite? { suite }

    /// The client's first flight; `now` dates a ticket offered for resumption.
    public mutating func start(now: WallTime = WallTime(seconds: 0)) -> TLSOutput {
        precondition(role == .client && phase == .clientStart, "start() begins a client's handshake once")
        currentTime = now
        var output = TLSOutput()
        do {
            try clientStart()
            try flush(into: &output)
        } catch {
            fail(error, into: &output)
        }
        return output
    }

    /// Bytes from the peer, as the transport delivered them.
    public mutating func receive(_ bytes: [UInt8], now: WallTime) -> TLSOutput {
        var output = TLSOutput()
        guard phase != .closed, !readClosed else { return output }
        currentTime = now
        records.append(bytes)
        do {
            while phase != .closed, !readClosed, let record = try records.next() {
                try handle(record, now: now, into: &output)
            }
            try flush(into: &output)
        } catch {
            fail(error, into: &output)
        }
        return output
    }

    /// Records carrying `data` to the peer, in records of at most the peer's limit.
    /// - Precondition: connected and not closed for writing.
    public mutating func send(_ data: [UInt8]) -> [UInt8] {
        precondition(phase == .connected && !writeClosed, "send(_:) after the handshake and before close()")
        var output = TLSOutput()
        do {
            try seal(data, type: .applicationData, into: &output)
        } catch {
            fail(error, into: &output)
        }
        return output.records
    }

    /// close_notify (RFC 8446 section 6.1): we send no more. The peer may still send.
    public mutating func close() -> [UInt8] {
        guard !writeClosed, phase != .closed else { return [] }
        var output = TLSOutput()
        do {
            try seal(TLSAlert(level: .warning, description: .closeNotify).bytes, type: .alert, into: &output)
        } catch {
            fail(error, into: &output)
            return output.records
        }
        writeClosed = true
        if readClosed { phase = .closed }
        return output.records
    }

    /// A KeyUpdate (RFC 8446 section 4.6.3): our sending keys change after it; with
    /// `requestingPeerUpdate` the peer is asked to change its own.
    public mutating func updateKeys(requestingPeerUpdate: Bool) -> [UInt8] {
        precondition(phase == .connected && !writeClosed, "updateKeys after the handshake and before close()")
        var output = TLSOutput()
        do {
            try sendKeyUpdate(requesting: requestingPeerUpdate, into: &output)
        } catch {
            fail(error, into: &output)
        }
        return output.records
    }

    /// `count` bytes from the entropy source, through its requirement `fill`: an extension
    /// method called on an existential is a generic call Embedded Swift cannot make (it compiles
    /// to a trap).
    func randomBytes(_ count: Int) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        bytes.withUnsafeMutableBytes { random.fill($0) }
        return bytes
    }

    /// Ends the connection with `error`'s alert (unless we already closed for writing).
    mutating func fail(_ error: TLSError, into output: inout TLSOutput) {
        pendingHandshake = []
        if !writeClosed {
            try? seal(TLSAlert(level: .fatal, description: error.alert).bytes, type: .alert, into: &output)
        }
        writeClosed = true
        output.error = error
        phase = .closed
    }
}
