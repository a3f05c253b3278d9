import MirageCore
import MirageCrypto
import MirageTLS

extension FuzzTargets {
    /// The TLS record layer (MirageTLS) on a byte stream from outside: records are cut from the
    /// input fed in pieces (the first byte chooses their size) and each protected one opened under
    /// fixed TLS 1.3 and TLS 1.2 keys, each alert record read as an alert. The framer must never hold more than one record and one
    /// piece. With the first byte's high bit set, the input is instead sealed under the fixed key
    /// (its second byte choosing type and padding) and must open to itself.
    static let tlsRecords = FuzzTarget("tls-records", "TLS record framing and TLS 1.3/1.2 record protection") { bytes in
        guard let first = bytes.first else { return }
        let input = Array(bytes.dropFirst())
        let key = [UInt8](repeating: 0x0B, count: 16), iv = [UInt8](repeating: 0x0C, count: 12)
        guard var sealer = try? TLS13RecordProtection(cipher: .aes128GCM, key: key, iv: iv),
              var opener13 = try? TLS13RecordProtection(cipher: .aes128GCM, key: key, iv: iv),
              var opener12 = try? TLS12RecordProtection(cipher: .aes128GCM, key: key, iv: [1, 2, 3, 4]) else { return }
        if first & 0x80 != 0, let control = input.first {
            let content = Array(input.dropFirst().prefix(TLSRecord.maximumPlaintext - 64))
            let type: TLSContentType = [.alert, .handshake, .applicationData][Int(control) % 3]
            guard let sealed = try? sealer.seal(content, type: type, padding: Int(control >> 2)) else { return }
            let opened = try? opener13.open(TLSRecord(type: .applicationData, fragment: Array(sealed[TLSRecord.headerLength...])))
            require(opened?.type == type && opened?.content == content, "a sealed record does not open to itself")
            return
        }
        var framer = TLSRecordFramer(maximumFragment: TLSRecord.maximumProtected12)
        let piece = Int(first & 0x7F) + 1
        var offset = 0
        while offset < input.count {
            let end = min(offset + piece, input.count)
            framer.append(Array(input[offset..<end]))
            offset = end
            while true {
                guard let record = try? framer.next() else { break }
                switch record.type {
                case .applicationData:
                    _ = try? opener13.open(record)
                    _ = try? opener12.open(record)
                case .alert:
                    if let alert = try? TLSAlert(bytes: record.fragment) { _ = alert.description.name }
                default:
                    break
                }
            }
            require(framer.bufferedCount <= TLSRecord.headerLength + TLSRecord.maximumProtected12 + piece,
                    "the record framer holds \(framer.bufferedCount) bytes")
        }
    }

    /// Handshake messages from outside (MirageTLS): the input is cut into messages by the
    /// handshake framer and each read by the parser of its type; every extension of a hello is
    /// decoded too. A ClientHello or ServerHello that reads is written again and must read back
    /// the same.
    static let tlsHandshake = FuzzTarget("tls-handshake", "TLS handshake framing, messages and extensions, round-tripped") { bytes in
        var framer = TLSHandshakeFramer(maximumMessage: 1 << 14)
        guard (try? framer.append(Array(UnsafeRawBufferPointer(bytes)))) != nil else { return }
        while let message = try? framer.next() {
            switch message.type {
            case .clientHello:
                guard let hello = try? TLSClientHello(message) else { continue }
                require((try? TLSClientHello(hello.message)) == hello, "a ClientHello does not read back")
                decodeExtensions(hello.extensions, client: true)
                _ = hello.truncatedForBinders()
            case .serverHello:
                guard let hello = try? TLSServerHello(message) else { continue }
                require((try? TLSServerHello(hello.message)) == hello, "a ServerHello does not read back")
                decodeExtensions(hello.extensions, client: false)
            case .encryptedExtensions:
                if let extensions = try? TLSEncryptedExtensions(message) { decodeExtensions(extensions.extensions, client: false) }
            case .certificate:
                for version in [TLSProtocolVersion.tls12, .tls13] {
                    guard let chain = try? TLSCertificateMessage(message, version: version) else { continue }
                    require((try? TLSCertificateMessage(chain.message(version: version), version: version)) == chain,
                            "a Certificate does not read back")
                }
            case .certificateVerify: _ = try? TLSCertificateVerify(message)
            case .certificateRequest:
                if let request = try? TLSCertificateRequest(message) {
                    require((try? TLSCertificateRequest(request.message)) == request, "a CertificateRequest does not read back")
                    _ = try? request.signatureSchemes()
                }
                if let request = try? TLSCertificateRequest12(message) {
                    require((try? TLSCertificateRequest12(request.message)) == request, "a TLS 1.2 CertificateRequest does not read back")
                }
            case .finished:
                _ = try? TLSFinished(message, expectedLength: 12)
                _ = try? TLSFinished(message, expectedLength: 32)
            case .newSessionTicket:
                _ = try? TLSNewSessionTicket(message)
                if let ticket = try? TLS12NewSessionTicket(message) {
                    require((try? TLS12NewSessionTicket(ticket.message)) == ticket, "a TLS 1.2 NewSessionTicket does not read back")
                }
            case .keyUpdate: _ = try? TLSKeyUpdate(message)
            default: continue
            }
        }
    }

