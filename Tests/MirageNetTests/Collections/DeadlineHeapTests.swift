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

@Suite("SlotDeadlineHeap: one deadline per slot, moved and removed in place")
struct SlotDeadlineHeapTests {
    @Test("4,000 random sets, moves and removals over 100 slots agree with a dictionary at every step (seed printed)")
    func agreesWithAModel() {
        var random = SplitMix64.printingSeed(for: "SlotDeadlineHeap operations")
        var heap = SlotDeadlineHeap()
        var model: [Int: UInt64] = [:]
        for _ in 0..<4_000 {
            let slot = Int(random.next() % 100)
            switch random.next() % 4 {
            case 0: heap.set(slot, nil); model[slot] = nil
            case 1 where heap.first != nil:
                let (deadline, first) = heap.removeFirst()
                #expect(model[first] == deadline.nanoseconds)
                model[first] = nil
            default:
                let deadline = random.next() % 10_000
                heap.set(slot, Instant(nanoseconds: deadline))
                model[slot] = deadline
            }
            let agrees = heap.count == model.count && heap.first?.deadline.nanoseconds == model.values.min()
                && heap.deadline(of: slot)?.nanoseconds == model[slot]
            #expect(agrees)
        }
        var out: [UInt64] = []
        while heap.first != nil { out.append(heap.removeFirst().deadline.nanoseconds) }
        #expect(out == model.values.sorted())
    }

    @Test("a slot never seen, or removed twice, changes nothing")
    func absentSlots() {
        var heap = SlotDeadlineHeap()
        heap.remove(50)
        heap.set(3, Instant(nanoseconds: 7))
        heap.remove(3)
        heap.remove(3)
        #expect(heap.count == 0)
        #expect(heap.deadline(of: 3) == nil)
        #expect(heap.deadline(of: 1_000) == nil)
    }
}
