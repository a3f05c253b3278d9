import MirageCore
import MirageCrypto

/// The client's TLS 1.3 handshake (RFC 8446 section 2, 4): ClientHello → ServerHello (or a
/// HelloRetryRequest and a second ClientHello), EncryptedExtensions, [CertificateRequest],
/// Certificate, CertificateVerify, Finished → [Certificate], Finished.
extension TLSConnection {
    /// The extensions a server may send in EncryptedExtensions when we sent them (section 4.2's
    /// table); any other we sent is illegal there.
    static let encryptedExtensionTypes: [TLSExtensionType] = [.serverName, .supportedGroups, .applicationLayerProtocolNegotiation, .recordSizeLimit]

    mutating func clientStart() throws(TLSError) {
        guard let configuration = client else { throw TLSError(.internalError, "no client configuration") }
        var keys: [TLSEphemeralKey] = []
        for group in configuration.keyShareGroups { keys.append(try TLSEphemeralKey(group: group, random: random)) }
        ephemeralKeys = keys
        let offers12 = configuration.versions.contains(.tls12)
        var extensions = TLSExtensions()
        // SNI names hosts only (RFC 6066 section 3): a literal address is checked against the
        // certificate's iPAddresses but not sent.
        if let name = configuration.serverName, IPv4Address(name) == nil, IPv6Address(name) == nil {
            extensions.append(.serverName, TLSServerName(hostName: name).extensionData)
        }
        extensions.append(.supportedVersions, TLSSupportedVersions.encodeClient(offers12 ? [.tls13, .tls12] : [.tls13]))
        extensions.append(.supportedGroups, TLSCodePointList.encode(configuration.groups.map { $0.rawValue }))
        // TLS 1.2 servers with RSA keys may sign with PKCS #1 v1.5; TLS 1.3 never accepts it.
        let schemes = configuration.signatureSchemes + (offers12 ? [.rsaPKCS1SHA256, .rsaPKCS1SHA384, .rsaPKCS1SHA512] : [])
        extensions.append(.signatureAlgorithms, TLSCodePointList.encode(schemes.map { $0.rawValue }))
        extensions.append(.keyShare, TLSKeyShare.encodeClient(keys.map { TLSKeyShareEntry(group: $0.group, keyExchange: $0.share) }))
        if offers12 {
            // RFC 7627, RFC 5746 (an empty renegotiated_connection), RFC 8422 (uncompressed points).
            extensions.append(.extendedMasterSecret, [])
            extensions.append(.renegotiationInfo, [0])
            extensions.append(.ecPointFormats, [1, 0])
            // RFC 5077 section 3.2: a TLS 1.2 ticket to resume with, or an empty one asking for one.
            extensions.append(.sessionTicket, offeredTicket12?.ticket ?? [])
        }
        if !configuration.applicationProtocols.isEmpty {
            extensions.append(.applicationLayerProtocolNegotiation, TLSALPN.encode(configuration.applicationProtocols))
        }
        var hello = TLSClientHello(random: randomBytes(32),
                                   // A session ID also tells us whether a TLS 1.2 server took a ticket (RFC 5077 section 3.4).
                                   sessionID: configuration.middleboxCompatibility || offeredTicket12 != nil ? randomBytes(32) : [],
                                   cipherSuites: configuration.cipherSuites + (offers12 ? configuration.tls12CipherSuites : []),
                                   extensions: extensions)
        if let ticket = configuration.resumption, ticket.isUsable(at: currentTime), ticket.cipherSuite.parameters?.version == .tls13,
           configuration.cipherSuites.contains(where: { $0.parameters?.hash == ticket.cipherSuite.parameters?.hash }) {
            hello = offering(ticket, in: hello, after: nil)
        }
        clientHello = hello
        firstClientHello = hello.message.bytes
        pendingHandshake = firstClientHello
        phase = .waitServerHello(retried: false)
    }

    mutating func clientHandle(_ message: TLSHandshakeMessage, now: WallTime, into output: inout TLSOutput) throws(TLSError) {
        if isTLS12, phase != .connected {
            try clientHandle12(message, now: now, into: &output)
            return
        }
        switch (phase, message.type) {
        case (.waitServerHello(let retried), .serverHello):
            try clientReceiveServerHello(message, retried: retried, into: &output)
        case (.waitEncryptedExtensions, .encryptedExtensions):
            try clientReceiveEncryptedExtensions(message)
        case (.waitCertificateOrRequest, .certificateRequest):
            try clientReceiveCertificateRequest(message)
        case (.waitCertificateOrRequest, .certificate), (.waitCertificate, .certificate):
            try clientReceiveCertificate(message, now: now)
        case (.waitCertificateVerify, .certificateVerify):
            try clientReceiveCertificateVerify(message)
        case (.waitServerFinished, .finished):
            try clientReceiveFinished(message, into: &output)
        case (.connected, _):
            try postHandshake(message, into: &output)
        default:
            throw TLSError(.unexpectedMessage, "handshake message \(message.type.rawValue) out of order")
        }
    }

