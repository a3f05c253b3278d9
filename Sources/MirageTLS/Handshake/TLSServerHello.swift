/// ServerHello (RFC 8446 section 4.1.3), and HelloRetryRequest, which is a ServerHello whose
/// random is the fixed value ``helloRetryRequestRandom``.
public struct TLSServerHello: Equatable, Sendable {
    /// `legacy_version`: 0x0303, TLS 1.3 being chosen in `supported_versions`.
    public var legacyVersion: TLSProtocolVersion
    public var random: [UInt8]
    /// The client's `legacy_session_id`, echoed.
    public var sessionID: [UInt8]
    public var cipherSuite: TLSCipherSuite
    /// `legacy_compression_method`: 0.
    public var compressionMethod: UInt8
    public var extensions: TLSExtensions

    /// SHA-256 of "HelloRetryRequest" (RFC 8446 section 4.1.3), the random of every HRR.
    public static let helloRetryRequestRandom: [UInt8] = [
        0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
        0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C,
    ]
    /// The last eight bytes of a TLS 1.3 server's random when it negotiates TLS 1.2, and of a
    /// TLS 1.2 server's when it negotiates an older version (RFC 8446 section 4.1.3): clients
    /// that offered more refuse such a ServerHello, which stops a downgrade.
    public static let downgradeTLS12: [UInt8] = [0x44, 0x4F, 0x57, 0x4E, 0x47, 0x52, 0x44, 0x01]
    public static let downgradeTLS11: [UInt8] = [0x44, 0x4F, 0x57, 0x4E, 0x47, 0x52, 0x44, 0x00]

    public init(legacyVersion: TLSProtocolVersion = .tls12, random: [UInt8], sessionID: [UInt8], cipherSuite: TLSCipherSuite,
                compressionMethod: UInt8 = 0, extensions: TLSExtensions) {
        self.legacyVersion = legacyVersion
        self.random = random
        self.sessionID = sessionID
        self.cipherSuite = cipherSuite
        self.compressionMethod = compressionMethod
        self.extensions = extensions
    }

    /// Whether this is a HelloRetryRequest.
    public var isHelloRetryRequest: Bool { random == Self.helloRetryRequestRandom }

    public init(_ message: TLSHandshakeMessage) throws(TLSError) {
        guard message.type == .serverHello else { throw TLSError(.unexpectedMessage, "handshake type \(message.type.rawValue) for a ServerHello") }
        var reader = message.bodyReader
        legacyVersion = TLSProtocolVersion(rawValue: try reader.readUInt16())
        random = try reader.readBytes(32)
        sessionID = try reader.readOpaque(lengthBytes: 1, maximum: 32)
        cipherSuite = TLSCipherSuite(rawValue: try reader.readUInt16())
        compressionMethod = try reader.readUInt8()
        extensions = reader.isAtEnd ? TLSExtensions() : try TLSExtensions.read(from: &reader)
        try reader.expectEnd("the ServerHello")
    }

    public var message: TLSHandshakeMessage {
        var writer = TLSWireWriter(reservingCapacity: 128)
        writer.append(legacyVersion.rawValue)
        writer.append(random)
        writer.appendOpaque(lengthBytes: 1, sessionID)
        writer.append(cipherSuite.rawValue)
        writer.append(compressionMethod)
        extensions.write(to: &writer)
        return TLSHandshakeMessage(type: .serverHello, body: writer.bytes)
    }
}
