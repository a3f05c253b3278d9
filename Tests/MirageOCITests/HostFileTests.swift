import Foundation
import MirageOCI
import Testing

/// The bound on what mirage-runc reads whole: a bundle's config.json, an image's mirage.json.
struct HostFileTests {
    @Test("a file up to HostFile.maximumSize is read whole; one byte more is refused with a message, so a hostile image's mirage.json cannot make the runtime hold more")
    func boundedRead() throws {
        let path = NSTemporaryDirectory() + "mirage-hostfile-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data(count: HostFile.maximumSize).write(to: URL(fileURLWithPath: path))
        #expect(try HostFile.read(path)?.count == HostFile.maximumSize)
        try Data(count: HostFile.maximumSize + 1).write(to: URL(fileURLWithPath: path))
        #expect {
            _ = try HostFile.read(path)
        } throws: { error in
            "\(error)".contains("is larger than 4 MiB")
        }
        #expect(try HostFile.read(path + ".missing") == nil)
    }
}
