import MirageCore
import MirageCrypto
@testable import MirageTLS
import MirageTesting
import Testing

/// A hostile peer against the server and the client (RFC 8446 section 6.2: every fault its
/// alert): malformed, duplicate and out-of-order handshake messages, bad Finished, downgrade
/// attempts, oversized records, renegotiation, early data, ChangeCipherSpec misuse. Each ends
/// the connection with the RFC's alert and nothing traps; another connection of the same server
/// configuration completes meanwhile.
@Suite("TLS 1.3 against a hostile peer")
struct HostileTests {
    static let now = WallTime(seconds: 1_790_000_000)
    static func server() -> TLSConnection {
        TLSConnection(server: TLSServerConfiguration(chains: [TestKeys.chain(TestKeys.p256)]), random: SeededEntropy(seed: 9))
    }

    /// A genuine ClientHello from our client, to be spoiled.
    static func clientHello(_ configure: (inout TLSClientConfiguration) -> Void = { _ in }) throws -> TLSClientHello {
        var configuration = clientConfiguration()
        configure(&configuration)
        var client = TLSConnection(client: configuration, random: SeededEntropy(seed: 10))
        var framer = TLSRecordFramer()
        framer.append(client.start().records)
        return try TLSClientHello(message(try #require(try framer.next()).fragment))
    }

    static func record(_ type: TLSContentType, _ fragment: [UInt8]) -> [UInt8] {
        TLSRecord(type: type, fragment: fragment).bytes
    }

    /// What `bytes` sent to a fresh server make it do: the alert it sends and ends with.
    static func serverAlert(_ bytes: [UInt8]) -> TLSAlertDescription? {
        var server = server()
        let output = server.receive(bytes, now: now)
        if output.error != nil {
            #expect(server.isClosed)
            // The alert went out: the last record is an alert (plaintext before keys).
            #expect(output.records.count >= 7)
        }
        return output.error?.alert
    }

    @Test("malformed ClientHellos: bad lengths, duplicate extensions, wrong compression, missing extensions, bad shares")
    func malformedClientHellos() throws {
        let hello = try Self.clientHello()
        var body = hello.message.body
        body[34] = 40  // a session ID length past its 32-byte maximum
        #expect(Self.serverAlert(Self.record(.handshake, TLSHandshakeMessage(type: .clientHello, body: body).bytes)) == .decodeError)

        var truncated = hello.message.bytes
        truncated.removeLast(3)
        truncated[3] = UInt8((truncated.count - 4) & 0xFF)
        truncated[2] = UInt8((truncated.count - 4) >> 8)
        #expect(Self.serverAlert(Self.record(.handshake, truncated)) == .decodeError)

        var duplicated = hello
        duplicated.extensions = TLSExtensions(hello.extensions.all + [hello.extensions.all[1]])
        #expect(Self.serverAlert(Self.record(.handshake, duplicated.message.bytes)) == .illegalParameter)

        var compressed = hello
        compressed.compressionMethods = [1, 0]
        #expect(Self.serverAlert(Self.record(.handshake, compressed.message.bytes)) == .illegalParameter)

        var unsigned = hello
        unsigned.extensions = TLSExtensions(hello.extensions.all.filter { $0.type != .signatureAlgorithms })
        #expect(Self.serverAlert(Self.record(.handshake, unsigned.message.bytes)) == .missingExtension)

        for share in [[UInt8](repeating: 0, count: 32), [UInt8](repeating: 9, count: 31)] {
            var weak = hello
            weak.extensions = TLSExtensions(hello.extensions.all.map { item in
                item.type == .keyShare ? TLSExtension(.keyShare, TLSKeyShare.encodeClient([TLSKeyShareEntry(group: .x25519, keyExchange: share)])) : item
            })
            #expect(Self.serverAlert(Self.record(.handshake, weak.message.bytes)) == .illegalParameter, "share of \(share.count) bytes")
        }

        var stray = hello
        stray.extensions = TLSExtensions(hello.extensions.all.map { item in
            item.type == .supportedGroups ? TLSExtension(.supportedGroups, TLSCodePointList.encode([TLSNamedGroup.secp256r1.rawValue])) : item
        })
        #expect(Self.serverAlert(Self.record(.handshake, stray.message.bytes)) == .illegalParameter, "a share for an unlisted group")
    }

    @Test("downgrades: TLS 1.2 answers carry the sentinel; a fallback or a client without the extended master secret is refused; a TLS 1.3-only server says protocol_version; our client refuses a TLS 1.2 ServerHello")
    func downgrades() throws {
        var old = try Self.clientHello()
        old.cipherSuites = TLSCipherSuite.tls12Suites
        old.extensions = TLSExtensions(old.extensions.all.filter { ![.supportedVersions, .keyShare, .extendedMasterSecret, .renegotiationInfo].contains($0.type) }
                                       + [TLSExtension(.extendedMasterSecret, []), TLSExtension(.renegotiationInfo, [0])])
        var server = Self.server()
        let answer = server.receive(Self.record(.handshake, old.message.bytes), now: Self.now)
        #expect(answer.error == nil, "\(String(describing: answer.error))")
        var framer = TLSRecordFramer()
        framer.append(answer.records)
        var messages = TLSHandshakeFramer()
        try messages.append(try #require(try framer.next()).fragment)
        let serverHello = try TLSServerHello(try #require(try messages.next()))
        #expect(serverHello.cipherSuite == .ecdheECDSAWithAES128GCMSHA256)
        #expect(Array(serverHello.random.suffix(8)) == TLSServerHello.downgradeTLS12, "the downgrade sentinel (RFC 8446 section 4.1.3)")

        var fallback = old
        fallback.cipherSuites.append(.fallbackSCSV)
        #expect(Self.serverAlert(Self.record(.handshake, fallback.message.bytes)) == .inappropriateFallback)
        var weak = old
        weak.extensions = TLSExtensions(old.extensions.all.filter { $0.type != .extendedMasterSecret })
        #expect(Self.serverAlert(Self.record(.handshake, weak.message.bytes)) == .handshakeFailure)
        var onlyThirteen = TLSServerConfiguration(chains: [TestKeys.chain(TestKeys.p256)])
        onlyThirteen.versions = [.tls13]
        var strict = TLSConnection(server: onlyThirteen, random: SeededEntropy(seed: 9))
        #expect(strict.receive(Self.record(.handshake, old.message.bytes), now: Self.now).error?.alert == .protocolVersion)

        // Our client offering TLS 1.3 and 1.2 refuses a TLS 1.2 answer carrying the downgrade
        // sentinel (RFC 8446 section 4.1.3); one offering TLS 1.3 only refuses any TLS 1.2 answer.
        let hello = try Self.clientHello()
        var renegotiable = TLSExtensions()
        renegotiable.append(.renegotiationInfo, [0])
        renegotiable.append(.extendedMasterSecret, [])
        for sentinel in [TLSServerHello.downgradeTLS12, TLSServerHello.downgradeTLS11] {
            var client = TLSConnection(client: clientConfiguration(), random: SeededEntropy(seed: 11))
            _ = client.start()
            let tls12 = TLSServerHello(random: [UInt8](repeating: 1, count: 24) + sentinel, sessionID: hello.sessionID,
                                       cipherSuite: .ecdheECDSAWithAES128GCMSHA256, extensions: renegotiable)
            #expect(client.receive(Self.record(.handshake, tls12.message.bytes), now: Self.now).error?.alert == .illegalParameter)
        }
        var thirteenOnly = clientConfiguration()
        thirteenOnly.versions = [.tls13]
        var strictClient = TLSConnection(client: thirteenOnly, random: SeededEntropy(seed: 11))
        _ = strictClient.start()
        let plain = TLSServerHello(random: [UInt8](repeating: 1, count: 32), sessionID: hello.sessionID,
                                   cipherSuite: .ecdheECDSAWithAES128GCMSHA256, extensions: renegotiable)
        #expect(strictClient.receive(Self.record(.handshake, plain.message.bytes), now: Self.now).error?.alert == .protocolVersion)
        // A TLS 1.2 server without the extended master secret is refused.
        var client = TLSConnection(client: clientConfiguration(), random: SeededEntropy(seed: 12))
        _ = client.start()
        var weakExtensions = TLSExtensions()
        weakExtensions.append(.renegotiationInfo, [0])
        let weakHello = TLSServerHello(random: [UInt8](repeating: 1, count: 32), sessionID: [], cipherSuite: .ecdheECDSAWithAES128GCMSHA256,
                                       extensions: weakExtensions)
        #expect(client.receive(Self.record(.handshake, weakHello.message.bytes), now: Self.now).error?.alert == .handshakeFailure)
    }

    @Test("out of order: Finished first, application data first, an empty handshake record, a bad alert")
    func outOfOrder() throws {
        #expect(Self.serverAlert(Self.record(.handshake, TLSFinished(verifyData: [UInt8](repeating: 0, count: 32)).message.bytes))
                == .unexpectedMessage)
        #expect(Self.serverAlert(Self.record(.applicationData, [1, 2, 3])) == .unexpectedMessage)
        #expect(Self.serverAlert(Self.record(.handshake, [])) == .unexpectedMessage)
        #expect(Self.serverAlert(Self.record(.changeCipherSpec, [1])) == .unexpectedMessage, "a ChangeCipherSpec before the ClientHello")
        #expect(Self.serverAlert(Self.record(.alert, [2, 40, 0])) == .decodeError)
        #expect(Self.serverAlert([23, 3, 3, 0x40, 0x01]) == .recordOverflow)
        #expect(Self.serverAlert([99, 3, 3, 0, 1, 0]) == .unexpectedMessage)
    }

    /// A handshake whose client side is ours, with the client's flight after the server's
    /// handed to `spoil` before the server sees it.
    static func completeWith(spoiledFinished spoil: ([UInt8]) -> [UInt8]) throws -> TLSOutput {
        var pair = TLSPair(client: clientConfiguration(), server: TLSServerConfiguration(chains: [TestKeys.chain(TestKeys.p256)]))
        let hello = pair.client.start().records
        let flight = pair.server.receive(hello, now: now).records
        let answer = pair.client.receive(flight, now: now).records
        return pair.server.receive(spoil(answer), now: now)
    }

    @Test("a client Finished that does not verify is decrypt_error; a tampered record is bad_record_mac")
    func badFinished() throws {
        // The client's answer: its ChangeCipherSpec (6 bytes), then the Finished record.
        let wrongKey = try Self.completeWith { answer in
            var bytes = answer
            bytes[bytes.count - 20] ^= 0x01  // inside the tag: the record does not open
            return bytes
        }
        #expect(wrongKey.error?.alert == .badRecordMAC)

        // A Finished of the right length and a wrong value, sealed under the client's handshake
        // key (reached through @testable: a real attacker would need the key, a buggy peer not).
        var pair = TLSPair(client: clientConfiguration(), server: TLSServerConfiguration(chains: [TestKeys.chain(TestKeys.p256)]))
        let hello = pair.client.start().records
        _ = pair.client.receive(pair.server.receive(hello, now: Self.now).records, now: Self.now)
        pair.client.writer = try pair.client.protection(pair.client.clientHandshakeSecret)
        let forged = pair.client.sealHandshake(TLSFinished(verifyData: [UInt8](repeating: 0, count: 32)).message)
        #expect(pair.server.receive(forged, now: Self.now).error?.alert == .decryptError)
    }

    @Test("ChangeCipherSpec misuse: a wrong byte, two of them, one after the handshake")
    func changeCipherSpec() throws {
        let wrongByte = try Self.completeWith { answer in Self.record(.changeCipherSpec, [2]) + Array(answer.dropFirst(6)) }
        #expect(wrongByte.error?.alert == .unexpectedMessage)
        let twice = try Self.completeWith { answer in Array(answer.prefix(6)) + answer }
        #expect(twice.error?.alert == .unexpectedMessage)

        var pair = TLSPair(client: clientConfiguration(), server: TLSServerConfiguration(chains: [TestKeys.chain(TestKeys.p256)]))
        pair.handshake()
        let output = pair.server.receive(Self.record(.changeCipherSpec, [1]), now: Self.now)
        #expect(output.error?.alert == .unexpectedMessage)
    }

    @Test("renegotiation: a ClientHello or HelloRequest after the handshake is unexpected_message")
    func renegotiation() throws {
        for message in [try Self.clientHello().message, TLSHandshakeMessage(type: .helloRequest, body: [])] {
            var pair = TLSPair(client: clientConfiguration(), server: TLSServerConfiguration(chains: [TestKeys.chain(TestKeys.p256)]))
            pair.handshake()
            // Sealed under the client's keys, as anything after the handshake must be.
            let records = pair.client.sealHandshake(message)
            let output = pair.server.receive(records, now: Self.now)
            #expect(output.error?.alert == .unexpectedMessage, "message \(message.type.rawValue)")
        }
    }

    @Test("0-RTT is refused cleanly: early data records are skipped up to the limit, then the handshake completes")
    func earlyData() throws {
        var hello = try Self.clientHello()
        hello.extensions = TLSExtensions(hello.extensions.all + [TLSExtension(.earlyData, [])])
        var server = Self.server()
        let junk = Self.record(.applicationData, [UInt8](repeating: 0xEE, count: 100))
        let output = server.receive(Self.record(.handshake, hello.message.bytes) + junk + junk, now: Self.now)
        #expect(output.error == nil, "\(String(describing: output.error))")
        #expect(!output.records.isEmpty, "the server answered")
        // Past the limit (16 KiB by default) the records are not early data any more.
        var flooded = Self.server()
        let big = Self.record(.applicationData, [UInt8](repeating: 0xEE, count: 16_000))
        let flood = flooded.receive(Self.record(.handshake, hello.message.bytes) + big + big, now: Self.now)
        #expect(flood.error?.alert == .badRecordMAC)
    }

    @Test("a hostile connection does not disturb another of the same configuration")
    func isolation() throws {
        var pair = TLSPair(client: clientConfiguration(), server: TLSServerConfiguration(chains: [TestKeys.chain(TestKeys.p256)]))
        let hello = pair.client.start().records
        #expect(Self.serverAlert(Self.record(.handshake, [1, 0, 0, 1, 0])) == .decodeError)
        pair.toServer = hello
        pair.pump()
        #expect(pair.client.isConnected && pair.server.isConnected)
    }
}
