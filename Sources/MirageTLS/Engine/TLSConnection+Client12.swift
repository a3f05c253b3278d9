import MirageCore
import MirageCrypto

/// What a TLS 1.2 client keeps between the server's messages.
struct TLS12ClientHandshake {
    let serverRandom: [UInt8]
    /// The ECDHE shared secret, once the ServerKeyExchange is in.
    var preMasterSecret: [UInt8] = []
    var ourShare: [UInt8] = []
    /// The server asked for a certificate (a CertificateRequest before ServerHelloDone).
    var certificateRequested = false
    var requestedSchemes: [TLSSignatureScheme] = []
    var masterSecret: [UInt8] = []
    /// The ServerHello announced a NewSessionTicket (RFC 5077 section 3.2), and whether it came.
    var ticketPromised = false
    var ticketReceived = false
    /// The server took our ticket: its ChangeCipherSpec and Finished come first, then ours
    /// under these keys.
    var resumed = false
    var clientKey: [UInt8] = []
    var clientIV: [UInt8] = []
}

/// The client's TLS 1.2 handshake for servers without TLS 1.3 (RFC 5246 section 7.3, RFC 8422,
/// RFC 7627): ClientHello → ServerHello, Certificate, ServerKeyExchange, [CertificateRequest],
/// ServerHelloDone → [Certificate], ClientKeyExchange, [CertificateVerify], ChangeCipherSpec,
/// Finished → ChangeCipherSpec, Finished. ECDHE with AEADs only, the extended master secret
/// required, renegotiation refused (RFC 5746); a ServerHello carrying the downgrade sentinel of
/// RFC 8446 section 4.1.3 is refused, since we offered TLS 1.3. A TLS 1.2 ticket from
/// ``TLSOutput/sessionTickets`` resumes (``TLSConnection+Resumption12``).
extension TLSConnection {
    /// The TLS 1.2 ServerHello (no supported_versions): checks and the transcript.
    mutating func clientReceiveServerHello12(_ serverHello: TLSServerHello, message: TLSHandshakeMessage) throws(TLSError) {
        guard let configuration = client, configuration.versions.contains(.tls12) else {
            throw TLSError(.protocolVersion, "the server does not speak TLS 1.3")
        }
        guard serverHello.legacyVersion == .tls12 else { throw TLSError(.protocolVersion, "the server chose version \(serverHello.legacyVersion.rawValue)") }
        let tail = Array(serverHello.random.suffix(8))
        if configuration.versions.contains(.tls13), tail == TLSServerHello.downgradeTLS12 || tail == TLSServerHello.downgradeTLS11 {
            throw .illegal("a TLS 1.2 ServerHello with the downgrade sentinel: a TLS 1.3 server's answer was tampered with")
        }
        guard configuration.tls12CipherSuites.contains(serverHello.cipherSuite), let parameters = serverHello.cipherSuite.parameters,
              parameters.version == .tls12 else {
            throw .illegal("the server chose cipher suite \(serverHello.cipherSuite.rawValue), which was not offered for TLS 1.2")
        }
        guard serverHello.compressionMethod == 0 else { throw .illegal("a compression method") }
        let allowed: [TLSExtensionType] = [.renegotiationInfo, .extendedMasterSecret, .ecPointFormats, .applicationLayerProtocolNegotiation, .serverName,
                                           .sessionTicket]
        for item in serverHello.extensions.all {
            guard clientHello?.extensions.contains(item.type) == true else { throw TLSError(.unsupportedExtension, "extension \(item.type.rawValue) was not offered") }
            guard allowed.contains(item.type) else { throw .illegal("extension \(item.type.rawValue) in a TLS 1.2 ServerHello") }
        }
        // RFC 5746 section 3.4: an empty renegotiated_connection on a first handshake.
        guard serverHello.extensions[.renegotiationInfo] == [0] else {
            throw TLSError(.handshakeFailure, "a server without secure renegotiation (RFC 5746)")
        }
        guard serverHello.extensions[.extendedMasterSecret] == [] else {
            throw TLSError(.handshakeFailure, "a server without the extended master secret (RFC 7627)")
        }
        let ticketPromised = serverHello.extensions[.sessionTicket] != nil
        guard serverHello.extensions[.sessionTicket]?.isEmpty ?? true else { throw .decode("a session_ticket extension with a value in a ServerHello") }
        if let protocolData = serverHello.extensions[.applicationLayerProtocolNegotiation] {
            let chosen = try TLSALPN.decode(protocolData)
            guard chosen.count == 1, configuration.applicationProtocols.contains(chosen[0]) else {
                throw .illegal("the server chose an application protocol not offered")
            }
            applicationProtocol = chosen[0]
        }
        version = .tls12
        suite = serverHello.cipherSuite
        ephemeralKeys = []
        transcript = TLSTranscript(parameters.hash, keepingMessages: configuration.certificate != nil)
        transcript?.append(firstClientHello)
        transcript?.append(message.bytes)
        // Our session ID echoed after we offered a ticket: the session resumes (RFC 5077 section 3.4).
        if let ticket = configuration.resumption, clientHello?.extensions[.sessionTicket]?.isEmpty == false,
           clientHello?.sessionID.isEmpty == false, serverHello.sessionID == clientHello?.sessionID {
            try clientResume12(serverHello, ticket: ticket)
            clientTLS12?.ticketPromised = ticketPromised
            phase = .waitChangeCipherSpec
            return
        }
        clientTLS12 = TLS12ClientHandshake(serverRandom: serverHello.random, ticketPromised: ticketPromised)
        phase = .waitServerCertificate12
    }

