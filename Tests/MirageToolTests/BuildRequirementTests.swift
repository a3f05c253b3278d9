import MirageConfig
@testable import MirageTool
import Testing

/// What `swift-mirage build` checks before it builds: BearSSL where the image will link it.
@Suite("Build requirements")
struct BuildRequirementTests {
    @Test("an hvt guest, or an application importing MirageCrypto, without libbearssl-dev gets a message naming the package")
    func bearSSL() throws {
        let absent: (String) -> Bool = { _ in false }
        #expect(throws: ToolError("error: an hvt guest links BearSSL (its random number generator), and /usr/lib/x86_64-linux-gnu/libbearssl.a is missing: install Debian's libbearssl-dev (apt-get install libbearssl-dev)")) {
            try UnikernelProject.requireBearSSL(target: .hvt, libraries: [], present: absent)
        }
        #expect(throws: ToolError.self) { try UnikernelProject.requireBearSSL(target: .unix, libraries: ["MirageCrypto"], present: absent) }
        try UnikernelProject.requireBearSSL(target: .unix, libraries: ["MirageHTTP"], present: absent)
        try UnikernelProject.requireBearSSL(target: .hvt, libraries: [], present: { _ in true })
    }
}
