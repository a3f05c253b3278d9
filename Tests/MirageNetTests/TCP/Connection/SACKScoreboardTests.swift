import MirageCore
@testable import MirageNet
import Testing

@Suite("SACK scoreboard: merges, ignores blocks outside SND.UNA ..< SND.MAX, holds at most 64 ranges (RFC 2018, RFC 6675)")
struct SACKScoreboardTests {
    func seq(_ value: UInt32) -> SequenceNumber { SequenceNumber(value) }

    func ranges(_ board: SACKScoreboard) -> [Range<UInt32>] {
        board.ranges.map { $0.start.rawValue..<$0.end.rawValue }
    }

    @Test("blocks merge with the ranges they touch or overlap, in any order")
    func merging() {
        var board = SACKScoreboard()
        board.add([(seq(300), seq(400)), (seq(100), seq(200))], unacknowledged: seq(0), next: seq(1000))
        #expect(ranges(board) == [100..<200, 300..<400])
        board.add([(seq(200), seq(250))], unacknowledged: seq(0), next: seq(1000))
        #expect(ranges(board) == [100..<250, 300..<400])
        board.add([(seq(50), seq(500))], unacknowledged: seq(0), next: seq(1000))
        #expect(ranges(board) == [50..<500])
        #expect(board.isSACKed(seq(50)) && board.isSACKed(seq(499)) && !board.isSACKed(seq(500)) && !board.isSACKed(seq(49)))
    }

    @Test("a block ending at or below SND.UNA, past SND.MAX, or empty is ignored and counted; one straddling SND.UNA is cut")
    func blocksOutsideTheWindow() {
        var board = SACKScoreboard()
        let una = seq(1000)
        let max = seq(2000)
        board.add([(seq(900), seq(1000)), (seq(1500), seq(2001)), (seq(1200), seq(1200)), (seq(1300), seq(1200)),
                   (seq(0x8000_0000), seq(0x8000_0100))], unacknowledged: una, next: max)
        #expect(board.isEmpty)
        #expect(board.blocksIgnored == 5)
        board.add([(seq(900), seq(1100)), (seq(1900), seq(2000))], unacknowledged: una, next: max)
        #expect(ranges(board) == [1000..<1100, 1900..<2000])
        #expect(board.blocksIgnored == 5)
    }

    @Test("SND.UNA moving forgets the ranges it passes and cuts the one it enters")
    func acknowledging() {
        var board = SACKScoreboard()
        board.add([(seq(100), seq(200)), (seq(300), seq(400)), (seq(500), seq(600))], unacknowledged: seq(0), next: seq(1000))
        board.acknowledge(upTo: seq(350))
        #expect(ranges(board) == [350..<400, 500..<600])
        board.acknowledge(upTo: seq(600))
        #expect(board.isEmpty)
    }

    @Test("ten thousand one-octet islands leave 64 ranges; a larger range takes the smallest one's place")
    func boundedBySize() {
        var board = SACKScoreboard()
        for island in 0..<10_000 {
            let start = seq(UInt32(1 + 2 * island))
            board.add([(start, start + 1)], unacknowledged: seq(0), next: seq(1_000_000))
            #expect(board.ranges.count <= SACKScoreboard.rangeLimit)
        }
        #expect(board.ranges.count == SACKScoreboard.rangeLimit)
        #expect(board.rangesForgotten == 10_000 - SACKScoreboard.rangeLimit)
        // Kept: the first 64 (a new range no larger than the smallest is not taken).
        #expect(board.highestSACKed == seq(2 * 63 + 2))
        board.add([(seq(500_000), seq(501_000))], unacknowledged: seq(0), next: seq(1_000_000))
        #expect(board.ranges.count == SACKScoreboard.rangeLimit)
        #expect(board.highestSACKed == seq(501_000))
        #expect(board.isSACKed(seq(500_500)))
        // Still sorted and disjoint.
        for (lower, upper) in zip(board.ranges, board.ranges.dropFirst()) { #expect(lower.end < upper.start) }
    }

    @Test("holes, loss boundary and pipe over the sorted ranges (RFC 6675 section 4)")
    func holesAndPipe() {
        var board = SACKScoreboard()
        // MSS 100, SND.UNA 0, SND.NXT 1000: SACKed 200..<300, 400..<700.
        board.add([(seq(400), seq(700)), (seq(200), seq(300))], unacknowledged: seq(0), next: seq(1000))
        #expect(board.lossBoundary(mss: 100, unacknowledged: seq(0)) == seq(400))
        #expect(board.nextHole(from: seq(0), limit: seq(400), maximum: 1000)! == (seq(0), 200))
        #expect(board.nextHole(from: seq(250), limit: seq(400), maximum: 1000)! == (seq(300), 100))
        #expect(board.nextHole(from: seq(300), limit: seq(400), maximum: 50)! == (seq(300), 50))
        #expect(board.nextHole(from: seq(400), limit: seq(400), maximum: 100) == nil)
        #expect(board.unSACKed(from: seq(0), to: seq(1000)) == 600)
        #expect(board.unSACKed(from: seq(250), to: seq(450)) == 100)
        // Not lost: 700..<1000 (300 octets).
        #expect(board.pipe(unacknowledged: seq(0), next: seq(1000), mss: 100) == 300)
    }
}
