import Foundation
import Testing

extension EndToEnd {
    /// The published vectors through MirageCrypto inside a unikernel (Tests/EndToEndTests/Fixtures/
    /// crypto-vectors): in a Linux process, and in an hvt guest, where the freestanding link of BearSSL,
    /// the stack protector's canary and the CPU features BearSSL picks are what is proven.
    @Suite("Crypto vectors inside unikernels", .serialized)
    struct CryptoTests {
        static let directory = repositoryRoot + "/Tests/EndToEndTests/Fixtures/crypto-vectors"

        /// Writes the vector file from .build/vectors; returns its path and how many vectors it holds.
        static func vectorFile() throws -> (path: String, count: Int) {
            let path = scratchDirectory + "mirage-crypto-vectors-\(getpid()).bin"
            let made = try run(["/usr/bin/python3", directory + "/make-vectors.py", repositoryRoot + "/.build/vectors", path])
            guard made.status == 0, let count = Int(made.output.trimmingCharacters(in: .whitespacesAndNewlines)) else {
                throw ToolFailure(description: "make-vectors.py failed (are the vectors in .build/vectors? scripts/test installs them): \(made.errorOutput)")
            }
            return (path, count)
        }

        static func expectAllPassed(_ result: Finished, count: Int) {
            #expect(result.status == 0, "\(result.errorOutput)")
            let rests = result.errorLines.compactMap(parseLogLine).map(\.rest)
            #expect(rests.contains("[INFO] [application] vectors: \(count) run, 0 failed"), "\(result.errorOutput)")
            #expect(rests.contains("[INFO] [application] generated keys: P-256 signs and verifies, P-256 and X25519 agreements meet"))
            #expect(rests.filter { $0.hasPrefix("[INFO] [application] vectors: ") }.count == 18, "17 kinds and the total")
            print("crypto vectors in a unikernel: \(count) run")
        }

        @Test("unix: every vector gives its expected result in a Linux process")
        func unix() throws {
            let vectors = try Self.vectorFile()
            defer { try? FileManager.default.removeItem(atPath: vectors.path) }
            try configureAndBuild(Self.directory)
            Self.expectAllPassed(try run([Self.directory + "/dist/crypto-vectors", "--block:vectors=\(vectors.path)"]), count: vectors.count)
        }

        @Test("hvt: every vector gives its expected result in a KVM guest", .enabled(if: kvmAvailable, "SKIP: /dev/kvm is absent or not writable"))
        func hvt() throws {
            let vectors = try Self.vectorFile()
            defer { try? FileManager.default.removeItem(atPath: vectors.path) }
            let image = try HVTTests.buildGuest(Self.directory)
            Self.expectAllPassed(try run([tender, "--mem=64", "--block:vectors=\(vectors.path)", "--", image]), count: vectors.count)
        }
    }
}
