import MirageCore
import MirageCrypto

/// TLS 1.2 session resumption with stateless tickets (RFC 5077), both roles. A full handshake
/// whose ClientHello carries a session_ticket extension ends with the server's
/// NewSessionTicket before its ChangeCipherSpec: the master secret, suite, server name and the
/// client's certificate sealed by ``TLSSessionTickets`` (no table grows with the clients). A
/// later ClientHello offering the ticket gets the abbreviated handshake of RFC 5246 section
/// 7.3: ServerHello (echoing the client's session ID, RFC 5077 section 3.4), ChangeCipherSpec,
/// Finished → ChangeCipherSpec, Finished. Every session has the extended master secret (RFC
/// 7627 section 5.3), and a TLS 1.3 ticket never resumes a TLS 1.2 session or the reverse.
extension TLSConnection {
    // MARK: The server

    /// The session `hello`'s ticket holds, when it opens and may resume here: a TLS 1.2 suite
    /// we and the client still offer, within its lifetime, for the same server name, and with a
    /// client certificate if we require one. Anything else gets a full handshake.
    func resumableSession12(_ hello: TLSClientHello, _ configuration: TLSServerConfiguration) -> TLSSessionTickets.State? {
        guard let tickets = configuration.sessionTickets, let ticket = hello.extensions[.sessionTicket], !ticket.isEmpty,
              let session = tickets.open(ticket), session.suite.parameters?.version == .tls12,
              configuration.tls12CipherSuites.contains(session.suite), hello.cipherSuites.contains(session.suite),
              currentTime.seconds >= session.issued, currentTime.seconds - session.issued < Int64(tickets.lifetime),
              session.serverName == serverName,
              session.clientCertificate != nil || configuration.clientAuthentication?.isRequired != true else { return nil }
        return session
    }

    /// The abbreviated handshake: ServerHello, ChangeCipherSpec and Finished under keys from the
    /// ticket's master secret and the new randoms; then the client's ChangeCipherSpec and Finished.
    mutating func serverResume12(_ hello: TLSClientHello, message: TLSHandshakeMessage, session: TLSSessionTickets.State,
                                 into output: inout TLSOutput) throws(TLSError) {
        guard let configuration = server, let parameters = session.suite.parameters else { throw TLSError(.internalError, "no server configuration") }
        var serverExtensions = TLSExtensions()
        serverExtensions.append(.renegotiationInfo, [0])
        serverExtensions.append(.extendedMasterSecret, [])
        if hello.extensions.contains(.ecPointFormats) { serverExtensions.append(.ecPointFormats, [1, 0]) }
        if let chosen = try negotiateApplicationProtocol(hello.extensions, configuration) {
            serverExtensions.append(.applicationLayerProtocolNegotiation, TLSALPN.encode([chosen]))
        }
        version = .tls12
        suite = session.suite
        clientHello = hello
        resumedTLS12 = true
        if let leaf = session.clientCertificate { peerCertificates = [leaf] }
        transcript = TLSTranscript(parameters.hash)
        transcript?.append(message.bytes)
        let serverRandom = configuration.versions.contains(.tls13) ? randomBytes(24) + TLSServerHello.downgradeTLS12 : randomBytes(32)
        queue(TLSServerHello(random: serverRandom, sessionID: hello.sessionID, cipherSuite: session.suite, extensions: serverExtensions).message)
        try flush(into: &output)
        let masterSecret = session.preSharedKey
        let keys = TLS12PRF.keys(parameters.hash, masterSecret: masterSecret, clientRandom: hello.random, serverRandom: serverRandom,
                                 cipher: parameters.cipher)
        output.records += TLSRecord(type: .changeCipherSpec, fragment: [1]).bytes
        writer = .tls12(try TLS12RecordProtection(cipher: parameters.cipher, key: keys.serverKey, iv: keys.serverIV))
        queue(TLSFinished(verifyData: TLS12PRF.verifyData(parameters.hash, masterSecret: masterSecret, client: false,
                                                          transcriptHash: transcript?.hash ?? [])).message)
        try flush(into: &output)
        pendingReader = .tls12(try TLS12RecordProtection(cipher: parameters.cipher, key: keys.clientKey, iv: keys.clientIV))
        if logsKeys { keyLog.append("CLIENT_RANDOM " + Self.hex(hello.random) + " " + Self.hex(masterSecret)) }
        tls12 = TLS12Handshake(clientRandom: hello.random, serverRandom: serverRandom, ephemeral: nil, masterSecret: masterSecret, resumed: true)
        phase = .waitChangeCipherSpec
    }

