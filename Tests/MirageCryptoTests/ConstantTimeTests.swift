import Foundation
import MirageCrypto
import Testing

/// Secret-independent control flow of our code around secrets (the ctgrind method): the program
/// `ctgrind-check` (Tests/ctgrind) runs under valgrind's memcheck with its secrets marked
/// undefined; any branch or memory index that depends on them is an error. Reports inside BearSSL
/// are suppressed (Tests/ctgrind/bearssl.supp): its constant-time claims are its own.
@Suite("Constant-time control flow under valgrind (ctgrind)")
struct ConstantTimeTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let program = root.appendingPathComponent(".build/debug/ctgrind-check").path

    func valgrind(_ arguments: [String]) throws -> (status: Int32, output: String) {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/valgrind") else {
            throw OracleFailure(description: "valgrind is not installed (scripts/test installs it)")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/valgrind")
        process.arguments = ["--error-exitcode=1", "-q", "--num-callers=12",
                             "--suppressions=" + Self.root.appendingPathComponent("Tests/ctgrind/bearssl.supp").path, Self.program] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    @Test("tags, shared secrets, scalars, signatures, base64 and private-key parsing branch on no secret")
    func secretsDoNotSteerControlFlow() throws {
        let (status, output) = try valgrind([])
        #expect(output.contains("ctgrind: 9 steps"), "\(output)")
        #expect(status == 0, "memcheck found control flow depending on a secret:\n\(output)")
    }

    @Test("the method catches a comparison with an early exit on secrets")
    func methodCatchesALeak() throws {
        let (status, output) = try valgrind(["--leaky"])
        #expect(output.contains("ctgrind: leaky comparison says true"))
        #expect(status == 1 && output.contains("depends on uninitialised value"), "\(output)")
    }
}
