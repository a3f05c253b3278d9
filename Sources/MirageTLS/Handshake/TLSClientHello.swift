/// ClientHello (RFC 8446 section 4.1.2; RFC 5246 section 7.4.1.2): the same structure for both
/// versions, TLS 1.3 being offered through the `supported_versions` extension.
public struct TLSClientHello: Equatable, Sendable {
    /// `legacy_version`: 0x0303 from any client offering TLS 1.2 or 1.3.
    public var legacyVersion: TLSProtocolVersion
    /// 32 bytes from the client's generator.
    public var random: [UInt8]
    /// `legacy_session_id`: up to 32 bytes; in middlebox compatibility mode 32 random bytes the
    /// server echoes (RFC 8446 section D.4).
    public var sessionID: [UInt8]
    public var cipherSuites: [TLSCipherSuite]
    /// `legacy_compression_methods`: TLS 1.3 requires exactly the one byte 0 (null).
    public var compressionMethods: [UInt8]
    public var extensions: TLSExtensions

    public init(legacyVersion: TLSProtocolVersion = .tls12, random: [UInt8], sessionID: [UInt8], cipherSuites: [TLSCipherSuite],
                compressionMethods: [UInt8] = [0], extensions: TLSExtensions) {
        self.legacyVersion = legacyVersion
        self.random = random
        self.sessionID = sessionID
        self.cipherSuites = cipherSuites
        self.compressionMethods = compressionMethods
        self.extensions = extensions
    }

    /// Reads a ClientHello's body.
    /// - Throws: `decode_error` for a field out of its range (RFC 8446 section 4.1.2) or bytes
    ///   after the extensions; `illegal_parameter` for a repeated extension.
    public init(body reader: inout TLSWireReader) throws(TLSError) {
        legacyVersion = TLSProtocolVersion(rawValue: try reader.readUInt16())
        random = try reader.readBytes(32)
        sessionID = try reader.readOpaque(lengthBytes: 1, maximum: 32)
        var suites = try reader.readVector(lengthBytes: 2, minimum: 2, maximum: 0xFFFE)
        guard suites.remaining % 2 == 0 else { throw .decode("cipher_suites of an odd length") }
        cipherSuites = []
        cipherSuites.reserveCapacity(suites.remaining / 2)
        while !suites.isAtEnd { cipherSuites.append(TLSCipherSuite(rawValue: try suites.readUInt16())) }
        compressionMethods = try reader.readOpaque(lengthBytes: 1, minimum: 1, maximum: 0xFF)
        // A TLS 1.0-era hello may end without extensions (RFC 5246 section 7.4.1.2).
        extensions = reader.isAtEnd ? TLSExtensions() : try TLSExtensions.read(from: &reader)
        try reader.expectEnd("the ClientHello")
    }

    /// Reads a whole ClientHello message.
    public init(_ message: TLSHandshakeMessage) throws(TLSError) {
        guard message.type == .clientHello else { throw TLSError(.unexpectedMessage, "handshake type \(message.type.rawValue) for a ClientHello") }
        var reader = message.bodyReader
        try self.init(body: &reader)
    }

    /// The whole message.
    public var message: TLSHandshakeMessage {
        var writer = TLSWireWriter(reservingCapacity: 512)
        writer.append(legacyVersion.rawValue)
        writer.append(random)
        writer.appendOpaque(lengthBytes: 1, sessionID)
        writer.appendVector(lengthBytes: 2) { for suite in cipherSuites { $0.append(suite.rawValue) } }
        writer.appendOpaque(lengthBytes: 1, compressionMethods)
        extensions.write(to: &writer)
        return TLSHandshakeMessage(type: .clientHello, body: writer.bytes)
    }

    /// The message without the binders of its `pre_shared_key` extension, which must be last
    /// (RFC 8446 section 4.2.11.2): what the binders are computed over. Nil when it has no PSK.
    public func truncatedForBinders() -> [UInt8]? {
        guard let last = extensions.all.last, last.type == .preSharedKey,
              let offered = try? TLSOfferedPSKs(extensionData: last.data) else { return nil }
        return Array(message.bytes.dropLast(offered.bindersLength))
    }
}
