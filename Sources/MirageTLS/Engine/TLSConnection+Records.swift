import MirageCore
import MirageCrypto

/// The record layer under the handshake: which records are allowed when (RFC 8446 section 5),
/// alerts (section 6), post-handshake messages (section 4.6), and sealing what we send.
extension TLSConnection {
    var isHandshaking: Bool {
        switch phase {
        case .connected, .closed: false
        default: true
        }
    }

    var isTLS12: Bool { version == .tls12 }

    mutating func handle(_ record: TLSRecord, now: WallTime, into output: inout TLSOutput) throws(TLSError) {
        switch record.type {
        case .changeCipherSpec where isTLS12:
            // TLS 1.2 (RFC 5246 section 7.1): the client's keys take effect; only where expected.
            guard phase == .waitChangeCipherSpec, record.fragment == [1], !handshakeMessages.hasPartialMessage, let next = pendingReader else {
                throw TLSError(.unexpectedMessage, "a ChangeCipherSpec out of place")
            }
            reader = next
            pendingReader = nil
            // A protected TLS 1.2 fragment carries its explicit nonce and tag beyond 2^14 bytes.
            records.maximumFragment = TLSRecord.maximumProtected12
            phase = role == .server ? .waitClientFinished12 : .waitServerFinished12
        case .changeCipherSpec:
            // Middlebox compatibility (RFC 8446 section 5): one byte 0x01, unprotected, between
            // the first ClientHello and the peer's Finished; dropped.
            guard isHandshaking, phase != .waitClientHello(retried: false), phase != .clientStart,
                  record.fragment == [1], changeCipherSpecsReceived < limits.maximumChangeCipherSpecs else {
                throw TLSError(.unexpectedMessage, "a ChangeCipherSpec record out of place")
            }
            changeCipherSpecsReceived += 1
        case .alert where reader == nil || isHandshaking && !isTLS12 && record.fragment.count == 2:
            // Unprotected alerts come before keys, or during the handshake from a peer that
            // failed before it had them (a protected alert is longer than two bytes: it has a tag).
            try receiveAlert(record.fragment, into: &output)
        case .handshake where reader == nil:
            try receiveHandshake(record.fragment, now: now, into: &output)
        case .handshake, .alert, .applicationData:
            guard var protection = reader else { throw TLSError(.unexpectedMessage, "application data before keys") }
            let opened: (type: TLSContentType, content: [UInt8])
            do {
                opened = try protection.open(record)
            } catch {
                // Refusing 0-RTT: the client's early data does not open under the handshake
                // keys and is skipped, up to a limit (RFC 8446 section 4.2.10).
                if error.alert == .badRecordMAC, let budget = earlyDataToSkip, record.fragment.count <= budget {
                    earlyDataToSkip = budget - record.fragment.count
                    return
                }
                throw error
            }
            reader = protection
            earlyDataToSkip = nil
            switch opened.type {
            case .handshake: try receiveHandshake(opened.content, now: now, into: &output)
            case .alert: try receiveAlert(opened.content, into: &output)
            case .applicationData:
                guard phase == .connected else { throw TLSError(.unexpectedMessage, "application data during the handshake") }
                keyUpdatesInARow = 0
                // The first record's content is taken as it is, not copied.
                if output.applicationData.isEmpty { output.applicationData = opened.content } else { output.applicationData += opened.content }
            case .changeCipherSpec:
                throw TLSError(.unexpectedMessage, "a protected ChangeCipherSpec")
            }
        }
    }

    mutating func receiveAlert(_ content: [UInt8], into output: inout TLSOutput) throws(TLSError) {
        let alert = try TLSAlert(bytes: content)
        switch alert.description {
        case .closeNotify:
            readClosed = true
            output.peerClosed = true
            if isHandshaking || writeClosed { phase = .closed }
        case .userCanceled:
            break  // RFC 8446 section 6.1: a close_notify follows.
        default:
            output.peerAlert = alert.description
            writeClosed = true
            phase = .closed
        }
    }

