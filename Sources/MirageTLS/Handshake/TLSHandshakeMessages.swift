/// The TLS 1.3 handshake messages after the hellos (RFC 8446 sections 4.3-4.6), each read from
/// and written to a ``TLSHandshakeMessage``.

extension TLSHandshakeMessage {
    /// A reader over the body of a message that must be of `type`.
    /// - Throws: `unexpected_message` for another type.
    func body(of type: TLSHandshakeType, _ name: String) throws(TLSError) -> TLSWireReader {
        guard self.type == type else { throw TLSError(.unexpectedMessage, "handshake type \(self.type.rawValue) for \(name)") }
        return bodyReader
    }
}

/// EncryptedExtensions (RFC 8446 section 4.3.1): the server's extensions that need no key.
public struct TLSEncryptedExtensions: Equatable, Sendable {
    public var extensions: TLSExtensions

    public init(extensions: TLSExtensions) { self.extensions = extensions }

    public init(_ message: TLSHandshakeMessage) throws(TLSError) {
        var reader = try message.body(of: .encryptedExtensions, "EncryptedExtensions")
        extensions = try TLSExtensions.read(from: &reader)
        try reader.expectEnd("EncryptedExtensions")
    }

    public var message: TLSHandshakeMessage {
        var writer = TLSWireWriter()
        extensions.write(to: &writer)
        return TLSHandshakeMessage(type: .encryptedExtensions, body: writer.bytes)
    }
}

/// Certificate (RFC 8446 section 4.4.2; RFC 5246 section 7.4.2 for TLS 1.2, which has no
/// request context and no per-certificate extensions): the sender's chain, leaf first, in DER.
public struct TLSCertificateMessage: Equatable, Sendable {
    public struct Entry: Equatable, Sendable {
        public let certificate: [UInt8]
        public let extensions: TLSExtensions

        public init(certificate: [UInt8], extensions: TLSExtensions = TLSExtensions()) {
            self.certificate = certificate
            self.extensions = extensions
        }
    }

    /// Empty, except in answer to a post-handshake CertificateRequest.
    public var requestContext: [UInt8]
    public var entries: [Entry]

    public init(requestContext: [UInt8] = [], entries: [Entry]) {
        self.requestContext = requestContext
        self.entries = entries
    }

    public init(_ message: TLSHandshakeMessage, version: TLSProtocolVersion) throws(TLSError) {
        var reader = try message.body(of: .certificate, "Certificate")
        let modern = version >= .tls13
        requestContext = modern ? try reader.readOpaque(lengthBytes: 1, maximum: 0xFF) : []
        var list = try reader.readVector(lengthBytes: 3, maximum: 0xFFFFFF)
        try reader.expectEnd("Certificate")
        entries = []
        while !list.isAtEnd {
            let certificate = try list.readOpaque(lengthBytes: 3, minimum: 1, maximum: 0xFFFFFF)
            let extensions = modern ? try TLSExtensions.read(from: &list) : TLSExtensions()
            entries.append(Entry(certificate: certificate, extensions: extensions))
        }
    }

    public func message(version: TLSProtocolVersion) -> TLSHandshakeMessage {
        var writer = TLSWireWriter(reservingCapacity: entries.reduce(16) { $0 + $1.certificate.count + 8 })
        let modern = version >= .tls13
        if modern { writer.appendOpaque(lengthBytes: 1, requestContext) }
        writer.appendVector(lengthBytes: 3) { list in
            for entry in entries {
                list.appendOpaque(lengthBytes: 3, entry.certificate)
                if modern { entry.extensions.write(to: &list) }
            }
        }
        return TLSHandshakeMessage(type: .certificate, body: writer.bytes)
    }
}

/// CertificateVerify (RFC 8446 section 4.4.3): a signature over the transcript hash.
public struct TLSCertificateVerify: Equatable, Sendable {
    public var scheme: TLSSignatureScheme
    public var signature: [UInt8]

    public init(scheme: TLSSignatureScheme, signature: [UInt8]) {
        self.scheme = scheme
        self.signature = signature
    }

    public init(_ message: TLSHandshakeMessage) throws(TLSError) {
        var reader = try message.body(of: .certificateVerify, "CertificateVerify")
        scheme = TLSSignatureScheme(rawValue: try reader.readUInt16())
        signature = try reader.readOpaque(lengthBytes: 2, minimum: 0, maximum: 0xFFFF)
        try reader.expectEnd("CertificateVerify")
    }

    public var message: TLSHandshakeMessage {
        var writer = TLSWireWriter()
        writer.append(scheme.rawValue)
        writer.appendOpaque(lengthBytes: 2, signature)
        return TLSHandshakeMessage(type: .certificateVerify, body: writer.bytes)
    }

    /// What is signed (RFC 8446 section 4.4.3): 64 spaces, the context string, a zero byte and
    /// the transcript hash, so that a signature from one context cannot serve in another.
    public static func signedContent(server: Bool, transcriptHash: [UInt8]) -> [UInt8] {
        [UInt8](repeating: 0x20, count: 64)
            + Array((server ? "TLS 1.3, server CertificateVerify" : "TLS 1.3, client CertificateVerify").utf8)
            + [0] + transcriptHash
    }
}

