import MirageCore
import MirageCrypto

/// The server's TLS 1.3 handshake (RFC 8446 section 2, 4): ClientHello → (HelloRetryRequest →
/// ClientHello →) ServerHello, EncryptedExtensions, Certificate, CertificateVerify, Finished →
/// the client's Finished.
extension TLSConnection {
    mutating func serverHandle(_ message: TLSHandshakeMessage, into output: inout TLSOutput) throws(TLSError) {
        switch phase {
        case .waitClientHello(let retried):
            guard message.type == .clientHello else { throw TLSError(.unexpectedMessage, "handshake message \(message.type.rawValue) before ClientHello") }
            try serverReceiveClientHello(message, retried: retried, into: &output)
        case .waitClientFinished:
            guard message.type == .finished else { throw TLSError(.unexpectedMessage, "handshake message \(message.type.rawValue) for the client's Finished") }
            try serverReceiveFinished(message, into: &output)
        case .waitClientCertificate:
            guard message.type == .certificate else { throw TLSError(.unexpectedMessage, "handshake message \(message.type.rawValue) for the client's Certificate") }
            try serverReceiveClientCertificate(message)
        case .waitClientCertificateVerify:
            guard message.type == .certificateVerify else {
                throw TLSError(.unexpectedMessage, "handshake message \(message.type.rawValue) for the client's CertificateVerify")
            }
            try serverReceiveClientCertificateVerify(message)
        case .waitClientKeyExchange:
            guard message.type == .clientKeyExchange else {
                throw TLSError(.unexpectedMessage, "handshake message \(message.type.rawValue) for ClientKeyExchange")
            }
            try serverReceiveClientKeyExchange12(message)
        case .waitClientFinished12:
            guard message.type == .finished else { throw TLSError(.unexpectedMessage, "handshake message \(message.type.rawValue) for the client's Finished") }
            try serverReceiveFinished12(message, into: &output)
        case .connected:
            try postHandshake(message, into: &output)
        case .waitChangeCipherSpec:
            throw TLSError(.unexpectedMessage, "handshake message \(message.type.rawValue) before the client's ChangeCipherSpec")
        default:
            throw TLSError(.internalError, "a server in a client's state")
        }
    }

