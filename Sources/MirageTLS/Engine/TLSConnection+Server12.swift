import MirageCore
import MirageCrypto

/// What a TLS 1.2 handshake keeps between its messages.
struct TLS12Handshake {
    let clientRandom: [UInt8]
    let serverRandom: [UInt8]
    /// Our ECDHE key; nil when the session resumes.
    let ephemeral: TLSEphemeralKey?
    var masterSecret: [UInt8] = []
    var serverKey: [UInt8] = []
    var serverIV: [UInt8] = []
    /// The ServerHello promised a NewSessionTicket (RFC 5077 section 3.2).
    var issuesTicket = false
    /// The abbreviated handshake of a resumed session (RFC 5246 section 7.3): our Finished went first.
    var resumed = false
}

/// The server's TLS 1.2 handshake for older clients (RFC 5246 section 7.3, RFC 8422 for ECDHE,
/// RFC 5288 and RFC 7905 for the AEAD suites): ClientHello → ServerHello, Certificate,
/// ServerKeyExchange, ServerHelloDone → ClientKeyExchange, ChangeCipherSpec, Finished →
/// ChangeCipherSpec, Finished. Only ECDHE with AEADs; the extended master secret (RFC 7627) is
/// required; renegotiation is refused and said so (RFC 5746); the random carries the downgrade
/// sentinel (RFC 8446 section 4.1.3) when TLS 1.3 is served too. A server that authenticates
/// clients adds a CertificateRequest, and the client's Certificate comes before its
/// ClientKeyExchange and its CertificateVerify after. Sessions resume with stateless tickets
/// (RFC 5077, in ``TLSConnection+Resumption12``).
extension TLSConnection {
    mutating func serverReceiveClientHello12(_ hello: TLSClientHello, message: TLSHandshakeMessage, into output: inout TLSOutput) throws(TLSError) {
        guard let configuration = server else { throw TLSError(.internalError, "no server configuration") }
        let extensions = hello.extensions
        // RFC 7507: a client falling back from a failed TLS 1.3 attempt says so.
        if hello.cipherSuites.contains(.fallbackSCSV), configuration.versions.contains(.tls13) {
            throw TLSError(.inappropriateFallback, "a fallback to TLS 1.2 from a client that could do better")
        }
        guard hello.compressionMethods.contains(0) else { throw .illegal("no null compression") }
        // RFC 5746: a client that signals secure renegotiation, with an empty value on a first handshake.
        if let renegotiation = extensions[.renegotiationInfo] {
            guard try TLSOpaqueExtension.decode(renegotiation, lengthBytes: 1, minimum: 0, maximum: 255, what: "renegotiation_info").isEmpty else {
                throw TLSError(.handshakeFailure, "a renegotiation_info value on a first handshake")
            }
        } else if !hello.cipherSuites.contains(.emptyRenegotiationInfoSCSV) {
            throw TLSError(.handshakeFailure, "a client without secure renegotiation (RFC 5746)")
        }
        guard let emsData = extensions[.extendedMasterSecret] else {
            throw TLSError(.handshakeFailure, "the extended master secret is required (RFC 7627)")
        }
        guard emsData.isEmpty else { throw .decode("a non-empty extended_master_secret") }
        if let formats = extensions[.ecPointFormats] {
            guard try TLSOpaqueExtension.decode(formats, lengthBytes: 1, minimum: 1, maximum: 255, what: "ec_point_formats").contains(0) else {
                throw .illegal("no uncompressed points")
            }
        }
        guard let groupsData = extensions[.supportedGroups] else { throw TLSError(.handshakeFailure, "no supported_groups") }
        let clientGroups = try TLSCodePointList.decode(groupsData, what: "supported_groups").map { TLSNamedGroup(rawValue: $0) }
        guard let group = configuration.groups.first(where: clientGroups.contains) else { throw TLSError(.handshakeFailure, "no group in common") }
        guard let schemesData = extensions[.signatureAlgorithms] else {
            throw TLSError(.handshakeFailure, "no signature_algorithms: TLS 1.2's SHA-1 default is not accepted")
        }
        let clientSchemes = try TLSCodePointList.decode(schemesData, what: "signature_algorithms").map { TLSSignatureScheme(rawValue: $0) }

        // The chain (by SNI), then a suite its key authenticates and a scheme it signs with.
        let chains = try chainsForServerName(extensions, configuration)
        if let session = resumableSession12(hello, configuration) {
            try serverResume12(hello, message: message, session: session, into: &output)
            return
        }
        var choice: (TLSCertificateChain, TLSCipherSuite, TLSSignatureScheme)?
        for chain in chains {
            let kind: TLSCertificateKind
            switch chain.privateKey {
            // RFC 8422 section 5.1: in TLS 1.2 supported_groups also names the curves the
            // client verifies ECDSA certificates on.
            case .ec(.p256, _) where clientGroups.contains(.secp256r1): kind = .ecdsa
            case .ec(.p384, _) where clientGroups.contains(.secp384r1): kind = .ecdsa
            case .rsa: kind = .rsa
            default: continue
            }
            guard let suite = configuration.tls12CipherSuites.first(where: { hello.cipherSuites.contains($0) && $0.parameters?.authentication == kind }),
                  let scheme = TLSSignatures.schemes12(for: chain.privateKey).first(where: clientSchemes.contains) else { continue }
            choice = (chain, suite, scheme)
            break
        }
        guard let (chain, chosenSuite, scheme) = choice, let parameters = chosenSuite.parameters else {
            throw TLSError(.handshakeFailure, "no TLS 1.2 suite and signature in common")
        }
        var serverExtensions = TLSExtensions()
        serverExtensions.append(.renegotiationInfo, [0])
        serverExtensions.append(.extendedMasterSecret, [])
        if extensions.contains(.ecPointFormats) { serverExtensions.append(.ecPointFormats, [1, 0]) }
        if let chosen = try negotiateApplicationProtocol(extensions, configuration) {
            serverExtensions.append(.applicationLayerProtocolNegotiation, TLSALPN.encode([chosen]))
        }
        // A client asking for a ticket (an empty extension, or one we did not take) gets one.
        let issuesTicket = extensions.contains(.sessionTicket) && (configuration.sessionTickets?.count ?? 0) > 0
        if issuesTicket { serverExtensions.append(.sessionTicket, []) }

        version = .tls12
        suite = chosenSuite
        clientHello = hello
        // A client's CertificateVerify signs the messages themselves (RFC 5246 section 7.4.8).
        transcript = TLSTranscript(parameters.hash, keepingMessages: configuration.clientAuthentication != nil)
        transcript?.append(message.bytes)
        // The downgrade sentinel, when we could have spoken TLS 1.3: a client that offered it
        // and sees this knows its ClientHello was tampered with (RFC 8446 section 4.1.3).
        let serverRandom = configuration.versions.contains(.tls13) ? randomBytes(24) + TLSServerHello.downgradeTLS12 : randomBytes(32)
        let ephemeral = try TLSEphemeralKey(group: group, random: random)
        queue(TLSServerHello(random: serverRandom, sessionID: [], cipherSuite: chosenSuite, extensions: serverExtensions).message)
        queue(TLSCertificateMessage(entries: chain.certificates.map { .init(certificate: $0) }).message(version: .tls12))
        // ServerKeyExchange (RFC 8422 section 5.4): the named curve and our share, signed with the randoms.
        var parametersWriter = TLSWireWriter()
        parametersWriter.append(UInt8(3))  // named_curve
        parametersWriter.append(group.rawValue)
        parametersWriter.appendOpaque(lengthBytes: 1, ephemeral.share)
        let signature = try TLSSignatures.sign12(hello.random + serverRandom + parametersWriter.bytes, scheme: scheme, key: chain.privateKey,
                                                 random: random)
        var keyExchange = TLSWireWriter()
        keyExchange.append(parametersWriter.bytes)
        keyExchange.append(scheme.rawValue)
        keyExchange.appendOpaque(lengthBytes: 2, signature)
        queue(TLSHandshakeMessage(type: .serverKeyExchange, body: keyExchange.bytes))
        if configuration.clientAuthentication != nil { queueCertificateRequest() }
        queue(TLSHandshakeMessage(type: .serverHelloDone, body: []))
        tls12 = TLS12Handshake(clientRandom: hello.random, serverRandom: serverRandom, ephemeral: ephemeral, issuesTicket: issuesTicket)
        phase = configuration.clientAuthentication != nil ? .waitClientCertificate : .waitClientKeyExchange
    }