    private mutating func clientReceiveServerHello(_ message: TLSHandshakeMessage, retried: Bool, into output: inout TLSOutput) throws(TLSError) {
        guard let configuration = client, let hello = clientHello else { throw TLSError(.internalError, "no ClientHello") }
        let serverHello = try TLSServerHello(message)
        // A server that does not select TLS 1.3 answers in TLS 1.2 (if we offered it) or older.
        guard let versionData = serverHello.extensions[.supportedVersions] else {
            guard !retried else { throw .illegal("a TLS 1.2 ServerHello after a HelloRetryRequest") }
            try clientReceiveServerHello12(serverHello, message: message)
            return
        }
        guard try TLSSupportedVersions.decodeServer(versionData) == .tls13 else { throw .illegal("the server selected a version not offered") }
        guard serverHello.legacyVersion == .tls12 else { throw .illegal("legacy_version \(serverHello.legacyVersion.rawValue)") }
        guard serverHello.sessionID == hello.sessionID else { throw .illegal("the server did not echo the session ID") }
        guard hello.cipherSuites.contains(serverHello.cipherSuite), let parameters = serverHello.cipherSuite.parameters,
              parameters.version == .tls13 else {
            throw .illegal("the server chose cipher suite \(serverHello.cipherSuite.rawValue), which was not offered")
        }
        guard serverHello.compressionMethod == 0 else { throw .illegal("a compression method") }
        let allowed: [TLSExtensionType] = serverHello.isHelloRetryRequest ? [.supportedVersions, .keyShare, .cookie]
            : [.supportedVersions, .keyShare, .preSharedKey]
        for item in serverHello.extensions.all where !allowed.contains(item.type) {
            throw TLSError(hello.extensions.contains(item.type) ? .illegalParameter : .unsupportedExtension,
                           "extension \(item.type.rawValue) in a ServerHello")
        }

        if serverHello.isHelloRetryRequest {
            guard !retried else { throw TLSError(.unexpectedMessage, "a second HelloRetryRequest") }
            guard let groupData = serverHello.extensions[.keyShare] else { throw TLSError(.missingExtension, "a HelloRetryRequest without key_share") }
            let group = try TLSKeyShare.decodeRetry(groupData)
            guard configuration.groups.contains(group), !ephemeralKeys.contains(where: { $0.group == group }) else {
                throw .illegal("a HelloRetryRequest for group \(group.rawValue)")
            }
            retrySuite = serverHello.cipherSuite
            suite = serverHello.cipherSuite
            version = .tls13
            transcript = TLSTranscript.restarted(parameters.hash, afterClientHello: firstClientHello)
            transcript?.append(message.bytes)
            let key = try TLSEphemeralKey(group: group, random: random)
            ephemeralKeys = [key]
            var extensions = TLSExtensions()
            for item in hello.extensions.all {
                if item.type == .keyShare {
                    extensions.append(.keyShare, TLSKeyShare.encodeClient([TLSKeyShareEntry(group: group, keyExchange: key.share)]))
                } else {
                    extensions.append(item.type, item.data)
                }
            }
            if let cookie = serverHello.extensions[.cookie] { extensions.append(.cookie, cookie) }
            // The PSK stays last, its binder now over the new transcript; a PSK whose hash is not
            // the suite's is dropped (RFC 8446 section 4.1.4).
            let offered = extensions.all.first { $0.type == .preSharedKey }
            var second = TLSClientHello(random: hello.random, sessionID: hello.sessionID, cipherSuites: hello.cipherSuites,
                                        extensions: TLSExtensions(extensions.all.filter { $0.type != .preSharedKey }))
            if offered != nil, let ticket = configuration.resumption, ticket.cipherSuite.parameters?.hash == parameters.hash {
                second = offering(ticket, in: second, after: transcript)
            }
            clientHello = second
            if configuration.middleboxCompatibility { sendChangeCipherSpec(into: &output) }
            queue(second.message)
            phase = .waitServerHello(retried: true)
            return
        }

        if retried, serverHello.cipherSuite != retrySuite { throw .illegal("the ServerHello's suite differs from the HelloRetryRequest's") }
        guard let shareData = serverHello.extensions[.keyShare] else { throw TLSError(.missingExtension, "a ServerHello without key_share") }
        let share = try TLSKeyShare.decodeServer(shareData)
        guard let key = ephemeralKeys.first(where: { $0.group == share.group }) else {
            throw .illegal("a key share for group \(share.group.rawValue), which we sent none for")
        }
        let sharedSecret = try key.sharedSecret(peerShare: share.keyExchange)
        ephemeralKeys = []
        if let selected = serverHello.extensions[.preSharedKey] {
            // RFC 8446 section 4.2.11: the one identity we offered, for a suite of its hash.
            var reader = TLSWireReader(selected)
            let index = try reader.readUInt16()
            try reader.expectEnd("pre_shared_key")
            guard index == 0, hello.extensions.contains(.preSharedKey), let ticket = configuration.resumption,
                  ticket.cipherSuite.parameters?.hash == parameters.hash else {
                throw .illegal("the server selected a PSK that was not offered")
            }
            resumptionKey = ticket.preSharedKey
        }
        suite = serverHello.cipherSuite
        version = .tls13
        if transcript == nil {
            transcript = TLSTranscript(parameters.hash)
            transcript?.append(firstClientHello)
        }
        transcript?.append(message.bytes)
        var keySchedule = TLS13KeySchedule(parameters.hash, preSharedKey: resumptionKey)
        keySchedule.addSharedSecret(sharedSecret)
        let helloHash = transcript?.hash ?? []
        clientHandshakeSecret = keySchedule.derive("c hs traffic", transcriptHash: helloHash)
        serverHandshakeSecret = keySchedule.derive("s hs traffic", transcriptHash: helloHash)
        schedule = keySchedule
        logHandshakeSecrets()
        reader = try protection(serverHandshakeSecret)
        keysChanged = true
        records.maximumFragment = TLSRecord.maximumProtected13
        phase = .waitEncryptedExtensions
    }