    private mutating func serverReceiveClientHello(_ message: TLSHandshakeMessage, retried: Bool, into output: inout TLSOutput) throws(TLSError) {
        guard let configuration = server else { throw TLSError(.internalError, "no server configuration") }
        let hello = try TLSClientHello(message)
        let extensions = hello.extensions

        // The version: TLS 1.3 through supported_versions (section 4.2.1), else TLS 1.2.
        let offered = try extensions[.supportedVersions].map { (data) throws(TLSError) in try TLSSupportedVersions.decodeClient(data) }
        guard let offered, offered.contains(.tls13), configuration.versions.contains(.tls13) else {
            let offersTLS12 = offered?.contains(.tls12) ?? (hello.legacyVersion >= .tls12)
            guard !retried, offersTLS12, configuration.versions.contains(.tls12) else {
                throw TLSError(.protocolVersion, "the client offers no version served here")
            }
            try serverReceiveClientHello12(hello, message: message, into: &output)
            return
        }
        guard hello.legacyVersion == .tls12 else { throw TLSError(.protocolVersion, "legacy_version \(hello.legacyVersion.rawValue)") }
        guard hello.compressionMethods == [0] else { throw .illegal("compression methods other than null") }
        if retried, let first = clientHello {
            // The second ClientHello is the first with a new key share (section 4.1.2).
            guard hello.random == first.random, hello.sessionID == first.sessionID, hello.cipherSuites == first.cipherSuites else {
                throw .illegal("the second ClientHello differs from the first")
            }
        }

        // A suite of the offered ticket's hash, when it opens, so that the session can resume.
        let ticketHash = hello.extensions[.preSharedKey].flatMap { try? TLSOfferedPSKs(extensionData: $0) }
            .flatMap { configuration.sessionTickets?.open($0.identities[0].identity) }?.suite.parameters
            .flatMap { $0.version == .tls13 ? $0.hash : nil }
        let shared = configuration.cipherSuites.filter { hello.cipherSuites.contains($0) }
        guard let chosenSuite = shared.first(where: { $0.parameters?.hash == ticketHash }) ?? shared.first,
              let parameters = chosenSuite.parameters else {
            throw TLSError(.handshakeFailure, "no cipher suite in common")
        }
        if retried, chosenSuite != suite { throw .illegal("the second ClientHello changes the cipher suite") }

        // Groups and key shares (section 4.2.7, 4.2.8).
        guard let groupsData = extensions[.supportedGroups] else { throw TLSError(.missingExtension, "no supported_groups") }
        let clientGroups = try TLSCodePointList.decode(groupsData, what: "supported_groups").map { TLSNamedGroup(rawValue: $0) }
        guard let sharesData = extensions[.keyShare] else { throw TLSError(.missingExtension, "no key_share") }
        let shares = try TLSKeyShare.decodeClient(sharesData)
        for share in shares where !clientGroups.contains(share.group) {
            throw .illegal("a key share for group \(share.group.rawValue), which supported_groups does not list")
        }
        guard let schemesData = extensions[.signatureAlgorithms] else { throw TLSError(.missingExtension, "no signature_algorithms") }
        let clientSchemes = try TLSCodePointList.decode(schemesData, what: "signature_algorithms").map { TLSSignatureScheme(rawValue: $0) }

        let share: TLSKeyShareEntry
        if let group = configuration.groups.first(where: { group in shares.contains { $0.group == group } }),
           let found = shares.first(where: { $0.group == group }) {
            if retried, group != retryGroup { throw .illegal("the second ClientHello's share is not for the group asked for") }
            share = found
        } else if retried {
            throw .illegal("the second ClientHello has no share for the group asked for")
        } else if let group = configuration.groups.first(where: clientGroups.contains) {
            try sendHelloRetryRequest(hello, message: message, suite: chosenSuite, group: group, into: &output)
            return
        } else {
            throw TLSError(.handshakeFailure, "no group in common")
        }

        // The certificate: by SNI (RFC 6066), then one whose key signs with a scheme offered.
        let chains = try chainsForServerName(extensions, configuration)
        guard let chain = chains.first(where: { chain in TLSSignatures.schemes(for: chain.privateKey).contains(where: clientSchemes.contains) }),
              let scheme = TLSSignatures.schemes(for: chain.privateKey).first(where: clientSchemes.contains) else {
            throw TLSError(.handshakeFailure, "no certificate signs with a scheme the client accepts")
        }

        var encrypted = TLSExtensions()
        if let chosen = try negotiateApplicationProtocol(extensions, configuration) {
            encrypted.append(.applicationLayerProtocolNegotiation, TLSALPN.encode([chosen]))
        }
        if serverName != nil, chain.serves(serverName ?? "") { encrypted.append(.serverName, []) }
        if let limitData = extensions[.recordSizeLimit] {
            // RFC 8449 section 4: the limit counts TLS 1.3's content type byte.
            sendLimit = min(TLSRecord.maximumPlaintext, try TLSRecordSizeLimit.decode(limitData) - 1)
            encrypted.append(.recordSizeLimit, TLSRecordSizeLimit.encode(TLSRecord.maximumPlaintext + 1))
        }
        // 0-RTT is refused (its data is skipped, section 4.2.10); a PSK is taken with (EC)DHE.
        if extensions.contains(.earlyData) { earlyDataToSkip = limits.maximumSkippedEarlyData }
        resumptionKey = try acceptedPreSharedKey(hello, message: message, suite: chosenSuite, retried: retried)

        // ServerHello.
        suite = chosenSuite
        version = .tls13
        clientHello = hello
        if !retried { transcript = TLSTranscript(parameters.hash) }
        transcript?.append(message.bytes)
        let ephemeral = try TLSEphemeralKey(group: share.group, random: random)
        let sharedSecret = try ephemeral.sharedSecret(peerShare: share.keyExchange)
        var serverExtensions = TLSExtensions()
        serverExtensions.append(.supportedVersions, TLSSupportedVersions.encodeServer(.tls13))
        serverExtensions.append(.keyShare, TLSKeyShare.encodeServer(TLSKeyShareEntry(group: share.group, keyExchange: ephemeral.share)))
        if isResumed { serverExtensions.append(.preSharedKey, [0, 0]) }  // selected_identity 0
        let serverHello = TLSServerHello(random: randomBytes(32), sessionID: hello.sessionID, cipherSuite: chosenSuite,
                                         extensions: serverExtensions)
        queue(serverHello.message)
        try flush(into: &output)
        if !hello.sessionID.isEmpty { sendChangeCipherSpec(into: &output) }

        // Handshake keys (section 7.1).
        var keySchedule = TLS13KeySchedule(parameters.hash, preSharedKey: resumptionKey)
        keySchedule.addSharedSecret(sharedSecret)
        let helloHash = transcript?.hash ?? []
        clientHandshakeSecret = keySchedule.derive("c hs traffic", transcriptHash: helloHash)
        serverHandshakeSecret = keySchedule.derive("s hs traffic", transcriptHash: helloHash)
        logHandshakeSecrets()
        writer = try protection(serverHandshakeSecret)
        reader = try protection(clientHandshakeSecret)
        keysChanged = true
        records.maximumFragment = TLSRecord.maximumProtected13

        // EncryptedExtensions, [CertificateRequest], Certificate, CertificateVerify, Finished.
        // A session resumed with a PSK asks for no certificate (section 4.3.2).
        queue(TLSEncryptedExtensions(extensions: encrypted).message)
        let asksForCertificate = !isResumed && configuration.clientAuthentication != nil
        if asksForCertificate { queueCertificateRequest() }
        if !isResumed {
            queue(TLSCertificateMessage(entries: chain.certificates.map { .init(certificate: $0) }).message(version: .tls13))
            let signed = TLSCertificateVerify.signedContent(server: true, transcriptHash: transcript?.hash ?? [])
            queue(TLSCertificateVerify(scheme: scheme, signature: try TLSSignatures.sign(signed, scheme: scheme, key: chain.privateKey, random: random)).message)
        }
        let finished = TLS13KeySchedule.finishedMAC(parameters.hash, baseKey: serverHandshakeSecret, transcriptHash: transcript?.hash ?? [])
        queue(TLSFinished(verifyData: finished).message)
        try flush(into: &output)

        // Application keys: ours now, the client's after its Finished.
        keySchedule.enterMasterSecret()
        let finishedHash = transcript?.hash ?? []
        readApplicationSecret = keySchedule.derive("c ap traffic", transcriptHash: finishedHash)
        writeApplicationSecret = keySchedule.derive("s ap traffic", transcriptHash: finishedHash)
        schedule = keySchedule
        logApplicationSecrets(finishedHash: finishedHash)
        writer = try protection(writeApplicationSecret)
        phase = asksForCertificate ? .waitClientCertificate : .waitClientFinished
    }

