import Glibc
@testable import MirageUnix
import Testing

/// The reading of `/proc/pressure/cpu` that the poll spin's guard uses: the "some" line's total.
@Suite("Host CPU pressure")
struct HostCPUPressureTests {
    static func total(_ text: String) -> Duration? {
        Array(text.utf8).withUnsafeBytes { HostCPUPressure.someStallTotal(in: $0) }
    }

    @Test("the first line's total, in microseconds, as the kernel writes it")
    func parsesTheSomeLine() {
        #expect(Self.total("some avg10=0.11 avg60=1.79 avg300=4.27 total=5307646216\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n")
                == .microseconds(5_307_646_216))
        #expect(Self.total("some avg10=0.00 avg60=0.00 avg300=0.00 total=0") == .zero, "no final newline")
    }

    @Test("anything else is no reading", arguments: [
        "", "\n", "full avg10=0.00 avg60=0.00 avg300=0.00 total=12\n", "some avg10=0.00 avg60=0.00 avg300=0.00\n",
        "some avg10=0.00 avg60=0.00 avg300=0.00 total=\n", "some avg10=0.00 total=x12\n",
        "some avg10=0.00\nfull total=12\n", "some total=99999999999999999999999\n",
    ])
    func refusesOtherText(text: String) {
        #expect(Self.total(text) == nil)
    }

    @Test("opened from a file it can read; a missing file or other text opens nothing")
    func opens() throws {
        var template = Array("/tmp/mirage-pressure-XXXXXX".utf8CString)
        let descriptor = mkstemp(&template)
        try #require(descriptor >= 0)
        let path = String(cString: template)
        defer { unlink(path) }
        let text = Array("some avg10=0.00 avg60=0.00 avg300=0.00 total=42\n".utf8)
        #expect(write(descriptor, text, text.count) == text.count)
        close(descriptor)
        let pressure = try #require(HostCPUPressure.open(path: path))
        #expect(pressure.someStallTotal() == .microseconds(42))
        #expect(HostCPUPressure.open(path: path + "-missing") == nil)
        #expect(HostCPUPressure.open(path: "/dev/null") == nil, "reads as nothing")
    }
}