    /// NewSessionTicket (RFC 5077 section 3.3), into the transcript before our Finished; empty
    /// when the session does not fit in a ticket.
    mutating func queueSessionTicket12(masterSecret: [UInt8], into output: inout TLSOutput) throws(TLSError) {
        guard let tickets = server?.sessionTickets, let suite else { return }
        let ticket = tickets.seal(.init(suite: suite, issued: currentTime.seconds, ageAdd: 0, preSharedKey: masterSecret, serverName: serverName,
                                        clientCertificate: peerCertificates.first))
        queue(TLS12NewSessionTicket(lifetimeHint: ticket.isEmpty ? 0 : tickets.lifetime, ticket: ticket).message)
        try flush(into: &output)
    }

    // MARK: The client

    /// The TLS 1.2 ticket to offer in the session_ticket extension, when there is one usable.
    var offeredTicket12: TLSSessionTicket? {
        guard let configuration = client, configuration.versions.contains(.tls12), let ticket = configuration.resumption,
              ticket.cipherSuite.parameters?.version == .tls12, configuration.tls12CipherSuites.contains(ticket.cipherSuite),
              ticket.isUsable(at: currentTime) else { return nil }
        return ticket
    }

    /// After a TLS 1.2 ServerHello that echoed the session ID we sent with a ticket: the
    /// server resumed, and its ChangeCipherSpec and Finished come next (RFC 5077 section 3.4).
    mutating func clientResume12(_ serverHello: TLSServerHello, ticket: TLSSessionTicket) throws(TLSError) {
        guard let hello = clientHello, let parameters = suite?.parameters else { throw TLSError(.internalError, "no TLS 1.2 state") }
        guard serverHello.cipherSuite == ticket.cipherSuite else {
            throw .illegal("a resumed session with cipher suite \(serverHello.cipherSuite.rawValue), not the session's")
        }
        let keys = TLS12PRF.keys(parameters.hash, masterSecret: ticket.preSharedKey, clientRandom: hello.random, serverRandom: serverHello.random,
                                 cipher: parameters.cipher)
        pendingReader = .tls12(try TLS12RecordProtection(cipher: parameters.cipher, key: keys.serverKey, iv: keys.serverIV))
        var state = TLS12ClientHandshake(serverRandom: serverHello.random)
        state.masterSecret = ticket.preSharedKey
        state.resumed = true
        state.clientKey = keys.clientKey
        state.clientIV = keys.clientIV
        clientTLS12 = state
        resumedTLS12 = true
        if logsKeys { keyLog.append("CLIENT_RANDOM " + Self.hex(hello.random) + " " + Self.hex(ticket.preSharedKey)) }
    }

    /// The server's NewSessionTicket, before its ChangeCipherSpec (RFC 5077 section 3.3): kept
    /// as a ``TLSSessionTicket`` for the application; an empty one is none.
    mutating func clientReceiveSessionTicket12(_ message: TLSHandshakeMessage, into output: inout TLSOutput) throws(TLSError) {
        guard let state = clientTLS12, state.ticketPromised, !state.ticketReceived, let suite else {
            throw TLSError(.unexpectedMessage, "a NewSessionTicket the ServerHello did not announce")
        }
        let ticket = try TLS12NewSessionTicket(message)
        transcript?.append(message.bytes)
        clientTLS12?.ticketReceived = true
        guard !ticket.ticket.isEmpty else { return }
        // A hint of 0 leaves the lifetime to us: RFC 8446's seven days at most, so two hours.
        let lifetime = ticket.lifetimeHint == 0 ? 7200 : min(ticket.lifetimeHint, TLSNewSessionTicket.maximumLifetime)
        output.sessionTickets.append(TLSSessionTicket(ticket: ticket.ticket, preSharedKey: state.masterSecret, cipherSuite: suite, ageAdd: 0,
                                                      lifetime: lifetime, received: currentTime, serverName: client?.serverName))
    }

    /// Our ChangeCipherSpec and Finished after the server's, ending an abbreviated handshake.
    mutating func clientFinishResumption12(into output: inout TLSOutput) throws(TLSError) {
        guard let state = clientTLS12, let parameters = suite?.parameters else { throw TLSError(.internalError, "no TLS 1.2 state") }
        output.records += TLSRecord(type: .changeCipherSpec, fragment: [1]).bytes
        writer = .tls12(try TLS12RecordProtection(cipher: parameters.cipher, key: state.clientKey, iv: state.clientIV))
        queue(TLSFinished(verifyData: TLS12PRF.verifyData(parameters.hash, masterSecret: state.masterSecret, client: true,
                                                          transcriptHash: transcript?.hash ?? [])).message)
        try flush(into: &output)
    }
}