/// Finished (RFC 8446 section 4.4.4; RFC 5246 section 7.4.9): the verify_data, whose length
/// the version and suite fix (a hash's length in TLS 1.3, 12 bytes in TLS 1.2).
public struct TLSFinished: Equatable, Sendable {
    public var verifyData: [UInt8]

    public init(verifyData: [UInt8]) { self.verifyData = verifyData }

    /// - Throws: `decode_error` unless the body is `expectedLength` bytes.
    public init(_ message: TLSHandshakeMessage, expectedLength: Int) throws(TLSError) {
        var reader = try message.body(of: .finished, "Finished")
        guard reader.remaining == expectedLength else { throw .decode("a Finished of \(reader.remaining) bytes, not \(expectedLength)") }
        verifyData = reader.readRest()
    }

    public var message: TLSHandshakeMessage { TLSHandshakeMessage(type: .finished, body: verifyData) }
}

/// NewSessionTicket (RFC 8446 section 4.6.1): a ticket the client may offer to resume.
public struct TLSNewSessionTicket: Equatable, Sendable {
    /// Seconds the ticket may be used for, at most 604,800 (seven days).
    public var lifetime: UInt32
    /// Added to the ticket's age to hide it from observers.
    public var ageAdd: UInt32
    public var nonce: [UInt8]
    public var ticket: [UInt8]
    public var extensions: TLSExtensions

    /// The longest lifetime RFC 8446 allows.
    public static let maximumLifetime: UInt32 = 604_800

    public init(lifetime: UInt32, ageAdd: UInt32, nonce: [UInt8], ticket: [UInt8], extensions: TLSExtensions = TLSExtensions()) {
        self.lifetime = lifetime
        self.ageAdd = ageAdd
        self.nonce = nonce
        self.ticket = ticket
        self.extensions = extensions
    }

    /// - Throws: `decode_error` for a malformed ticket; `illegal_parameter` for a lifetime over
    ///   seven days.
    public init(_ message: TLSHandshakeMessage) throws(TLSError) {
        var reader = try message.body(of: .newSessionTicket, "NewSessionTicket")
        lifetime = try reader.readUInt32()
        ageAdd = try reader.readUInt32()
        nonce = try reader.readOpaque(lengthBytes: 1, maximum: 0xFF)
        ticket = try reader.readOpaque(lengthBytes: 2, minimum: 1, maximum: 0xFFFF)
        extensions = try TLSExtensions.read(from: &reader)
        try reader.expectEnd("NewSessionTicket")
        guard lifetime <= Self.maximumLifetime else { throw .illegal("a ticket lifetime of \(lifetime) seconds") }
    }

    public var message: TLSHandshakeMessage {
        var writer = TLSWireWriter()
        writer.append(lifetime)
        writer.append(ageAdd)
        writer.appendOpaque(lengthBytes: 1, nonce)
        writer.appendOpaque(lengthBytes: 2, ticket)
        extensions.write(to: &writer)
        return TLSHandshakeMessage(type: .newSessionTicket, body: writer.bytes)
    }
}

/// TLS 1.2's NewSessionTicket (RFC 5077 section 3.3): sent by a server before its
/// ChangeCipherSpec when its ServerHello carried an empty session_ticket extension. An empty
/// ticket says the server changed its mind and gives none.
public struct TLS12NewSessionTicket: Equatable, Sendable {
    /// Seconds the client may keep it; 0 leaves it unspecified.
    public var lifetimeHint: UInt32
    public var ticket: [UInt8]

    public init(lifetimeHint: UInt32, ticket: [UInt8]) {
        self.lifetimeHint = lifetimeHint
        self.ticket = ticket
    }

    /// - Throws: `decode_error` for a malformed message.
    public init(_ message: TLSHandshakeMessage) throws(TLSError) {
        var reader = try message.body(of: .newSessionTicket, "NewSessionTicket")
        lifetimeHint = try reader.readUInt32()
        ticket = try reader.readOpaque(lengthBytes: 2, maximum: 0xFFFF)
        try reader.expectEnd("NewSessionTicket")
    }

    public var message: TLSHandshakeMessage {
        var writer = TLSWireWriter()
        writer.append(lifetimeHint)
        writer.appendOpaque(lengthBytes: 2, ticket)
        return TLSHandshakeMessage(type: .newSessionTicket, body: writer.bytes)
    }
}

/// KeyUpdate (RFC 8446 section 4.6.3): the sender's keys change after this message; the peer
/// is asked to update its own when `updateRequested`.
public struct TLSKeyUpdate: Equatable, Sendable {
    public var updateRequested: Bool

    public init(updateRequested: Bool) { self.updateRequested = updateRequested }

    /// - Throws: `decode_error` for a body other than one byte; `illegal_parameter` for a value
    ///   other than 0 or 1.
    public init(_ message: TLSHandshakeMessage) throws(TLSError) {
        var reader = try message.body(of: .keyUpdate, "KeyUpdate")
        let value = try reader.readUInt8()
        try reader.expectEnd("KeyUpdate")
        guard value <= 1 else { throw .illegal("KeyUpdate request \(value)") }
        updateRequested = value == 1
    }

    public var message: TLSHandshakeMessage {
        TLSHandshakeMessage(type: .keyUpdate, body: [updateRequested ? 1 : 0])
    }
}