    mutating func receiveHandshake(_ content: [UInt8], now: WallTime, into output: inout TLSOutput) throws(TLSError) {
        try handshakeMessages.append(content)
        while phase != .closed, let message = try handshakeMessages.next() {
            if isHandshaking {
                handshakeMessagesReceived += 1
                guard handshakeMessagesReceived <= limits.maximumHandshakeMessages else {
                    throw TLSError(.unexpectedMessage, "more than \(limits.maximumHandshakeMessages) handshake messages")
                }
            }
            switch role {
            case .server: try serverHandle(message, into: &output)
            case .client: try clientHandle(message, now: now, into: &output)
            }
            // A message must not span a change of keys (RFC 8446 section 5.1): after one that
            // changes them, nothing more may be buffered.
            if keysChanged, handshakeMessages.hasPartialMessage {
                throw TLSError(.unexpectedMessage, "handshake data across a change of keys")
            }
            keysChanged = false
        }
    }

    /// A message after the handshake: KeyUpdate, or a NewSessionTicket for a client.
    mutating func postHandshake(_ message: TLSHandshakeMessage, into output: inout TLSOutput) throws(TLSError) {
        switch message.type {
        case .keyUpdate where !isTLS12:
            let update = try TLSKeyUpdate(message)
            keyUpdatesInARow += 1
            guard keyUpdatesInARow <= limits.maximumKeyUpdatesInARow else {
                throw TLSError(.unexpectedMessage, "more than \(limits.maximumKeyUpdatesInARow) KeyUpdates in a row")
            }
            guard let suite, let parameters = suite.parameters else { throw TLSError(.internalError, "no suite") }
            readApplicationSecret = TLS13KeySchedule.nextTrafficSecret(parameters.hash, after: readApplicationSecret)
            reader = try protection(readApplicationSecret)
            keysChanged = true
            if update.updateRequested, !writeClosed { try sendKeyUpdate(requesting: false, into: &output) }
        case .newSessionTicket where role == .client:
            let ticket = try TLSNewSessionTicket(message)
            guard let suite, let parameters = suite.parameters else { throw TLSError(.internalError, "no suite") }
            // A lifetime of zero says: do not use it (RFC 8446 section 4.6.1).
            if ticket.lifetime > 0 {
                let key = TLS13KeySchedule.resumptionPSK(parameters.hash, resumptionMasterSecret: resumptionMasterSecret, ticketNonce: ticket.nonce)
                output.sessionTickets.append(TLSSessionTicket(ticket: ticket.ticket, preSharedKey: key, cipherSuite: suite, ageAdd: ticket.ageAdd,
                                                              lifetime: ticket.lifetime, received: currentTime, serverName: client?.serverName))
            }
        case .clientHello where isTLS12 && role == .server, .helloRequest where isTLS12 && role == .client:
            // Renegotiation is refused (RFC 5746 section 4.4, 4.2): a warning, and the connection goes on.
            try seal(TLSAlert(level: .warning, description: .noRenegotiation).bytes, type: .alert, into: &output)
        default:
            throw TLSError(.unexpectedMessage, "handshake message \(message.type.rawValue) after the handshake")
        }
    }

    mutating func sendKeyUpdate(requesting: Bool, into output: inout TLSOutput) throws(TLSError) {
        guard let suite, let parameters = suite.parameters else { throw TLSError(.internalError, "no suite") }
        try seal(TLSKeyUpdate(updateRequested: requesting).message.bytes, type: .handshake, into: &output)
        writeApplicationSecret = TLS13KeySchedule.nextTrafficSecret(parameters.hash, after: writeApplicationSecret)
        writer = try protection(writeApplicationSecret)
    }

