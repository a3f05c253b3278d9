@testable import MirageUnix
import Testing

@Suite("The platform's table of waiters by file descriptor")
struct FileDescriptorTableTests {
    @Test("slots by number: empty until set, changed in place, emptied by removal; out-of-range numbers read as empty")
    func slots() {
        var table = FileDescriptorTable<[Int]>()
        #expect(table[0] == nil && table[-1] == nil && table[1000] == nil)
        table.update(7) { $0 = [1] }
        table.update(7) { $0!.append(2) }
        #expect(table[7] == [1, 2] && table[6] == nil && table[8] == nil)
        table.update(3) { $0 = $0 ?? [] }
        #expect(table[3] == [])
        #expect(table.removeValue(for: 7) == [1, 2] && table[7] == nil)
        #expect(table.removeValue(for: 7) == nil && table.removeValue(for: -4) == nil && table.removeValue(for: 99) == nil)
        #expect(table.update(3) { $0?.count } == 0)
    }
}
