import MirageCrypto
import MirageTLS
import MirageTesting
import Testing

/// The handshake message in `bytes` (header included), through the framer as the engine gets it.
func message(_ bytes: [UInt8]) throws(TLSError) -> TLSHandshakeMessage {
    var framer = TLSHandshakeFramer()
    try framer.append(bytes)
    guard let message = try framer.next() else { throw TLSError(.decodeError, "an incomplete message") }
    return message
}

/// Records cut from a stream split anywhere, the limits on records and handshake messages, and
/// record protection of both versions (RFC 8446 section 5, RFC 5246 section 6.2.3.3, RFC 5288,
/// RFC 7905).
@Suite("TLS record layer")
struct RecordLayerTests {
    @Test("records come out whole however the stream is split, down to a byte at a time")
    func framingAtEverySplit() throws {
        let records = [
            TLSRecord(type: .handshake, version: 0x0301, fragment: [1, 2, 3]),
            TLSRecord(type: .changeCipherSpec, fragment: [1]),
            TLSRecord(type: .applicationData, fragment: [UInt8](repeating: 0xEE, count: 300)),
            TLSRecord(type: .alert, fragment: [2, 40]),
        ]
        let stream = records.flatMap(\.bytes)
        for split in 1...stream.count {
            var framer = TLSRecordFramer()
            var received: [TLSRecord] = []
            var offset = 0
            while offset < stream.count {
                framer.append(Array(stream[offset..<min(offset + split, stream.count)]))
                offset += split
                while let record = try framer.next() { received.append(record) }
            }
            #expect(received == records, "split every \(split) bytes")
            #expect(framer.bufferedCount == 0)
        }
    }

    @Test("an oversized record is refused from its header, before its body is held")
    func oversizeRecord() {
        var framer = TLSRecordFramer()
        framer.append([23, 3, 3, 0x40, 0x01])  // 16,385 bytes announced
        #expect(throws: TLSError(.recordOverflow, "a record of 16385 bytes where 16384 are allowed")) { try framer.next() }
        var protected = TLSRecordFramer(maximumFragment: TLSRecord.maximumProtected13)
        protected.append([23, 3, 3, 0x41, 0x00] + [UInt8](repeating: 0, count: 0x4100))
        #expect((try? protected.next())??.fragment.count == 0x4100)
        protected.append([23, 3, 3, 0x41, 0x01])
        #expect(throws: TLSError.self) { try protected.next() }
    }

    @Test("an unknown content type is unexpected_message; a version other than 3.x is protocol_version")
    func badHeaders() {
        var framer = TLSRecordFramer()
        framer.append(Array("GET / HTTP/1.1\r\n".utf8))
        #expect(throws: TLSError(.unexpectedMessage, "a record of content type 71")) { try framer.next() }
        var sslv2 = TLSRecordFramer()
        sslv2.append([22, 2, 0, 0, 1, 0])
        #expect(throws: TLSError(.protocolVersion, "record version 512")) { try sslv2.next() }
    }

    @Test("handshake messages join across records and split within one; an oversized one is refused from its header")
    func handshakeFraming() throws {
        let first = TLSHandshakeMessage(type: .finished, body: [UInt8](repeating: 1, count: 40))
        let second = TLSHandshakeMessage(type: .keyUpdate, body: [0])
        let stream = first.bytes + second.bytes
        for split in 1...stream.count {
            var framer = TLSHandshakeFramer()
            var received: [TLSHandshakeMessage] = []
            var offset = 0
            while offset < stream.count {
                try framer.append(Array(stream[offset..<min(offset + split, stream.count)]))
                offset += split
                while let message = try framer.next() { received.append(message) }
            }
            #expect(received == [first, second])
            #expect(!framer.hasPartialMessage)
        }
        var framer = TLSHandshakeFramer(maximumMessage: 1000)
        try framer.append([11, 0, 0x03, 0xE9])
        #expect(throws: TLSError.self) { try framer.next() }
        var empty = TLSHandshakeFramer()
        #expect(throws: TLSError(.unexpectedMessage, "an empty handshake record")) { try empty.append([]) }
    }