    /// TLS 1.3 record protection from a traffic secret, for the negotiated suite.
    func protection(_ secret: [UInt8]) throws(TLSError) -> TLSRecordProtection {
        guard let parameters = suite?.parameters else { throw TLSError(.internalError, "no suite") }
        let (key, iv) = TLS13KeySchedule.trafficKeys(parameters.hash, secret: secret, cipher: parameters.cipher)
        return .tls13(try TLS13RecordProtection(cipher: parameters.cipher, key: key, iv: iv))
    }

    /// Queues a handshake message we send, adding it to the transcript.
    mutating func queue(_ message: TLSHandshakeMessage) {
        transcript?.append(message.bytes)
        pendingHandshake += message.bytes
    }

    /// Seals the queued handshake messages under the current keys: call before changing them.
    mutating func flush(into output: inout TLSOutput) throws(TLSError) {
        guard !pendingHandshake.isEmpty else { return }
        let bytes = pendingHandshake
        pendingHandshake = []
        try seal(bytes, type: .handshake, into: &output)
    }

    /// `content` in records of at most ``sendLimit`` bytes, protected once there are keys.
    mutating func seal(_ content: [UInt8], type: TLSContentType, into output: inout TLSOutput, recordVersion: UInt16 = 0x0303) throws(TLSError) {
        // Room for every record at once, so that appending them does not grow the buffer record
        // by record.
        let records = max(1, (content.count + sendLimit - 1) / sendLimit)
        output.records.reserveCapacity(output.records.count + content.count + records * TLSRecordProtection.overhead)
        var offset = 0
        repeat {
            let end = min(offset + sendLimit, content.count)
            if var protection = writer {
                defer { writer = protection }
                try protection.seal(content[offset..<end], type: type, appendingTo: &output.records)
            } else {
                output.records += TLSRecord.header(type: type, version: recordVersion, length: end - offset)
                output.records += content[offset..<end]
            }
            offset = end
        } while offset < content.count
    }

    /// `message` sealed under the current keys, as a peer that breaks the protocol would send it:
    /// for the hostile-peer tests, which reach it with `@testable import`.
    mutating func sealHandshake(_ message: TLSHandshakeMessage) -> [UInt8] {
        var output = TLSOutput()
        try? seal(message.bytes, type: .handshake, into: &output)
        return output.records
    }

    /// The dummy ChangeCipherSpec of middlebox compatibility mode (RFC 8446 appendix D.4), once.
    mutating func sendChangeCipherSpec(into output: inout TLSOutput) {
        guard !sentChangeCipherSpec else { return }
        sentChangeCipherSpec = true
        output.records += TLSRecord(type: .changeCipherSpec, fragment: [1]).bytes
    }
}

extension TLSConnection {
    var logsKeys: Bool { server?.logsKeys ?? client?.logsKeys ?? false }

    /// Adds `secret` to ``keyLog`` under `label`, keyed by the client's random.
    mutating func logKey(_ label: String, _ secret: [UInt8]) {
        guard logsKeys, let random = clientHello?.random else { return }
        keyLog.append(label + " " + Self.hex(random) + " " + Self.hex(secret))
    }

    /// Logs the secrets of the handshake and application stages (RFC 8446 section 7.1).
    mutating func logHandshakeSecrets() {
        logKey("CLIENT_HANDSHAKE_TRAFFIC_SECRET", clientHandshakeSecret)
        logKey("SERVER_HANDSHAKE_TRAFFIC_SECRET", serverHandshakeSecret)
    }

    mutating func logApplicationSecrets(finishedHash: [UInt8]) {
        let clientSecret = role == .client ? writeApplicationSecret : readApplicationSecret
        let serverSecret = role == .client ? readApplicationSecret : writeApplicationSecret
        logKey("CLIENT_TRAFFIC_SECRET_0", clientSecret)
        logKey("SERVER_TRAFFIC_SECRET_0", serverSecret)
        if let schedule { logKey("EXPORTER_SECRET", schedule.derive("exp master", transcriptHash: finishedHash)) }
    }

    static func hex(_ bytes: [UInt8]) -> String { ASCIIDigit.lowercaseHex(bytes) }
}
