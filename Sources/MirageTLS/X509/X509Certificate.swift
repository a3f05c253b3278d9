import MirageCore
import MirageCrypto

/// An X.509 certificate (RFC 5280 section 4), read from DER with MirageCrypto's strict reader:
/// the fields path validation and TLS need, the to-be-signed bytes its signature covers, and
/// its extensions. An unknown extension marked critical makes the certificate unusable (section
/// 4.2), so it is refused here.
public struct X509Certificate: Equatable, Sendable {
    /// The whole certificate.
    public let der: [UInt8]
    /// The TBSCertificate, as signed.
    let toBeSigned: [UInt8]
    public let version: Int
    public let serialNumber: [UInt8]
    /// The signature algorithm (its identifier's DER contents and parameters).
    let signatureAlgorithm: X509SignatureAlgorithm
    let signature: [UInt8]
    /// Names in the form chaining compares (``X509Name/comparable(_:)``, RFC 5280 section 7.1):
    /// equal when the names are, though their encodings differ in case, spaces or string type.
    let issuer: [UInt8]
    let subject: [UInt8]
    public let notBefore: WallTime
    public let notAfter: WallTime
    public let publicKey: PublicKey

    // Extensions (section 4.2.1).
    /// basicConstraints: whether the subject is a CA, and its path length limit.
    public let isCA: Bool
    public let pathLengthLimit: Int?
    /// keyUsage bits (bit 0 digitalSignature ... bit 5 keyCertSign), nil when absent.
    let keyUsage: UInt16?
    /// extendedKeyUsage purposes (OID contents), nil when absent.
    let extendedKeyUsage: [[UInt8]]?
    /// subjectAltName's dNSName and iPAddress entries.
    public let dnsNames: [String]
    public let ipAddresses: [[UInt8]]

    static let keyCertSignBit: UInt16 = 5
    static let digitalSignatureBit: UInt16 = 0
    /// id-kp-serverAuth, 1.3.6.1.5.5.7.3.1; id-kp-clientAuth, 1.3.6.1.5.5.7.3.2;
    /// anyExtendedKeyUsage, 2.5.29.37.0.
    static let serverAuth: [UInt8] = [0x2B, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x01]
    static let clientAuth: [UInt8] = [0x2B, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x02]
    static let anyExtendedKeyUsage: [UInt8] = [0x55, 0x1D, 0x25, 0x00]

    /// Reads a DER certificate. One signed with an algorithm not accepted still reads (its
    /// signature then never verifies: path validation refuses it as an issued certificate).
    /// - Throws: `bad_certificate` for one that does not parse or holds a critical extension
    ///   this reader does not know; `unsupported_certificate` for a key it cannot use.
    public init(der: [UInt8]) throws(TLSError) {
        do {
            self = try Self.parse(der)
        } catch .unsupportedKey {
            throw TLSError(.unsupportedCertificate, "a certificate key this engine does not support")
        } catch .malformedEncoding(let what) where what.hasPrefix("critical") {
            throw TLSError(.badCertificate, "a certificate with an unknown critical extension")
        } catch {
            throw TLSError(.badCertificate, "a certificate that does not parse")
        }
    }

    /// The certificates of a PEM text (a trust-anchor bundle, a chain), in order.
    public static func certificates(pem: String) throws(TLSError) -> [X509Certificate] {
        let blocks: [PEM.Block]
        do { blocks = try PEM.decode(pem) } catch { throw TLSError(.badCertificate, "not PEM") }
        var result: [X509Certificate] = []
        for block in blocks where block.label == "CERTIFICATE" { result.append(try X509Certificate(der: block.der)) }
        return result
    }

    private init(der: [UInt8], toBeSigned: [UInt8], version: Int, serialNumber: [UInt8], signatureAlgorithm: X509SignatureAlgorithm,
                 signature: [UInt8], issuer: [UInt8], subject: [UInt8], notBefore: WallTime, notAfter: WallTime, publicKey: PublicKey,
                 extensions: Extensions) {
        self.der = der
        self.toBeSigned = toBeSigned
        self.version = version
        self.serialNumber = serialNumber
        self.signatureAlgorithm = signatureAlgorithm
        self.signature = signature
        self.issuer = X509Name.comparable(issuer)
        self.subject = X509Name.comparable(subject)
        self.notBefore = notBefore
        self.notAfter = notAfter
        self.publicKey = publicKey
        isCA = extensions.isCA
        pathLengthLimit = extensions.pathLengthLimit
        keyUsage = extensions.keyUsage
        extendedKeyUsage = extensions.extendedKeyUsage
        dnsNames = extensions.dnsNames
        ipAddresses = extensions.ipAddresses
    }

    struct Extensions {
        var isCA = false
        var pathLengthLimit: Int?
        var keyUsage: UInt16?
        var extendedKeyUsage: [[UInt8]]?
        var dnsNames: [String] = []
        var ipAddresses: [[UInt8]] = []
    }

