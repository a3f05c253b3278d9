/// CertificateRequest (RFC 8446 section 4.3.2): a TLS 1.3 server asks the client for its
/// certificate; `signature_algorithms` says which schemes its CertificateVerify may use.
public struct TLSCertificateRequest: Equatable, Sendable {
    /// Empty in the main handshake (echoed in the client's Certificate).
    public var context: [UInt8]
    public var extensions: TLSExtensions

    public init(context: [UInt8] = [], signatureSchemes: [TLSSignatureScheme]) {
        self.context = context
        var extensions = TLSExtensions()
        extensions.append(.signatureAlgorithms, TLSCodePointList.encode(signatureSchemes.map { $0.rawValue }))
        self.extensions = extensions
    }

    /// - Throws: `decode_error` for a malformed message, `missing_extension` without
    ///   signature_algorithms (section 4.3.2).
    public init(_ message: TLSHandshakeMessage) throws(TLSError) {
        var reader = try message.body(of: .certificateRequest, "CertificateRequest")
        context = try reader.readOpaque(lengthBytes: 1, maximum: 0xFF)
        extensions = try TLSExtensions.read(from: &reader, minimum: 2)
        try reader.expectEnd("CertificateRequest")
        guard extensions.contains(.signatureAlgorithms) else { throw TLSError(.missingExtension, "a CertificateRequest without signature_algorithms") }
    }

    /// The schemes the server accepts.
    public func signatureSchemes() throws(TLSError) -> [TLSSignatureScheme] {
        guard let data = extensions[.signatureAlgorithms] else { return [] }
        return try TLSCodePointList.decode(data, what: "signature_algorithms").map { TLSSignatureScheme(rawValue: $0) }
    }

    public var message: TLSHandshakeMessage {
        var writer = TLSWireWriter()
        writer.appendOpaque(lengthBytes: 1, context)
        extensions.write(to: &writer)
        return TLSHandshakeMessage(type: .certificateRequest, body: writer.bytes)
    }
}

/// CertificateRequest of TLS 1.2 (RFC 5246 section 7.4.4): the kinds of certificate accepted,
/// the signature schemes, and the names of CAs (none: any the server's verifier trusts).
public struct TLSCertificateRequest12: Equatable, Sendable {
    /// ClientCertificateType (RFC 5246 section 7.4.4, RFC 8422 section 5.5).
    public static let rsaSign: UInt8 = 1
    public static let ecdsaSign: UInt8 = 64

    public var certificateTypes: [UInt8]
    public var signatureSchemes: [TLSSignatureScheme]
    /// DER distinguished names.
    public var authorities: [[UInt8]]

    public init(certificateTypes: [UInt8] = [Self.ecdsaSign, Self.rsaSign], signatureSchemes: [TLSSignatureScheme], authorities: [[UInt8]] = []) {
        self.certificateTypes = certificateTypes
        self.signatureSchemes = signatureSchemes
        self.authorities = authorities
    }

    public init(_ message: TLSHandshakeMessage) throws(TLSError) {
        var reader = try message.body(of: .certificateRequest, "CertificateRequest")
        certificateTypes = try reader.readOpaque(lengthBytes: 1, minimum: 1, maximum: 0xFF)
        var schemes = try reader.readVector(lengthBytes: 2, minimum: 2, maximum: 0xFFFE)
        guard schemes.remaining % 2 == 0 else { throw .decode("supported_signature_algorithms of an odd length") }
        signatureSchemes = []
        while !schemes.isAtEnd { signatureSchemes.append(TLSSignatureScheme(rawValue: try schemes.readUInt16())) }
        var names = try reader.readVector(lengthBytes: 2, maximum: 0xFFFF)
        authorities = []
        while !names.isAtEnd { authorities.append(try names.readOpaque(lengthBytes: 2, minimum: 1, maximum: 0xFFFF)) }
        try reader.expectEnd("CertificateRequest")
    }

    public var message: TLSHandshakeMessage {
        var writer = TLSWireWriter()
        writer.appendOpaque(lengthBytes: 1, certificateTypes)
        writer.appendVector(lengthBytes: 2) { for scheme in signatureSchemes { $0.append(scheme.rawValue) } }
        writer.appendVector(lengthBytes: 2) { for name in authorities { $0.appendOpaque(lengthBytes: 2, name) } }
        return TLSHandshakeMessage(type: .certificateRequest, body: writer.bytes)
    }
}
