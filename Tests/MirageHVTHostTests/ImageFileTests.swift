import Glibc
import MirageHVTHost
import Testing

/// Image files: mapped when they are regular files, read when they are not, refused with the C
/// library's reason when they cannot be opened or read.
@Suite("Image files")
struct ImageFileTests {
    /// A new temporary file holding `bytes`; the caller removes it.
    static func temporaryFile(_ bytes: [UInt8]) throws -> String {
        var template = Array("/tmp/mirage-image-XXXXXX".utf8CString)
        let fd = mkstemp(&template)
        try #require(fd >= 0)
        defer { close(fd) }
        #expect(bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) } == bytes.count)
        return String(cString: template)
    }

    @Test("a file's bytes are read whole, whatever its size", arguments: [0, 1, 4096, 65537, 300_000])
    func wholeFile(size: Int) throws {
        let bytes = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        let path = try Self.temporaryFile(bytes)
        defer { unlink(path) }
        let file = try ImageFile(path: path)
        withExtendedLifetime(file) { #expect(Array(file.bytes) == bytes) }
    }

    @Test("a pipe is read to its end")
    func pipe() throws {
        var fds: [Int32] = [0, 0]
        try #require(Glibc.pipe(&fds) == 0)
        let bytes = [UInt8]("an image through a pipe".utf8)
        #expect(bytes.withUnsafeBytes { write(fds[1], $0.baseAddress, $0.count) } == bytes.count)
        close(fds[1])
        defer { close(fds[0]) }
        let file = try ImageFile(path: "/proc/self/fd/\(fds[0])")
        withExtendedLifetime(file) { #expect(Array(file.bytes) == bytes) }
    }

    @Test("a missing file and a directory are refused with the reason, as missing input")
    func refusals() {
        #expect(throws: TenderError("/nonexistent.hvt: No such file or directory", status: TenderExitStatus.noInput)) {
            try ImageFile(path: "/nonexistent.hvt")
        }
        #expect(throws: TenderError("/tmp: Is a directory", status: TenderExitStatus.noInput)) {
            try ImageFile(path: "/tmp")
        }
    }

    @Test("a copy of an array holds its bytes")
    func copy() {
        let file = ImageFile(copying: [1, 2, 3])
        withExtendedLifetime(file) { #expect(Array(file.bytes) == [1, 2, 3]) }
        #expect(ImageFile(copying: []).bytes.isEmpty)
    }
}