    /// Every extension value the engine reads, decoded as the client's or the server's form.
    private static func decodeExtensions(_ extensions: TLSExtensions, client: Bool) {
        for item in extensions.all {
            let data = item.data
            switch item.type {
            case .serverName: _ = try? TLSServerName(extensionData: data)
            case .supportedGroups, .signatureAlgorithms, .signatureAlgorithmsCert: _ = try? TLSCodePointList.decode(data, what: "list")
            case .supportedVersions:
                if client { _ = try? TLSSupportedVersions.decodeClient(data) } else { _ = try? TLSSupportedVersions.decodeServer(data) }
            case .keyShare:
                if client {
                    _ = try? TLSKeyShare.decodeClient(data)
                } else {
                    _ = try? TLSKeyShare.decodeServer(data)
                    _ = try? TLSKeyShare.decodeRetry(data)
                }
            case .applicationLayerProtocolNegotiation: _ = try? TLSALPN.decode(data)
            case .recordSizeLimit: _ = try? TLSRecordSizeLimit.decode(data)
            case .preSharedKey:
                if let offered = try? TLSOfferedPSKs(extensionData: data) {
                    require((try? TLSOfferedPSKs(extensionData: offered.extensionData)) == offered, "pre_shared_key does not read back")
                }
            case .cookie: _ = try? TLSOpaqueExtension.decode(data, lengthBytes: 2, minimum: 1, maximum: 0xFFFF, what: "cookie")
            case .renegotiationInfo: _ = try? TLSOpaqueExtension.decode(data, lengthBytes: 1, minimum: 0, maximum: 0xFF, what: "renegotiation_info")
            case .pskKeyExchangeModes: _ = try? TLSOpaqueExtension.decode(data, lengthBytes: 1, minimum: 1, maximum: 0xFF, what: "psk_key_exchange_modes")
            default: continue
            }
        }
    }
}

extension FuzzTargets {
    /// X.509 certificates from outside (MirageTLS): the reader on DER, then what path validation
    /// asks of a certificate (its names against a host, its signature under its own key).
    static let x509 = FuzzTarget("x509", "X.509 certificate reader, names and self-signature check") { bytes in
        guard let certificate = try? X509Certificate(der: Array(UnsafeRawBufferPointer(bytes))) else { return }
        require(certificate.dnsNames.allSatisfy { $0.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F } }, "a dNSName that is not printable ASCII")
        require(certificate.ipAddresses.allSatisfy { $0.count == 4 || $0.count == 16 }, "an iPAddress of another length")
        for host in ["www.example.org", "a.wild.example", "10.0.0.2"] { _ = X509Verifier.matches(certificate, host) }
        let verifier = X509Verifier(anchors: [certificate])
        for purpose in [TLSCertificatePurpose.server(name: nil), .client] {
            _ = try? verifier.verify(chain: [certificate.der], for: purpose, now: WallTime(seconds: 1_790_000_000))
        }
    }
}
