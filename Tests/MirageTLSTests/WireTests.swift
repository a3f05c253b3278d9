import Foundation
import MirageCrypto
import MirageTLS
import MirageTesting
import Testing

/// The TLS presentation language's reader and writer (RFC 8446 section 3), and the hello
/// messages over them: bounds, vector ranges, duplicate extensions, round trips.
@Suite("TLS wire format")
struct WireTests {
    @Test("vectors are read within their declared range and never past their end")
    func vectorBounds() throws {
        var reader = TLSWireReader([0x00, 0x03, 0xAA, 0xBB, 0xCC, 0x01])
        #expect(try reader.readOpaque(lengthBytes: 2, maximum: 3) == [0xAA, 0xBB, 0xCC])
        #expect(throws: TLSError.self) { try reader.expectEnd("test") }
        #expect(try reader.readUInt8() == 1)
        #expect(throws: TLSError(.decodeError, "truncated at byte 6")) { try reader.readUInt8() }

        var tooLong = TLSWireReader([0x00, 0x04, 1, 2, 3])
        #expect(throws: TLSError.self) { try tooLong.readOpaque(lengthBytes: 2, maximum: 0xFFFF) }
        var outOfRange = TLSWireReader([0x00, 0x01, 1])
        #expect((try? outOfRange.readOpaque(lengthBytes: 2, minimum: 2, maximum: 10)) == nil)
        // A nested vector cannot read into the bytes after it.
        var outer = TLSWireReader([0x02, 0x00, 0x05, 9, 9, 9])
        var inner = try outer.readVector(lengthBytes: 1, maximum: 255)
        #expect(throws: TLSError.self) { try inner.readOpaque(lengthBytes: 2, maximum: 255) }
        #expect(outer.remaining == 3)
    }

    @Test("the writer fills in vector lengths of one, two and three bytes")
    func writer() {
        var writer = TLSWireWriter()
        writer.appendVector(lengthBytes: 3) { $0.appendOpaque(lengthBytes: 1, [7, 8]) }
        writer.append(UInt16(0x0102))
        writer.appendUInt24(0x030405)
        #expect(writer.bytes == [0, 0, 3, 2, 7, 8, 1, 2, 3, 4, 5])
    }

    static func sampleClientHello() -> TLSClientHello {
        var extensions = TLSExtensions()
        extensions.append(.serverName, TLSServerName(hostName: "example.org").extensionData)
        extensions.append(.supportedVersions, TLSSupportedVersions.encodeClient([.tls13, .tls12]))
        extensions.append(.supportedGroups, TLSCodePointList.encode(TLSNamedGroup.supported.map(\.rawValue)))
        extensions.append(.keyShare, TLSKeyShare.encodeClient([TLSKeyShareEntry(group: .x25519, keyExchange: [UInt8](repeating: 9, count: 32))]))
        extensions.append(.applicationLayerProtocolNegotiation, TLSALPN.encode([Array("h2".utf8), Array("http/1.1".utf8)]))
        extensions.append(.preSharedKey, TLSOfferedPSKs(identities: [.init(identity: [1, 2, 3], obfuscatedTicketAge: 77)],
                                                        binders: [[UInt8](repeating: 0xBB, count: 32)]).extensionData)
        return TLSClientHello(random: [UInt8](repeating: 0x42, count: 32), sessionID: [UInt8](repeating: 0x55, count: 32),
                              cipherSuites: TLSCipherSuite.tls13Suites, extensions: extensions)
    }

    @Test("a ClientHello survives a round trip, and its extensions decode")
    func clientHelloRoundTrip() throws {
        let hello = Self.sampleClientHello()
        let decoded = try TLSClientHello(hello.message)
        #expect(decoded == hello)
        #expect(try TLSServerName(extensionData: decoded.extensions[.serverName]!).hostName == "example.org")
        #expect(try TLSSupportedVersions.decodeClient(decoded.extensions[.supportedVersions]!) == [.tls13, .tls12])
        #expect(try TLSKeyShare.decodeClient(decoded.extensions[.keyShare]!).map(\.group) == [.x25519])
        #expect(try TLSALPN.decode(decoded.extensions[.applicationLayerProtocolNegotiation]!).count == 2)
        // The binders are the last 2 + 1 + 32 bytes of the message.
        #expect(decoded.truncatedForBinders()?.count == hello.message.bytes.count - 35)
    }