    /// The chains, those serving the client's SNI name first (RFC 6066 section 3), which is kept
    /// in ``serverName``; for both versions.
    mutating func chainsForServerName(_ extensions: TLSExtensions, _ configuration: TLSServerConfiguration) throws(TLSError) -> [TLSCertificateChain] {
        guard let nameData = extensions[.serverName] else { return configuration.chains }
        let name = try TLSServerName(extensionData: nameData).hostName
        serverName = name
        return configuration.chains.filter { $0.serves(name) } + configuration.chains.filter { !$0.serves(name) }
    }

    /// ALPN (RFC 7301 section 3.2): our first choice among the client's, kept in
    /// ``applicationProtocol``; nil when either side has none; for both versions.
    /// - Throws: `no_application_protocol` when there is none in common.
    mutating func negotiateApplicationProtocol(_ extensions: TLSExtensions, _ configuration: TLSServerConfiguration) throws(TLSError) -> [UInt8]? {
        guard let protocolsData = extensions[.applicationLayerProtocolNegotiation], !configuration.applicationProtocols.isEmpty else { return nil }
        let offered = try TLSALPN.decode(protocolsData)
        guard let chosen = configuration.applicationProtocols.first(where: offered.contains) else {
            throw TLSError(.noApplicationProtocol, "no application protocol in common")
        }
        applicationProtocol = chosen
        return chosen
    }

    /// HelloRetryRequest (section 4.1.4): the client offered `group` but sent no share for it.
    private mutating func sendHelloRetryRequest(_ hello: TLSClientHello, message: TLSHandshakeMessage, suite chosenSuite: TLSCipherSuite,
                                                group: TLSNamedGroup, into output: inout TLSOutput) throws(TLSError) {
        guard let parameters = chosenSuite.parameters else { throw TLSError(.internalError, "no suite parameters") }
        suite = chosenSuite
        version = .tls13
        retryGroup = group
        clientHello = hello
        transcript = TLSTranscript.restarted(parameters.hash, afterClientHello: message.bytes)
        var extensions = TLSExtensions()
        extensions.append(.supportedVersions, TLSSupportedVersions.encodeServer(.tls13))
        extensions.append(.keyShare, TLSKeyShare.encodeRetry(group))
        queue(TLSServerHello(random: TLSServerHello.helloRetryRequestRandom, sessionID: hello.sessionID, cipherSuite: chosenSuite,
                             extensions: extensions).message)
        try flush(into: &output)
        if !hello.sessionID.isEmpty { sendChangeCipherSpec(into: &output) }
        phase = .waitClientHello(retried: true)
    }

