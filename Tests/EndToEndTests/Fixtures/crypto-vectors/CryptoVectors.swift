import MirageCore
import MirageCrypto
import MirageRuntime

/// Runs published test vectors through MirageCrypto on whatever target it is built for: in an
/// hvt guest this proves the freestanding link of BearSSL, the stack protector's canary and the
/// CPU features BearSSL picks, where they run (issue 14). The vectors come on a block device,
/// written by `make-vectors.py` from the same PyPI files the host tests read:
///
///   "MVEC" | count: UInt32 | records, each: kind: UInt8, expected: UInt8 (1 valid, 0 invalid,
///   2 acceptable), fields: UInt8, then each field as length: UInt32 and bytes (little-endian).
///
/// It logs one line per kind ("vectors: KIND: N run, F failed") and a total, and exits 1 when a
/// vector failed. Then it makes keys with a ``CryptoRandom`` over the platform's entropy and
/// checks that they sign and agree ("generated keys: ...").
struct CryptoVectors<Disk: BlockDevice, Random: EntropySource>: Unikernel {
    enum Failure: Error, CustomStringConvertible {
        case device(BlockError)
        case format(String)
        case failed(Int)
        case generatedKeys(String)

        var description: String {
            switch self {
            case let .device(error): "block device: \(error)"
            case let .format(what): "the vector file is malformed: \(what)"
            case let .failed(count): "\(count) vectors failed"
            case let .generatedKeys(what): "generated keys: \(what)"
            }
        }
    }

    let log = LogSource("application", documentation: "the crypto vectors")
    let disk: Disk
    let entropy: Random

    init(_ disk: Disk, _ entropy: Random) {
        self.disk = disk
        self.entropy = entropy
    }

    func start() async throws(Failure) {
        let bytes = try await readAll()
        var reader = VectorReader(bytes)
        guard reader.bytes(4) == Array("MVEC".utf8), let count = reader.uint32() else { throw .format("no MVEC header") }
        var tally: [UInt8: (run: Int, failed: Int)] = [:]
        var failed = 0
        for index in 0..<Int(count) {
            guard let record = reader.record() else { throw .format("record \(index) is cut short") }
            let passed = VectorCheck.run(record)
            var entry = tally[record.kind] ?? (0, 0)
            entry.run += 1
            if !passed {
                entry.failed += 1
                failed += 1
                log.error("vector \(index) of kind \(VectorCheck.name(record.kind)) (expected \(record.expected)) failed")
            }
            tally[record.kind] = entry
        }
        for kind in tally.keys.sorted() {
            let entry = tally[kind]!
            log.info("vectors: \(VectorCheck.name(kind)): \(entry.run) run, \(entry.failed) failed")
        }
        log.info("vectors: \(count) run, \(failed) failed")
        if failed > 0 { throw .failed(failed) }
        try checkGeneratedKeys()
    }

    /// P-256 and X25519 keys from a CryptoRandom seeded by the platform: ECDSA signs and
    /// verifies, both sides of each agreement meet, and two draws differ.
    func checkGeneratedKeys() throws(Failure) {
        let random = CryptoRandom(source: entropy)
        let message: [UInt8] = Array("generated".utf8)
        guard case let .ec(_, one) = try? PrivateKey.generateEC(.p256, using: random),
              case let .ec(_, two) = try? PrivateKey.generateEC(.p256, using: random), one != two,
              let pointOne = try? ECDH.publicKey(privateKey: one, curve: .p256),
              let pointTwo = try? ECDH.publicKey(privateKey: two, curve: .p256),
              let signature = try? ECDSA.sign(message: message, hash: .sha256, privateKey: one, curve: .p256),
              ECDSA.isValid(signature: signature, message: message, hash: .sha256, publicKey: pointOne, curve: .p256),
              let shared = try? ECDH.sharedSecret(privateKey: one, peerPublicKey: pointTwo, curve: .p256),
              shared == (try? ECDH.sharedSecret(privateKey: two, peerPublicKey: pointOne, curve: .p256)) else {
            throw .generatedKeys("P-256")
        }
        guard case let .x25519(a) = PrivateKey.generateX25519(using: random), case let .x25519(b) = PrivateKey.generateX25519(using: random),
              let publicA = try? X25519.publicKey(privateKey: a), let publicB = try? X25519.publicKey(privateKey: b),
              let agreed = try? X25519.sharedSecret(privateKey: a, peerPublicKey: publicB),
              agreed == (try? X25519.sharedSecret(privateKey: b, peerPublicKey: publicA)) else {
            throw .generatedKeys("X25519")
        }
        log.info("generated keys: P-256 signs and verifies, P-256 and X25519 agreements meet")
    }

    /// The whole device, in requests of 64 sectors.
    func readAll() async throws(Failure) -> [UInt8] {
        let info = disk.info
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Int(info.sectorCount) * info.sectorSize)
        var sector: UInt64 = 0
        var buffer = [UInt8](repeating: 0, count: 64 * info.sectorSize)
        while sector < info.sectorCount {
            let count = min(64, Int(info.sectorCount - sector))
            if buffer.count != count * info.sectorSize { buffer = [UInt8](repeating: 0, count: count * info.sectorSize) }
            do { try await disk.read(at: sector, into: &buffer) } catch { throw .device(error) }
            bytes += buffer
            sector += UInt64(count)
        }
        return bytes
    }
}

/// One vector: its kind, its expected result and its fields.
struct VectorRecord {
    let kind: UInt8
    let expected: UInt8
    let fields: [[UInt8]]
}

struct VectorReader {
    let data: [UInt8]
    var position = 0

    init(_ data: [UInt8]) { self.data = data }

    mutating func bytes(_ count: Int) -> [UInt8]? {
        guard count >= 0, count <= data.count - position else { return nil }
        defer { position += count }
        return Array(data[position..<position + count])
    }

    mutating func uint32() -> UInt32? {
        guard let bytes = bytes(4) else { return nil }
        return UInt32(bytes[0]) | UInt32(bytes[1]) << 8 | UInt32(bytes[2]) << 16 | UInt32(bytes[3]) << 24
    }

    mutating func record() -> VectorRecord? {
        guard let header = bytes(3) else { return nil }
        var fields: [[UInt8]] = []
        for _ in 0..<header[2] {
            guard let length = uint32(), let field = bytes(Int(length)) else { return nil }
            fields.append(field)
        }
        return VectorRecord(kind: header[0], expected: header[1], fields: fields)
    }
}