    private mutating func clientReceiveEncryptedExtensions(_ message: TLSHandshakeMessage) throws(TLSError) {
        guard let hello = clientHello, let configuration = client else { throw TLSError(.internalError, "no ClientHello") }
        let encrypted = try TLSEncryptedExtensions(message)
        for item in encrypted.extensions.all {
            guard hello.extensions.contains(item.type) else { throw TLSError(.unsupportedExtension, "extension \(item.type.rawValue) was not offered") }
            guard Self.encryptedExtensionTypes.contains(item.type) else { throw .illegal("extension \(item.type.rawValue) in EncryptedExtensions") }
        }
        if let protocolData = encrypted.extensions[.applicationLayerProtocolNegotiation] {
            let chosen = try TLSALPN.decode(protocolData)
            guard chosen.count == 1, configuration.applicationProtocols.contains(chosen[0]) else {
                throw .illegal("the server chose an application protocol not offered")
            }
            applicationProtocol = chosen[0]
        }
        if let nameData = encrypted.extensions[.serverName], !nameData.isEmpty { throw .decode("a non-empty server_name from the server") }
        if let limitData = encrypted.extensions[.recordSizeLimit] {
            sendLimit = min(TLSRecord.maximumPlaintext, try TLSRecordSizeLimit.decode(limitData) - 1)
        }
        transcript?.append(message.bytes)
        // A resumed session authenticates with the PSK: no certificate follows (section 2.2).
        phase = isResumed ? .waitServerFinished : .waitCertificateOrRequest
    }

    /// CertificateRequest (section 4.3.2): answered after the server's Finished with our chain,
    /// or an empty Certificate when we have none it accepts; the server decides whether that
    /// will do.
    private mutating func clientReceiveCertificateRequest(_ message: TLSHandshakeMessage) throws(TLSError) {
        let request = try TLSCertificateRequest(message)
        certificateRequestContext = request.context
        certificateRequestSchemes = try request.signatureSchemes()
        transcript?.append(message.bytes)
        phase = .waitCertificate
    }

    private mutating func clientReceiveCertificate(_ message: TLSHandshakeMessage, now: WallTime) throws(TLSError) {
        guard let configuration = client else { throw TLSError(.internalError, "no client configuration") }
        let certificate = try TLSCertificateMessage(message, version: .tls13)
        guard certificate.requestContext.isEmpty else { throw .illegal("a server certificate with a request context") }
        guard !certificate.entries.isEmpty else { throw .decode("the server sent no certificate") }
        for entry in certificate.entries where !entry.extensions.all.isEmpty {
            throw TLSError(.unsupportedExtension, "certificate extensions that were not asked for")
        }
        peerCertificates = certificate.entries.map { $0.certificate }
        peerPublicKey = try configuration.verifier.verify(chain: peerCertificates, for: .server(name: configuration.serverName), now: now)
        transcript?.append(message.bytes)
        phase = .waitCertificateVerify
    }