    @Test("TLS 1.3 records round-trip for each suite, hide their type and padding, and refuse tampering",
          arguments: [TLSRecordCipher.aes128GCM, .aes256GCM, .chacha20Poly1305])
    func tls13Protection(cipher: TLSRecordCipher) throws {
        let secret = [UInt8](repeating: 0x5A, count: 32)
        let (key, iv) = TLS13KeySchedule.trafficKeys(.sha256, secret: secret, cipher: cipher)
        var sender = try TLS13RecordProtection(cipher: cipher, key: key, iv: iv)
        var receiver = try TLS13RecordProtection(cipher: cipher, key: key, iv: iv)
        var framer = TLSRecordFramer(maximumFragment: TLSRecord.maximumProtected13)
        for (index, content) in [[UInt8](repeating: 0x61, count: 100), [], [UInt8](repeating: 0, count: 16_384)].enumerated() {
            let type: TLSContentType = index == 0 ? .handshake : .applicationData
            let padding = index == 1 ? 200 : 0
            let sealed = try sender.seal(content, type: type, padding: padding)
            #expect(Array(sealed.prefix(3)) == [23, 3, 3], "the outer type is always application_data")
            #expect(sealed.count == 5 + content.count + 1 + padding + 16)
            framer.append(sealed)
            let record = try #require(try framer.next())
            let opened = try receiver.open(record)
            #expect(opened.type == type && opened.content == content)
        }
        // A flipped bit anywhere (the header's version included: the header is the associated
        // data; its length is the fragment's own) fails.
        let sealed = try sender.seal([1, 2, 3], type: .applicationData)
        for index in [0, 2, 5, 12, sealed.count - 1] {
            var tampered = sealed
            tampered[index] ^= index == 0 ? 0 : 1
            if index == 0 { tampered[1] = 0x01 }  // the version in the header
            var copy = receiver
            let record = TLSRecord(type: .applicationData, version: UInt16(tampered[1]) << 8 | UInt16(tampered[2]),
                                   fragment: Array(tampered[5...]))
            #expect(throws: TLSError.self) { try copy.open(record) }
        }
        // Replayed or reordered: the nonce is the sequence number, so the tag fails.
        var replay = receiver
        _ = try sender.seal([9], type: .applicationData)
        let third = try sender.seal([10], type: .applicationData)
        #expect(throws: TLSError.self) {
            try replay.open(TLSRecord(type: .applicationData, fragment: Array(third[5...])))
        }
    }

    @Test("records sealed in place after earlier bytes equal records sealed alone, both versions; a slice seals as its bytes",
          arguments: [TLSRecordCipher.aes128GCM, .chacha20Poly1305])
    func sealAppending(cipher: TLSRecordCipher) throws {
        let key = [UInt8](repeating: 3, count: cipher == .aes128GCM ? 16 : 32)
        var alone13 = try TLS13RecordProtection(cipher: cipher, key: key, iv: [UInt8](repeating: 4, count: 12))
        var appending13 = alone13
        let ivLength = TLS12RecordProtection.ivLength(cipher)
        var alone12 = try TLS12RecordProtection(cipher: cipher, key: key, iv: [UInt8](repeating: 5, count: ivLength))
        var appending12 = alone12
        let content = (0..<3000).map { UInt8(truncatingIfNeeded: $0) }
        var expected13: [UInt8] = [7, 7], output13: [UInt8] = [7, 7], expected12: [UInt8] = [8], output12: [UInt8] = [8]
        for range in [0..<1000, 1000..<1000, 1000..<3000] {
            expected13 += try alone13.seal(Array(content[range]), type: .applicationData)
            try appending13.seal(content[range], type: .applicationData, appendingTo: &output13)
            expected12 += try alone12.seal(Array(content[range]), type: .applicationData)
            try appending12.seal(content[range], type: .applicationData, appendingTo: &output12)
        }
        #expect(output13 == expected13 && output12 == expected12)
    }

    @Test("a TLS 1.3 record of padding only is unexpected_message; an inner plaintext over 2^14 + 1 is record_overflow")
    func tls13InnerPlaintextRules() throws {
        let key = [UInt8](repeating: 1, count: 16), iv = [UInt8](repeating: 2, count: 12)
        let aead = try AESGCM(key: key)
        // Built by hand with the AEAD: inner plaintexts the engine would never seal.
        func record(inner: [UInt8], sequence: UInt64) throws -> TLSRecord {
            var nonce = iv
            for index in 0..<8 { nonce[11 - index] ^= UInt8(truncatingIfNeeded: sequence >> (8 * UInt64(index))) }
            let length = inner.count + 16
            let header: [UInt8] = [23, 3, 3, UInt8(length >> 8), UInt8(length & 0xFF)]
            return TLSRecord(type: .applicationData, fragment: try aead.seal(inner, nonce: nonce, associatedData: header))
        }
        var receiver = try TLS13RecordProtection(cipher: .aes128GCM, key: key, iv: iv)
        #expect(throws: TLSError(.unexpectedMessage, "a record of padding only")) {
            try receiver.open(try record(inner: [0, 0, 0], sequence: 0))
        }
        receiver = try TLS13RecordProtection(cipher: .aes128GCM, key: key, iv: iv)
        #expect(throws: TLSError(.recordOverflow, "an inner plaintext of 16386 bytes")) {
            try receiver.open(try record(inner: [UInt8](repeating: 0x41, count: 16_385) + [23], sequence: 0))
        }
        receiver = try TLS13RecordProtection(cipher: .aes128GCM, key: key, iv: iv)
        #expect(throws: TLSError(.unexpectedMessage, "inner content type 99")) {
            try receiver.open(try record(inner: [1, 99, 0], sequence: 0))
        }
    }

    @Test("TLS 1.2 AEAD records round-trip; GCM sends its explicit nonce, ChaCha20 none",
          arguments: [TLSRecordCipher.aes128GCM, .aes256GCM, .chacha20Poly1305])
    func tls12Protection(cipher: TLSRecordCipher) throws {
        let key = [UInt8](repeating: 3, count: cipher.keyLength)
        let iv = [UInt8](repeating: 4, count: TLS12RecordProtection.ivLength(cipher))
        var sender = try TLS12RecordProtection(cipher: cipher, key: key, iv: iv)
        var receiver = try TLS12RecordProtection(cipher: cipher, key: key, iv: iv)
        for content in [[UInt8](repeating: 0x61, count: 100), [], [UInt8](repeating: 7, count: 16_384)] {
            let sealed = try sender.seal(content, type: .applicationData)
            #expect(sealed.count == 5 + TLS12RecordProtection.explicitNonceLength(cipher) + content.count + 16)
            let record = TLSRecord(type: .applicationData, fragment: Array(sealed[5...]))
            #expect(try receiver.open(record) == content)
        }
        // The type is authenticated: the same bytes under another type fail.
        let sealed = try sender.seal([1], type: .handshake)
        #expect(throws: TLSError.self) { try receiver.open(TLSRecord(type: .applicationData, fragment: Array(sealed[5...]))) }
    }
}