    private static func parse(_ der: [UInt8]) throws(CryptoError) -> X509Certificate {
        var outer = DERReader(der, context: "a certificate")
        var certificate = try outer.sequence()
        try outer.finish()
        let tbsContents = try certificate.read(DERReader.Tag.sequence)
        let outerAlgorithm = try certificate.read(DERReader.Tag.sequence)
        let signatureBits = try certificate.read(DERReader.Tag.bitString)
        try certificate.finish()
        guard signatureBits.first == 0 else { throw .malformedEncoding(what: "a signature with unused bits") }

        var tbs = DERReader(tbsContents, context: "a certificate")
        var version = 1
        if var explicit = try tbs.optional(0xA0) {
            version = try explicit.smallInteger() + 1
            try explicit.finish()
        }
        let serial = try tbs.read(DERReader.Tag.integer)
        let innerAlgorithm = try tbs.read(DERReader.Tag.sequence)
        guard innerAlgorithm == outerAlgorithm else { throw .malformedEncoding(what: "two signature algorithms") }
        let issuer = try tbs.read(DERReader.Tag.sequence)
        var validity = try tbs.sequence()
        let notBefore = try readTime(&validity), notAfter = try readTime(&validity)
        try validity.finish()
        let subject = try tbs.read(DERReader.Tag.sequence)
        let info = try tbs.read(DERReader.Tag.sequence)
        let publicKey = try PublicKey(subjectPublicKeyInfo: DER.element(DERReader.Tag.sequence.rawValue, info))
        _ = try tbs.optional(0x81)  // issuerUniqueID
        _ = try tbs.optional(0x82)  // subjectUniqueID
        var extensions = Extensions()
        if var explicit = try tbs.optional(0xA3) {
            guard version == 3 else { throw .malformedEncoding(what: "extensions in a version \(version) certificate") }
            extensions = try readExtensions(try explicit.sequence())
            try explicit.finish()
        }
        try tbs.finish()
        return X509Certificate(der: der, toBeSigned: DER.element(DERReader.Tag.sequence.rawValue, tbsContents), version: version,
                               serialNumber: serial, signatureAlgorithm: try X509SignatureAlgorithm(outerAlgorithm),
                               signature: Array(signatureBits.dropFirst()), issuer: issuer, subject: subject, notBefore: notBefore,
                               notAfter: notAfter, publicKey: publicKey, extensions: extensions)
    }

    private static func readTime(_ reader: inout DERReader) throws(CryptoError) -> WallTime {
        let tag = reader.nextTag ?? 0
        guard tag == 0x17 || tag == 0x18, let time = X509Time.parse(try reader.read(tag), tag: tag) else {
            throw .malformedEncoding(what: "a certificate time")
        }
        return time
    }

    private static func readExtensions(_ list: DERReader) throws(CryptoError) -> Extensions {
        var list = list
        var result = Extensions()
        var seen: [[UInt8]] = []
        while !list.isAtEnd {
            var item = try list.sequence()
            let identifier = try item.read(DERReader.Tag.objectIdentifier)
            var critical = false
            if item.nextTag == DERReader.Tag.boolean.rawValue {
                let value = try item.read(DERReader.Tag.boolean)
                guard value == [0xFF] else { throw .malformedEncoding(what: "a BOOLEAN that is not DER TRUE") }  // DEFAULT FALSE is omitted in DER
                critical = true
            }
            let value = try item.read(DERReader.Tag.octetString)
            try item.finish()
            guard !seen.contains(identifier) else { throw .malformedEncoding(what: "an extension twice") }
            seen.append(identifier)
            var reader = DERReader(value, context: "a certificate extension")
            switch identifier {
            case [0x55, 0x1D, 0x13]:  // basicConstraints
                var constraints = try reader.sequence()
                if constraints.nextTag == DERReader.Tag.boolean.rawValue {
                    guard try constraints.read(DERReader.Tag.boolean) == [0xFF] else { throw .malformedEncoding(what: "basicConstraints") }
                    result.isCA = true
                }
                if constraints.nextTag == DERReader.Tag.integer.rawValue { result.pathLengthLimit = try constraints.smallInteger() }
                try constraints.finish()
            case [0x55, 0x1D, 0x0F]:  // keyUsage
                let bits = try reader.read(DERReader.Tag.bitString)
                guard let unused = bits.first, unused < 8, bits.count >= 2, bits.count <= 3 else { throw .malformedEncoding(what: "keyUsage") }
                var usage: UInt16 = 0
                for (index, byte) in bits.dropFirst().enumerated() {
                    for bit in 0..<8 where byte & (0x80 >> bit) != 0 { usage |= 1 << UInt16(index * 8 + bit) }
                }
                result.keyUsage = usage
            case [0x55, 0x1D, 0x25]:  // extendedKeyUsage
                var purposes = try reader.sequence()
                var list: [[UInt8]] = []
                while !purposes.isAtEnd { list.append(try purposes.read(DERReader.Tag.objectIdentifier)) }
                result.extendedKeyUsage = list
            case [0x55, 0x1D, 0x11]:  // subjectAltName
                var names = try reader.sequence()
                while !names.isAtEnd {
                    switch names.nextTag {
                    case 0x82:
                        let name = try names.read(0x82)
                        guard name.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else { throw .malformedEncoding(what: "a dNSName") }
                        result.dnsNames.append(String(decoding: name, as: UTF8.self))
                    case 0x87:
                        let address = try names.read(0x87)
                        guard address.count == 4 || address.count == 16 else { throw .malformedEncoding(what: "an iPAddress") }
                        result.ipAddresses.append(address)
                    case let tag?:
                        _ = try names.read(tag)  // other name forms: not used for servers here
                    case nil:
                        break
                    }
                }
            default:
                if critical { throw .malformedEncoding(what: "critical extension") }
                continue
            }
            try reader.finish()
        }
        return result
    }
}