    mutating func clientHandle12(_ message: TLSHandshakeMessage, now: WallTime, into output: inout TLSOutput) throws(TLSError) {
        switch (phase, message.type) {
        case (.waitServerCertificate12, .certificate):
            guard let configuration = client else { throw TLSError(.internalError, "no client configuration") }
            let certificate = try TLSCertificateMessage(message, version: .tls12)
            guard !certificate.entries.isEmpty else { throw .decode("the server sent no certificate") }
            peerCertificates = certificate.entries.map { $0.certificate }
            peerPublicKey = try configuration.verifier.verify(chain: peerCertificates, for: .server(name: configuration.serverName), now: now)
            transcript?.append(message.bytes)
            phase = .waitServerKeyExchange
        case (.waitServerKeyExchange, .serverKeyExchange):
            try clientReceiveServerKeyExchange(message)
        case (.waitServerHelloDone, .certificateRequest):
            let request = try TLSCertificateRequest12(message)
            clientTLS12?.certificateRequested = true
            clientTLS12?.requestedSchemes = request.signatureSchemes
            transcript?.append(message.bytes)
        case (.waitServerHelloDone, .serverHelloDone):
            guard message.body.isEmpty else { throw .decode("a ServerHelloDone with a body") }
            transcript?.append(message.bytes)
            try clientSendSecondFlight(into: &output)
        case (.waitServerFinished12, .finished):
            guard let state = clientTLS12, let parameters = suite?.parameters else { throw TLSError(.internalError, "no TLS 1.2 state") }
            guard !state.ticketPromised || state.ticketReceived else {
                throw TLSError(.unexpectedMessage, "no NewSessionTicket, which the ServerHello announced")
            }
            let finished = try TLSFinished(message, expectedLength: 12)
            let expected = TLS12PRF.verifyData(parameters.hash, masterSecret: state.masterSecret, client: false, transcriptHash: transcript?.hash ?? [])
            guard ConstantTime.equal(finished.verifyData, expected) else { throw TLSError(.decryptError, "the server's Finished does not verify") }
            transcript?.append(message.bytes)
            if state.resumed { try clientFinishResumption12(into: &output) }
            clientTLS12 = nil
            phase = .connected
            output.handshakeComplete = true
        case (.waitChangeCipherSpec, .newSessionTicket):
            try clientReceiveSessionTicket12(message, into: &output)
        default:
            throw TLSError(.unexpectedMessage, "handshake message \(message.type.rawValue) out of order")
        }
    }