    @Test("a repeated extension is illegal_parameter; trailing bytes and bad lengths are decode_error")
    func clientHelloRefusals() throws {
        let hello = Self.sampleClientHello()
        var bytes = hello.message.bytes
        // The first extension is server_name (type 0): make the second one server_name too.
        let extensionsStart = 4 + 2 + 32 + 1 + 32 + 2 + 2 * hello.cipherSuites.count + 2 + 2
        let secondType = extensionsStart + 4 + hello.extensions.all[0].data.count
        bytes[secondType] = 0
        bytes[secondType + 1] = 0
        #expect(throws: TLSError.self) { try TLSClientHello(message(bytes)) }
        do {
            _ = try TLSClientHello(message(bytes))
        } catch {
            #expect(error.alert == .illegalParameter)
        }
        var trailing = hello.message.body + [0]
        var reader = TLSWireReader(trailing)
        #expect(throws: TLSError.self) { try TLSClientHello(body: &reader) }
        trailing = hello.message.body
        trailing[2 + 32] = 33  // a session id longer than 32 bytes
        reader = TLSWireReader(trailing)
        #expect((try? TLSClientHello(body: &reader)) == nil)
    }

    @Test("every truncation of a ClientHello is refused with decode_error, never a trap")
    func truncations() {
        let hello = Self.sampleClientHello()
        let body = hello.message.body
        // Cut just before the extensions it is a hello without extensions, as TLS 1.0 allowed.
        let withoutExtensions = 2 + 32 + 1 + 32 + 2 + 2 * hello.cipherSuites.count + 2
        for length in 0..<body.count where length != withoutExtensions {
            var reader = TLSWireReader(Array(body.prefix(length)))
            do {
                _ = try TLSClientHello(body: &reader)
                Issue.record("a ClientHello cut at \(length) bytes was accepted")
            } catch {
                #expect(error.alert == .decodeError)
            }
        }
    }

    @Test("a HelloRetryRequest is recognised by its random; ServerHello round-trips")
    func serverHello() throws {
        var extensions = TLSExtensions()
        extensions.append(.supportedVersions, TLSSupportedVersions.encodeServer(.tls13))
        extensions.append(.keyShare, TLSKeyShare.encodeRetry(.secp256r1))
        let retry = TLSServerHello(random: TLSServerHello.helloRetryRequestRandom, sessionID: [], cipherSuite: .aes128GCMSHA256,
                                   extensions: extensions)
        let decoded = try TLSServerHello(retry.message)
        #expect(decoded == retry)
        #expect(decoded.isHelloRetryRequest)
        #expect(try TLSKeyShare.decodeRetry(decoded.extensions[.keyShare]!) == .secp256r1)
        // SHA-256("HelloRetryRequest"), as RFC 8446 section 4.1.3 defines the constant.
        #expect(MessageDigest.hash(.sha256, Array("HelloRetryRequest".utf8)) == TLSServerHello.helloRetryRequestRandom)
    }

    @Test("extension values refuse what their RFCs forbid")
    func extensionRefusals() {
        // Two key shares for one group (RFC 8446 section 4.2.8).
        let twice = TLSKeyShare.encodeClient([TLSKeyShareEntry(group: .x25519, keyExchange: [1]), TLSKeyShareEntry(group: .x25519, keyExchange: [2])])
        #expect(throws: TLSError.self) { try TLSKeyShare.decodeClient(twice) }
        // A record size limit under 64 (RFC 8449 section 4).
        #expect(throws: TLSError(.illegalParameter, "a record size limit of 63")) { try TLSRecordSizeLimit.decode([0, 63]) }
        // A host name with a trailing dot or a space (RFC 6066 section 3).
        #expect(throws: TLSError.self) { try TLSServerName(extensionData: TLSServerName(hostName: "a.example.").extensionData) }
        #expect(throws: TLSError.self) { try TLSServerName(extensionData: TLSServerName(hostName: "a b").extensionData) }
        // Two identities and one binder (RFC 8446 section 4.2.11).
        var writer = TLSWireWriter()
        writer.appendVector(lengthBytes: 2) {
            for identity in [[UInt8]([1]), [2]] { $0.appendOpaque(lengthBytes: 2, identity); $0.append(UInt32(0)) }
        }
        writer.appendVector(lengthBytes: 2) { $0.appendOpaque(lengthBytes: 1, [UInt8](repeating: 0, count: 32)) }
        #expect(throws: TLSError.self) { try TLSOfferedPSKs(extensionData: writer.bytes) }
        // KeyUpdate's request is 0 or 1 (RFC 8446 section 4.6.3).
        #expect(throws: TLSError.self) { try TLSKeyUpdate(TLSHandshakeMessage(type: .keyUpdate, body: [2])) }
        #expect(throws: TLSError.self) { try TLSNewSessionTicket(TLSNewSessionTicket(lifetime: 604_801, ageAdd: 0, nonce: [], ticket: [1]).message) }
    }

