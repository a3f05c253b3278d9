import MirageCore
@testable import MirageNet
import MirageTesting
import Testing

@Suite("DeadlineHeap: the earliest deadline first, stale entries swept")
struct DeadlineHeapTests {
    @Test("10,000 random deadlines come out sorted (seed printed)")
    func sorted() {
        let seed: UInt64 = 0xD1A9
        print("DeadlineHeap random deadlines: seed \(seed)")
        let random = SeededEntropy(seed: seed)
        var heap = DeadlineHeap<Int>()
        var deadlines: [UInt64] = []
        for key in 0..<10_000 {
            let deadline = random.next() % 1_000_000
            deadlines.append(deadline)
            heap.push(Instant(nanoseconds: deadline), key)
        }
        var out: [UInt64] = []
        while heap.first != nil { out.append(heap.removeFirst().deadline.nanoseconds) }
        #expect(out == deadlines.sorted())
    }

    @Test("compact keeps one current entry per key, still a heap")
    func compaction() {
        var heap = DeadlineHeap<Int>()
        var current: [Int: UInt64] = [:]
        for round in 0..<5 {
            for key in 0..<100 {
                let deadline = UInt64((key * 37 + round * 11) % 500)
                heap.push(Instant(nanoseconds: deadline), key)
                current[key] = deadline
            }
        }
        // A key pushed again at a deadline it had before has two entries that look current.
        heap.push(Instant(nanoseconds: current[7]!), 7)
        #expect(heap.count == 501)
        heap.compact { deadline, key in current[key] == deadline.nanoseconds }
        #expect(heap.count == 100)
        var out: [(UInt64, Int)] = []
        while heap.first != nil {
            let (deadline, key) = heap.removeFirst()
            out.append((deadline.nanoseconds, key))
        }
        #expect(out.map(\.0) == current.values.sorted())
        #expect(Set(out.map(\.1)) == Set(0..<100))
    }
}
