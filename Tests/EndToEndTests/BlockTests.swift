import Foundation
import Testing

extension EndToEnd {
    @Suite("Block unikernel end to end", .serialized)
    struct BlockTests {
        static let directory = repositoryRoot + "/Examples/block"

        /// The pattern the example writes (Examples/block/BlockTest.swift).
        static func pattern(sector: UInt64, sectorSize: Int) -> [UInt8] {
            (0..<sectorSize).map { offset in UInt8(truncatingIfNeeded: sector &* 31 &+ UInt64(offset) &* 7) }
        }

        @Test("writes a pattern across a file-backed device, verifies it, and logs the out-of-range refusal")
        func patternWrittenAndVerified() throws {
            try swiftMirage(["clean"], in: Self.directory)
            try swiftMirage(["configure", "-t", "unix"], in: Self.directory)
            try swiftMirage(["build"], in: Self.directory)
            let image = scratchDirectory + "mirage-block-\(getpid()).img"
            defer { try? FileManager.default.removeItem(atPath: image) }
            FileManager.default.createFile(atPath: image, contents: Data(count: 64 * 1024))
            let result = try run([Self.directory + "/dist/block", "--block:storage=\(image)"])
            #expect(result.status == 0, "\(result.errorOutput)")
            let rests = result.errorLines.compactMap(parseLogLine).map(\.rest)
            #expect(rests == [
                "[INFO] [application] block device: 128 sectors of 512 bytes, read-write",
                "[INFO] [application] wrote the pattern to all 128 sectors",
                "[INFO] [application] read back and verified all 128 sectors",
                "[INFO] [application] reading sector 128 was refused as expected: sectors 128 ..< 129 are outside the device's 128 sectors",
            ])
            let contents = try #require(FileManager.default.contents(atPath: image))
            #expect(contents.count == 64 * 1024)
            for sector in [0, 1, 77, 127] as [UInt64] {
                let start = Int(sector) * 512
                #expect(Array(contents[start..<start + 512]) == Self.pattern(sector: sector, sectorSize: 512))
            }
        }

        @Test("a missing image is a clear error and exit status 1")
        func missingImage() throws {
            try configureAndBuild(Self.directory)
            let result = try run([Self.directory + "/dist/block", "--block:storage=/nonexistent/disk.img"])
            #expect(result.status == 1)
            #expect(result.errorLines.compactMap(parseLogLine).map(\.rest) == [
                "[ERROR] [runtime] cannot connect device 'block:storage': cannot open '/nonexistent/disk.img': No such file or directory",
            ])
        }

        @Test("describe prints the device graph, as text and as dot")
        func describe() throws {
            let text = try swiftMirage(["describe", "-t", "unix"], in: Self.directory).output
            #expect(text == "unikernel block\n  target: unix\n  main: BlockTest(block:storage)\n  devices:\n    block:storage: BlockDevice (image=disk.img, size=1048576)\n      implementation: FileBlockDevice over the file --block:storage=FILE (default disk.img)\n")
            let dot = try swiftMirage(["describe", "-t", "unix", "--dot"], in: Self.directory).output
            #expect(dot.hasPrefix("digraph \"block\" {"))
            #expect(dot.contains("\"block:storage\" -> \"main\";"))
            #expect(dot.contains("\"block:storage implementation\" [label=\"FileBlockDevice over the file --block:storage=FILE (default disk.img)\", shape=note];"))
        }

        @Test("clean removes mirage/ and dist/")
        func clean() throws {
            try swiftMirage(["configure"], in: Self.directory)
            try swiftMirage(["clean"], in: Self.directory)
            #expect(!FileManager.default.fileExists(atPath: Self.directory + "/mirage"))
            #expect(!FileManager.default.fileExists(atPath: Self.directory + "/dist"))
        }
    }
}