    /// ClientKeyExchange (RFC 8422 section 5.7): the client's share; the extended master secret
    /// over the transcript so far, and the keys.
    mutating func serverReceiveClientKeyExchange12(_ message: TLSHandshakeMessage) throws(TLSError) {
        guard var state = tls12, let ephemeral = state.ephemeral, let parameters = suite?.parameters else {
            throw TLSError(.internalError, "no TLS 1.2 state")
        }
        var reader = message.bodyReader
        let share = try reader.readOpaque(lengthBytes: 1, minimum: 1, maximum: 255)
        try reader.expectEnd("ClientKeyExchange")
        let preMaster = try ephemeral.sharedSecret(peerShare: share)
        transcript?.append(message.bytes)
        let sessionHash = transcript?.hash ?? []
        state.masterSecret = TLS12PRF.extendedMasterSecret(parameters.hash, preMasterSecret: preMaster, sessionHash: sessionHash)
        let keys = TLS12PRF.keys(parameters.hash, masterSecret: state.masterSecret, clientRandom: state.clientRandom,
                                 serverRandom: state.serverRandom, cipher: parameters.cipher)
        pendingReader = .tls12(try TLS12RecordProtection(cipher: parameters.cipher, key: keys.clientKey, iv: keys.clientIV))
        state.serverKey = keys.serverKey
        state.serverIV = keys.serverIV
        tls12 = state
        if logsKeys { keyLog.append("CLIENT_RANDOM " + Self.hex(state.clientRandom) + " " + Self.hex(state.masterSecret)) }
        // A client that presented a certificate proves it has the key next.
        phase = peerPublicKey != nil ? .waitClientCertificateVerify : .waitChangeCipherSpec
    }

