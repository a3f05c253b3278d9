import MirageCore
import MirageCrypto
import MirageTLS
import MirageTesting

/// A certificate shaped enough for the engine (RFC 5280's fields up to the subject's key) around
/// `key`'s public key; its signature is not a signature: ``TLSUncheckedCertificates`` is the
/// verifier of these tests, and X.509 validation has tests of its own.
func testCertificate(for key: PrivateKey, name: String = "example.org") throws -> [UInt8] {
    let algorithm = DER.sequence([DER.objectIdentifier([0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x04, 0x03, 0x02])])  // ecdsa-with-SHA256
    let rdn = DER.sequence([DER.element(0x31, DER.sequence([DER.objectIdentifier([0x55, 0x04, 0x03]), DER.element(0x0C, Array(name.utf8))]))])
    let validity = DER.sequence([DER.element(0x17, Array("260101000000Z".utf8)), DER.element(0x17, Array("270101000000Z".utf8))])
    let tbs = DER.sequence([DER.element(0xA0, DER.unsignedInteger([2])), DER.unsignedInteger([1]), algorithm, rdn, validity, rdn,
                            try key.publicKey().subjectPublicKeyInfo])
    return DER.sequence([tbs, algorithm, DER.bitString([0])])
}

/// Test keys, made once from a fixed seed: RSA key generation is slow.
enum TestKeys {
    static let p256 = try! PrivateKey.generateEC(.p256, using: SeededEntropy(seed: 1))
    static let p384 = try! PrivateKey.generateEC(.p384, using: SeededEntropy(seed: 2))
    static let rsa = try! PrivateKey.generateRSA(bits: 2048, using: SeededEntropy(seed: 3))

    static func chain(_ key: PrivateKey, names: [String] = ["example.org"]) -> TLSCertificateChain {
        try! TLSCertificateChain(certificates: [try! testCertificate(for: key, name: names.first ?? "x")], privateKey: key, serverNames: names)
    }
}

/// A client and a server connected in memory, records passed whole or cut into pieces.
struct TLSPair {
    var client: TLSConnection
    var server: TLSConnection
    var toServer: [UInt8] = []
    var toClient: [UInt8] = []
    var clientReceived: [UInt8] = []
    var serverReceived: [UInt8] = []
    var clientOutputs: [TLSOutput] = []
    var serverOutputs: [TLSOutput] = []
    /// Seconds added to the time the pair's calls are made at (ticket expiry).
    var nowOffset: Int64 = 0
    var now: WallTime { WallTime(seconds: 1_790_000_000 + nowOffset) }

    init(client: TLSClientConfiguration, server: TLSServerConfiguration, seed: UInt64 = 42) {
        self.client = TLSConnection(client: client, random: SeededEntropy(seed: seed))
        self.server = TLSConnection(server: server, random: SeededEntropy(seed: seed &+ 1))
    }

    /// Runs the handshake, delivering in pieces of `piece` bytes (all at once when nil).
    mutating func handshake(piece: Int? = nil) {
        let first = client.start(now: now)
        toServer += first.records
        pump(piece: piece)
    }

    /// Delivers what each side has for the other until neither has more.
    mutating func pump(piece: Int? = nil) {
        var rounds = 0
        while (!toServer.isEmpty || !toClient.isEmpty) && rounds < 100 {
            rounds += 1
            let forServer = toServer, forClient = toClient
            toServer = []
            toClient = []
            for chunk in Self.pieces(forServer, piece) {
                let output = server.receive(chunk, now: now)
                serverOutputs.append(output)
                toClient += output.records
                serverReceived += output.applicationData
            }
            for chunk in Self.pieces(forClient, piece) {
                let output = client.receive(chunk, now: now)
                clientOutputs.append(output)
                toServer += output.records
                clientReceived += output.applicationData
            }
        }
    }

    static func pieces(_ bytes: [UInt8], _ size: Int?) -> [[UInt8]] {
        guard let size, !bytes.isEmpty else { return bytes.isEmpty ? [] : [bytes] }
        return stride(from: 0, to: bytes.count, by: size).map { Array(bytes[$0..<min($0 + size, bytes.count)]) }
    }

    var errors: [TLSError] { (clientOutputs + serverOutputs).compactMap(\.error) }
}

func clientConfiguration(name: String? = "example.org") -> TLSClientConfiguration {
    TLSClientConfiguration(serverName: name, verifier: TLSUncheckedCertificates())
}