    private mutating func serverReceiveFinished(_ message: TLSHandshakeMessage, into output: inout TLSOutput) throws(TLSError) {
        guard let parameters = suite?.parameters else { throw TLSError(.internalError, "no suite") }
        let finished = try TLSFinished(message, expectedLength: parameters.hash.digestLength)
        let expected = TLS13KeySchedule.finishedMAC(parameters.hash, baseKey: clientHandshakeSecret, transcriptHash: transcript?.hash ?? [])
        guard ConstantTime.equal(finished.verifyData, expected) else {
            throw TLSError(.decryptError, "the client's Finished does not verify")
        }
        transcript?.append(message.bytes)
        reader = try protection(readApplicationSecret)
        keysChanged = true
        earlyDataToSkip = nil
        phase = .connected
        output.handshakeComplete = true
        try sendSessionTickets(into: &output)
    }

    /// The PSK of the ticket the client offers, when it opens, suits `suite` and the host name,
    /// has not expired and comes with (EC)DHE; nil for a full handshake (RFC 8446 section
    /// 4.2.11). Its binder must verify.
    /// - Throws: `illegal_parameter` when pre_shared_key is not the last extension,
    ///   `missing_extension` without psk_key_exchange_modes, `decrypt_error` for a bad binder.
    private mutating func acceptedPreSharedKey(_ hello: TLSClientHello, message: TLSHandshakeMessage, suite chosenSuite: TLSCipherSuite,
                                               retried: Bool) throws(TLSError) -> [UInt8]? {
        guard let data = hello.extensions[.preSharedKey] else { return nil }
        guard hello.extensions.all.last?.type == .preSharedKey else { throw .illegal("pre_shared_key is not the last extension") }
        guard let modesData = hello.extensions[.pskKeyExchangeModes] else {
            throw TLSError(.missingExtension, "pre_shared_key without psk_key_exchange_modes")
        }
        let modes = try TLSOpaqueExtension.decode(modesData, lengthBytes: 1, minimum: 1, maximum: 255, what: "psk_key_exchange_modes")
        let offered = try TLSOfferedPSKs(extensionData: data)
        guard let tickets = server?.sessionTickets, modes.contains(1), let hash = chosenSuite.parameters?.hash,
              let state = tickets.open(offered.identities[0].identity), state.suite.parameters?.version == .tls13,
              state.suite.parameters?.hash == hash,
              currentTime.seconds >= state.issued, currentTime.seconds - state.issued < Int64(tickets.lifetime),
              state.serverName == serverName,
              // A server requiring client certificates resumes only sessions that presented one.
              state.clientCertificate != nil || server?.clientAuthentication?.isRequired != true else {
            return nil
        }
        // The binder: over the transcript so far (after a HelloRetryRequest) and this ClientHello
        // up to the binders (section 4.2.11.2).
        var binderTranscript = retried ? (transcript ?? TLSTranscript(hash)) : TLSTranscript(hash)
        binderTranscript.append(Array(message.bytes.dropLast(offered.bindersLength)))
        let binderKey = TLS13KeySchedule(hash, preSharedKey: state.preSharedKey).binderKey()
        let expected = TLS13KeySchedule.finishedMAC(hash, baseKey: binderKey, transcriptHash: binderTranscript.hash)
        guard ConstantTime.equal(offered.binders[0], expected) else { throw TLSError(.decryptError, "the PSK binder does not verify") }
        if let leaf = state.clientCertificate { peerCertificates = [leaf] }
        return state.preSharedKey
    }

    /// NewSessionTickets after the handshake (section 4.6.1), when the server gives them.
    private mutating func sendSessionTickets(into output: inout TLSOutput) throws(TLSError) {
        guard let tickets = server?.sessionTickets, tickets.count > 0, let suite, let hash = suite.parameters?.hash else { return }
        resumptionMasterSecret = schedule?.derive("res master", transcriptHash: transcript?.hash ?? []) ?? []
        for index in 0..<tickets.count {
            let nonce = [UInt8(truncatingIfNeeded: index)]
            let ageAdd = randomBytes(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            let key = TLS13KeySchedule.resumptionPSK(hash, resumptionMasterSecret: resumptionMasterSecret, ticketNonce: nonce)
            let ticket = tickets.seal(.init(suite: suite, issued: currentTime.seconds, ageAdd: ageAdd, preSharedKey: key, serverName: serverName,
                                            clientCertificate: peerCertificates.first))
            guard !ticket.isEmpty else { continue }
            try seal(TLSNewSessionTicket(lifetime: tickets.lifetime, ageAdd: ageAdd, nonce: nonce, ticket: ticket).message.bytes,
                     type: .handshake, into: &output)
        }
    }
}