    /// The handshake messages of real OpenSSL handshakes (the tls-handshake fuzz seeds, written
    /// by Fuzz/make-seeds.py through Python's ssl): every message is read, the hellos round-trip.
    @Test("OpenSSL's hellos and TLS 1.2 server flight read, and the hellos write back byte for byte", arguments: ["tls13", "tls12"])
    func openSSLHandshakes(version: String) throws {
        let seed = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fuzz/Corpus/tls-handshake/\(version).hellos")
        var framer = TLSHandshakeFramer()
        try framer.append(Array(try Data(contentsOf: seed)))
        var types: [UInt8] = []
        while let message = try framer.next() {
            types.append(message.type.rawValue)
            switch message.type {
            case .clientHello:
                let hello = try TLSClientHello(message)
                #expect(hello.message == message)
                #expect(try TLSServerName(extensionData: try #require(hello.extensions[.serverName])).hostName == "example.org")
                #expect(try TLSSupportedVersions.decodeClient(try #require(hello.extensions[.supportedVersions])).contains(.tls13))
                #expect(try TLSKeyShare.decodeClient(try #require(hello.extensions[.keyShare])).contains { $0.group == .x25519 })
                #expect(try TLSALPN.decode(try #require(hello.extensions[.applicationLayerProtocolNegotiation])).first == Array("h2".utf8))
            case .serverHello:
                let hello = try TLSServerHello(message)
                #expect(hello.message == message)
                let chosen = hello.extensions[.supportedVersions].flatMap { try? TLSSupportedVersions.decodeServer($0) }
                #expect(chosen == (version == "tls13" ? .tls13 : nil))
            case .certificate:
                #expect(try TLSCertificateMessage(message, version: .tls12).entries.first?.certificate.first == 0x30)
            default: break
            }
        }
        // TLS 1.3: ClientHello, ServerHello (the rest is encrypted). TLS 1.2: ClientHello,
        // ServerHello, Certificate, ServerKeyExchange, ServerHelloDone.
        #expect(types == (version == "tls13" ? [1, 2] : [1, 2, 11, 12, 14]))
    }

    @Test("Certificate reads both versions' forms; the other messages round-trip")
    func laterMessages() throws {
        let chain = TLSCertificateMessage(entries: [.init(certificate: [0x30, 1, 2]), .init(certificate: [0x30, 3])])
        #expect(try TLSCertificateMessage(chain.message(version: .tls13), version: .tls13) == chain)
        #expect(try TLSCertificateMessage(chain.message(version: .tls12), version: .tls12) == chain)
        #expect(chain.message(version: .tls12).bytes.count == chain.message(version: .tls13).bytes.count - 1 - 2 * 2)
        let verify = TLSCertificateVerify(scheme: .ecdsaSecp256r1SHA256, signature: [1, 2, 3])
        #expect(try TLSCertificateVerify(verify.message) == verify)
        let finished = TLSFinished(verifyData: [UInt8](repeating: 7, count: 32))
        #expect(try TLSFinished(finished.message, expectedLength: 32) == finished)
        #expect(throws: TLSError.self) { try TLSFinished(finished.message, expectedLength: 48) }
        let ticket = TLSNewSessionTicket(lifetime: 7200, ageAdd: 0xDEADBEEF, nonce: [0], ticket: [1, 2, 3])
        #expect(try TLSNewSessionTicket(ticket.message) == ticket)
        #expect(try TLSKeyUpdate(TLSKeyUpdate(updateRequested: true).message).updateRequested)
        #expect(throws: TLSError.self) { try TLSEncryptedExtensions(finished.message) }
        let content = TLSCertificateVerify.signedContent(server: true, transcriptHash: [0xAA])
        #expect(content.count == 64 + 33 + 1 + 1 && content[64] == UInt8(ascii: "T"))
    }
}
