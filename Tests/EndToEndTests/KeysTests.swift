import Foundation
import Testing

extension EndToEnd {
    /// Configure-time and boot-time keys of every type, through the generated wiring, compiled.
    @Suite("Keys end to end")
    struct KeysTests {
        @Test("a configure-time key is compiled in; boot keys are required, typed and passed by label")
        func keys() throws {
            let directory = scratchDirectory + "mirage-keys-\(getpid())"
            try? FileManager.default.removeItem(atPath: directory)
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: directory) }
            for file in ["config.swift", "Greeter.swift"] {
                try FileManager.default.copyItem(
                    atPath: repositoryRoot + "/Tests/MirageToolTests/Fixtures/keys/" + file, toPath: directory + "/" + file)
            }
            FileManager.default.createFile(atPath: directory + "/data.img", contents: Data(count: 2048))
            try swiftMirage(["configure", "-t", "unix", "--count=2"], in: directory)
            try swiftMirage(["build", "--debug"], in: directory)
            let image = directory + "/dist/greeter"

            let missing = try run([image, "--block:data=data.img"], in: directory)
            #expect(missing.status == 64)
            #expect(missing.errorLines.first == "greeter: boot argument '--greeting' is required")

            let malformed = try run([image, "--greeting=hi", "--loud-voice=maybe", "--block:data=data.img"], in: directory)
            #expect(malformed.status == 64)
            #expect(malformed.errorLines.first == "greeter: invalid value 'maybe' for boot argument '--loud-voice': expected true or false")

            let quiet = try run([image, "--greeting=hi", "--block:data=data.img"], in: directory)
            #expect(quiet.status == 0)
            #expect(quiet.errorOutput == "hi from a disk of 4 sectors\nhi from a disk of 4 sectors\n")

            let loud = try run([image, "--greeting", "hi", "--loud-voice", "--block:data", "data.img"], in: directory)
            #expect(loud.errorOutput == "HI from a disk of 4 sectors\nHI from a disk of 4 sectors\n")
        }
    }
}
