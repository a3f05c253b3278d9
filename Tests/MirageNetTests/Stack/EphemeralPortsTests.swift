@testable import MirageNet
import Testing

@Suite("Ephemeral ports (RFC 6056 sections 2.1 and 3.3.3)")
struct EphemeralPortsTests {
    @Test("the search starts at its position in 49152-65535 and skips ports in use")
    func skipsPortsInUse() {
        let found = EphemeralPorts.search(from: 10) { $0 >= 49152 + 12 }
        #expect(found?.port == 49152 + 12 && found?.step == 2)
    }

    @Test("the search wraps around the end of the range, and finds nothing when every port is in use")
    func wrapsAround() {
        let found = EphemeralPorts.search(from: 16383) { $0 == 49152 }
        #expect(found?.port == 49152 && found?.step == 1)
        #expect(EphemeralPorts.search(from: 0) { _ in false } == nil)
    }
}