    /// The client's Finished, under its new keys; then our [NewSessionTicket,] ChangeCipherSpec
    /// and Finished, unless ours went first (a resumed session).
    mutating func serverReceiveFinished12(_ message: TLSHandshakeMessage, into output: inout TLSOutput) throws(TLSError) {
        guard let state = tls12, let parameters = suite?.parameters else { throw TLSError(.internalError, "no TLS 1.2 state") }
        let finished = try TLSFinished(message, expectedLength: 12)
        let expected = TLS12PRF.verifyData(parameters.hash, masterSecret: state.masterSecret, client: true, transcriptHash: transcript?.hash ?? [])
        guard ConstantTime.equal(finished.verifyData, expected) else {
            throw TLSError(.decryptError, "the client's Finished does not verify")
        }
        transcript?.append(message.bytes)
        if state.resumed {
            tls12 = nil
            phase = .connected
            output.handshakeComplete = true
            return
        }
        if state.issuesTicket { try queueSessionTicket12(masterSecret: state.masterSecret, into: &output) }
        let ours = TLS12PRF.verifyData(parameters.hash, masterSecret: state.masterSecret, client: false, transcriptHash: transcript?.hash ?? [])
        output.records += TLSRecord(type: .changeCipherSpec, fragment: [1]).bytes
        writer = .tls12(try TLS12RecordProtection(cipher: parameters.cipher, key: state.serverKey, iv: state.serverIV))
        queue(TLSFinished(verifyData: ours).message)
        try flush(into: &output)
        tls12 = nil
        phase = .connected
        output.handshakeComplete = true
    }
}