    /// ServerKeyExchange (RFC 8422 section 5.4): a named curve we offered, the server's share,
    /// signed with the certificate's key over both randoms and the parameters.
    private mutating func clientReceiveServerKeyExchange(_ message: TLSHandshakeMessage) throws(TLSError) {
        guard let configuration = client, let key = peerPublicKey, let hello = clientHello, var state = clientTLS12,
              let parameters = suite?.parameters else {
            throw TLSError(.internalError, "no TLS 1.2 state")
        }
        var reader = message.bodyReader
        guard try reader.readUInt8() == 3 else { throw .illegal("a curve type other than named_curve") }
        let group = TLSNamedGroup(rawValue: try reader.readUInt16())
        let share = try reader.readOpaque(lengthBytes: 1, minimum: 1, maximum: 255)
        let signed = Array(message.body.prefix(4 + share.count))
        let scheme = TLSSignatureScheme(rawValue: try reader.readUInt16())
        let signature = try reader.readOpaque(lengthBytes: 2, minimum: 1, maximum: 0xFFFF)
        try reader.expectEnd("ServerKeyExchange")
        guard configuration.groups.contains(group) else { throw .illegal("ServerKeyExchange for group \(group.rawValue), which was not offered") }
        guard TLSSignatureScheme.tls12HandshakeSchemes.contains(scheme) else { throw .illegal("signature scheme \(scheme.rawValue) was not offered") }
        // The suite names the certificate's key kind (RFC 8422 section 2).
        switch (parameters.authentication, key) {
        case (.ecdsa?, .ec), (.rsa?, .rsa): break
        default: throw TLSError(.unsupportedCertificate, "the certificate's key does not fit the suite")
        }
        guard TLSSignatures.isValid12(signature, content: hello.random + state.serverRandom + signed, scheme: scheme, key: key) else {
            throw TLSError(.decryptError, "the ServerKeyExchange signature does not verify")
        }
        let ephemeral = try TLSEphemeralKey(group: group, random: random)
        state.preMasterSecret = try ephemeral.sharedSecret(peerShare: share)
        state.ourShare = ephemeral.share
        clientTLS12 = state
        transcript?.append(message.bytes)
        phase = .waitServerHelloDone
    }

    /// [Certificate], ClientKeyExchange, [CertificateVerify], ChangeCipherSpec, Finished; the
    /// extended master secret over the transcript through the ClientKeyExchange.
    private mutating func clientSendSecondFlight(into output: inout TLSOutput) throws(TLSError) {
        guard let configuration = client, var state = clientTLS12, let parameters = suite?.parameters, let hello = clientHello else {
            throw TLSError(.internalError, "no TLS 1.2 state")
        }
        // Our chain when asked and our key signs with a scheme the server accepts (else none).
        var signing: (TLSCertificateChain, TLSSignatureScheme)?
        if state.certificateRequested {
            if let chain = configuration.certificate,
               let scheme = TLSSignatures.schemes12(for: chain.privateKey).first(where: state.requestedSchemes.contains) {
                signing = (chain, scheme)
            }
            let entries = signing.map { $0.0.certificates.map { TLSCertificateMessage.Entry(certificate: $0) } } ?? []
            queue(TLSCertificateMessage(entries: entries).message(version: .tls12))
        }
        var exchange = TLSWireWriter()
        exchange.appendOpaque(lengthBytes: 1, state.ourShare)
        queue(TLSHandshakeMessage(type: .clientKeyExchange, body: exchange.bytes))
        let sessionHash = transcript?.hash ?? []
        state.masterSecret = TLS12PRF.extendedMasterSecret(parameters.hash, preMasterSecret: state.preMasterSecret, sessionHash: sessionHash)
        if let (chain, scheme) = signing {
            let signature = try TLSSignatures.sign12(transcript?.messages ?? [], scheme: scheme, key: chain.privateKey, random: random)
            queue(TLSCertificateVerify(scheme: scheme, signature: signature).message)
        }
        try flush(into: &output)
        let keys = TLS12PRF.keys(parameters.hash, masterSecret: state.masterSecret, clientRandom: hello.random,
                                 serverRandom: state.serverRandom, cipher: parameters.cipher)
        output.records += TLSRecord(type: .changeCipherSpec, fragment: [1]).bytes
        writer = .tls12(try TLS12RecordProtection(cipher: parameters.cipher, key: keys.clientKey, iv: keys.clientIV))
        pendingReader = .tls12(try TLS12RecordProtection(cipher: parameters.cipher, key: keys.serverKey, iv: keys.serverIV))
        queue(TLSFinished(verifyData: TLS12PRF.verifyData(parameters.hash, masterSecret: state.masterSecret, client: true,
                                                          transcriptHash: transcript?.hash ?? [])).message)
        try flush(into: &output)
        if logsKeys { keyLog.append("CLIENT_RANDOM " + Self.hex(hello.random) + " " + Self.hex(state.masterSecret)) }
        state.preMasterSecret = []
        clientTLS12 = state
        phase = .waitChangeCipherSpec
    }
}