    private mutating func clientReceiveCertificateVerify(_ message: TLSHandshakeMessage) throws(TLSError) {
        guard let configuration = client, let key = peerPublicKey else { throw TLSError(.internalError, "no server key") }
        let verify = try TLSCertificateVerify(message)
        guard configuration.signatureSchemes.contains(verify.scheme), TLSSignatureScheme.handshakeSchemes.contains(verify.scheme) else {
            throw .illegal("signature scheme \(verify.scheme.rawValue) was not offered for TLS 1.3")
        }
        let content = TLSCertificateVerify.signedContent(server: true, transcriptHash: transcript?.hash ?? [])
        guard TLSSignatures.isValid(verify.signature, content: content, scheme: verify.scheme, key: key) else {
            throw TLSError(.decryptError, "the server's CertificateVerify does not verify")
        }
        transcript?.append(message.bytes)
        phase = .waitServerFinished
    }

    private mutating func clientReceiveFinished(_ message: TLSHandshakeMessage, into output: inout TLSOutput) throws(TLSError) {
        guard let configuration = client, let parameters = suite?.parameters, var keySchedule = schedule else {
            throw TLSError(.internalError, "no key schedule")
        }
        let expected = TLS13KeySchedule.finishedMAC(parameters.hash, baseKey: serverHandshakeSecret, transcriptHash: transcript?.hash ?? [])
        let finished = try TLSFinished(message, expectedLength: parameters.hash.digestLength)
        guard ConstantTime.equal(finished.verifyData, expected) else { throw TLSError(.decryptError, "the server's Finished does not verify") }
        transcript?.append(message.bytes)
        keySchedule.enterMasterSecret()
        let finishedHash = transcript?.hash ?? []
        readApplicationSecret = keySchedule.derive("s ap traffic", transcriptHash: finishedHash)
        writeApplicationSecret = keySchedule.derive("c ap traffic", transcriptHash: finishedHash)
        schedule = keySchedule
        logApplicationSecrets(finishedHash: finishedHash)
        reader = try protection(readApplicationSecret)
        keysChanged = true

        if configuration.middleboxCompatibility { sendChangeCipherSpec(into: &output) }
        writer = try protection(clientHandshakeSecret)
        if let context = certificateRequestContext {
            try queueClientCertificate(context: context, acceptedSchemes: certificateRequestSchemes)
        }
        queue(TLSFinished(verifyData: TLS13KeySchedule.finishedMAC(parameters.hash, baseKey: clientHandshakeSecret,
                                                                   transcriptHash: transcript?.hash ?? [])).message)
        resumptionMasterSecret = keySchedule.derive("res master", transcriptHash: transcript?.hash ?? [])
        try flush(into: &output)
        writer = try protection(writeApplicationSecret)
        phase = .connected
        output.handshakeComplete = true
    }

    /// `hello` offering `ticket` (RFC 8446 section 4.2.11): psk_key_exchange_modes (with
    /// (EC)DHE only) and, last, pre_shared_key with the ticket's obfuscated age and its binder,
    /// the Finished-style MAC over the transcript (`prefix`, after a HelloRetryRequest, then this
    /// ClientHello cut before the binders).
    func offering(_ ticket: TLSSessionTicket, in hello: TLSClientHello, after prefix: TLSTranscript?) -> TLSClientHello {
        guard let hash = ticket.cipherSuite.parameters?.hash else { return hello }
        var items = hello.extensions.all.filter { $0.type != .preSharedKey && $0.type != .pskKeyExchangeModes }
        items.append(TLSExtension(.pskKeyExchangeModes, TLSOpaqueExtension.encode([1], lengthBytes: 1)))
        let identity = TLSOfferedPSKs.Identity(identity: ticket.ticket, obfuscatedTicketAge: ticket.obfuscatedAge(at: currentTime))
        let placeholder = TLSOfferedPSKs(identities: [identity], binders: [[UInt8](repeating: 0, count: hash.digestLength)])
        var draft = hello
        draft.extensions = TLSExtensions(items + [TLSExtension(.preSharedKey, placeholder.extensionData)])
        var binderTranscript = prefix ?? TLSTranscript(hash)
        binderTranscript.append(Array(draft.message.bytes.dropLast(placeholder.bindersLength)))
        let binderKey = TLS13KeySchedule(hash, preSharedKey: ticket.preSharedKey).binderKey()
        let binder = TLS13KeySchedule.finishedMAC(hash, baseKey: binderKey, transcriptHash: binderTranscript.hash)
        draft.extensions = TLSExtensions(items + [TLSExtension(.preSharedKey, TLSOfferedPSKs(identities: [identity], binders: [binder]).extensionData)])
        return draft
    }
}
