import Foundation
@testable import MirageTool
import Testing

/// `Shell`: what the tool's children run with.
struct ShellTests {
    @Test("a child gets the run's own TMPDIR, which exists, unless the caller sets one")
    func childTemporaryDirectory() throws {
        let told = try Shell.capture(["sh", "-c", "printf %s \"$TMPDIR\"; test -d \"$TMPDIR\""])
        #expect(told.status == 0, "the directory exists for the child")
        #expect(told.output == Shell.childTemporaryDirectory)
        #expect(told.output.hasSuffix("swift-mirage-\(getpid())"))
        let overridden = try Shell.capture(["sh", "-c", "printf %s \"$TMPDIR\""], environment: ["TMPDIR": "/elsewhere"])
        #expect(overridden.output == "/elsewhere")
    }
}
