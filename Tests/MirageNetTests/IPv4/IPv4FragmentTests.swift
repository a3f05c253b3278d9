import MirageCore
@testable import MirageNet
import MirageTesting
import Testing

/// The seeded generator every "random" case here draws from, the same on every run.
private typealias SeededGenerator = EntropyRandomNumberGenerator<SeededEntropy>

@Suite("IPv4 fragmentation and reassembly")
struct IPv4FragmentTests {
    let ethernetHeadroom = 14

    func at(_ seconds: Double) -> Instant { Instant(nanoseconds: UInt64(seconds * 1e9)) }

    /// Payload bytes that differ from one offset to the next, so a misplaced fragment shows.
    func payload(_ count: Int, seed: UInt8 = 0) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ $0 >> 8) &+ seed }
    }

    func datagramHeader(id: UInt16, payloadCount: Int = 0) -> IPv4Header {
        var header = IPv4Header(totalLength: UInt16(20 + payloadCount), protocol: .udp, source: hostA, destination: hostB)
        header.identification = id
        return header
    }

    /// A fragment's header as a receiver would parse it: `offset` in bytes.
    func fragmentHeader(id: UInt16, offset: Int, count: Int, more: Bool) -> IPv4Header {
        var header = datagramHeader(id: id, payloadCount: count)
        header.fragmentOffset = UInt16(offset / 8)
        header.moreFragments = more
        return header
    }

    /// Parses a packet the fragmenter produced (the checksum must be right) into header and payload.
    func parsed(_ packet: PacketBuffer) throws -> (header: IPv4Header, payload: PacketBuffer) {
        let header = try packet.withUnsafeBytes { bytes throws(WireError) in try IPv4Header.parse(bytes) }
        return (header, packet.slice(header.payloadRange))
    }

    func fragments(of bytes: [UInt8], id: UInt16, mtu: Int) throws -> [(header: IPv4Header, payload: PacketBuffer)] {
        try IPv4Fragmenter.fragments(of: PacketBuffer(bytes), header: datagramHeader(id: id), mtu: mtu, headroom: ethernetHeadroom)
            .map { try parsed($0) }
    }

    /// Limits aside: fragments of any size, in any number (for the reassembly algorithm itself,
    /// at MTUs as small as 68).
    var permissive: IPv4Reassembler.Configuration {
        var configuration = IPv4Reassembler.Configuration()
        configuration.minimumFragmentPayload = 8
        configuration.maximumFragmentsPerDatagram = 10_000
        return configuration
    }

    /// The memory `pieces` of one datagram are charged while held.
    func charge(_ pieces: [(header: IPv4Header, payload: PacketBuffer)]) -> Int {
        pieces.reduce(IPv4Reassembler.datagramCharge) { $0 + IPv4Reassembler.charge(of: $1.payload) }
    }

    /// Feeds `pieces` in order and returns what each came back as.
    func feed(_ pieces: [(header: IPv4Header, payload: PacketBuffer)], to reassembler: inout IPv4Reassembler,
              now: Instant = .zero) -> [IPv4Reassembly] {
        pieces.map { reassembler.receive($0.header, payload: $0.payload, now: now) }
    }

    // MARK: - Fragmenting

    @Test("4000 bytes at MTU 1500 become three packets: offsets 0, 185, 370 (x 8 bytes), MF 1, 1, 0")
    func fragmentsAtEthernetMTU() throws {
        let packets = IPv4Fragmenter.fragments(of: PacketBuffer(payload(4000)), header: datagramHeader(id: 0x4242),
                                               mtu: 1500, headroom: ethernetHeadroom)
        #expect(packets.map(\.count) == [1500, 1500, 1060])
        let headers = try packets.map { try parsed($0).header }
        #expect(headers.map(\.fragmentOffset) == [0, 185, 370])
        #expect(headers.map(\.moreFragments) == [true, true, false])
        #expect(headers.map(\.totalLength) == [1500, 1500, 1060])
        #expect(headers.allSatisfy { $0.identification == 0x4242 && !$0.dontFragment && $0.length == 20 })
        #expect(packets.allSatisfy { $0.headroom >= ethernetHeadroom })
        let rejoined = try packets.flatMap { try parsed($0).payload.bytes }
        #expect(rejoined == payload(4000))
    }

    @Test("every fragment but the last carries a multiple of 8 bytes and fits the MTU", arguments: [68, 69, 75, 576, 1280, 1500])
    func fragmentSizes(mtu: Int) throws {
        let pieces = try fragments(of: payload(3001), id: 1, mtu: mtu)
        #expect(pieces.count > 1)
        for (index, piece) in pieces.enumerated() {
            #expect(Int(piece.header.totalLength) <= mtu)
            #expect(piece.payload.count % 8 == 0 || index == pieces.count - 1)
            #expect(piece.header.moreFragments == (index != pieces.count - 1))
        }
        #expect(pieces.map { Int($0.header.fragmentOffset) * 8 } == pieces.indices.map { index in
            pieces[..<index].reduce(0) { $0 + $1.payload.count }
        })
    }

    @Test("a datagram that fits is one unfragmented packet, with the link's headroom kept")
    func fitsUnfragmented() throws {
        for headroomOfPayload in [0, 20, 34, 64] {
            let data = PacketBuffer(payload(1480), headroom: headroomOfPayload)
            let packets = IPv4Fragmenter.fragments(of: data, header: datagramHeader(id: 7), mtu: 1500, headroom: ethernetHeadroom)
            #expect(packets.count == 1)
            let (header, body) = try parsed(packets[0])
            #expect(!header.isFragment && header.totalLength == 1500)
            #expect(body.bytes == payload(1480))
            #expect(packets[0].headroom >= ethernetHeadroom)
        }
    }

    @Test("fragmenting a fragment keeps its offset and its more-fragments flag (RFC 791 section 3.2)")
    func refragmenting() throws {
        var header = datagramHeader(id: 9)
        header.fragmentOffset = 100
        header.moreFragments = true
        let packets = IPv4Fragmenter.fragments(of: PacketBuffer(payload(1000)), header: header, mtu: 576, headroom: 0)
        let headers = try packets.map { try parsed($0).header }
        #expect(headers.map(\.fragmentOffset) == [100, 169])
        #expect(headers.map(\.moreFragments) == [true, true])
    }

    // MARK: - Reassembling

    /// Fragments `size` bytes at `mtu`, feeds the pieces in `order` (indices, repeats allowed) and
    /// checks what comes out is byte for byte the original: at least once when there were
    /// fragments, once per packet fed when the datagram fit in one. (Duplicates arriving after the
    /// datagram completed start it afresh, as for any new datagram with that id, and may complete
    /// it again: IP does not promise to suppress duplicates.)
    func roundTrip(size: Int, mtu: Int, order: ([Int]) -> [Int], sourceLocation: SourceLocation = #_sourceLocation) throws {
        let original = payload(size, seed: UInt8(truncatingIfNeeded: size))
        let pieces = try fragments(of: original, id: UInt16(truncatingIfNeeded: size &* 31 &+ mtu), mtu: mtu)
        let fed = order(Array(pieces.indices)).map { pieces[$0] }
        var reassembler = IPv4Reassembler(configuration: permissive)
        let results = feed(fed, to: &reassembler)
        let whole = results.compactMap { result -> (IPv4Header, PacketBuffer)? in
            if case let .complete(header, body) = result { return (header, body) }
            return nil
        }
        let fragmented = pieces.count > 1
        #expect(fragmented == (20 + size > mtu), sourceLocation: sourceLocation)
        let duplicates = fed.count - pieces.count
        if fragmented {
            #expect(whole.count >= 1 && (duplicates > 0 || whole.count == 1), "size \(size), MTU \(mtu)", sourceLocation: sourceLocation)
        } else {
            #expect(whole.count == fed.count, sourceLocation: sourceLocation)
        }
        #expect(!results.contains { if case .dropped = $0 { true } else { false } }, sourceLocation: sourceLocation)
        #expect(reassembler.statistics.reassembled == (fragmented ? UInt64(whole.count) : 0), sourceLocation: sourceLocation)
        var expected = datagramHeader(id: pieces[0].header.identification, payloadCount: size)
        expected.timeToLive = pieces[0].header.timeToLive
        for (header, body) in whole {
            #expect(body.bytes == original, "size \(size), MTU \(mtu)", sourceLocation: sourceLocation)
            #expect(header == expected, sourceLocation: sourceLocation)
        }
    }

    static let sizes = [1, 7, 8, 9, 47, 48, 49, 1472, 1480, 1481, 2960, 4000, 8999, 9000]
    static let mtus = [68, 69, 75, 576, 1280, 1500]

    @Test("fragments fed in order reassemble to the same bytes")
    func inOrder() throws {
        for size in Self.sizes { for mtu in Self.mtus { try roundTrip(size: size, mtu: mtu) { $0 } } }
    }

    @Test("fragments fed last first reassemble to the same bytes")
    func reversed() throws {
        for size in Self.sizes { for mtu in Self.mtus { try roundTrip(size: size, mtu: mtu) { $0.reversed() } } }
    }

    @Test("fragments shuffled, with duplicates, reassemble to the same bytes (seeded, sizes 1...9000, MTUs 68...1500)")
    func shuffledWithDuplicates() throws {
        var generator = SeededGenerator(SeededEntropy(seed: 0x5EED))
        for _ in 0..<300 {
            let size = Int.random(in: 1...9000, using: &generator)
            let mtu = Int.random(in: 68...1500, using: &generator)
            try roundTrip(size: size, mtu: mtu) { indices in
                let duplicates = (0..<Int.random(in: 0...3, using: &generator)).map { _ in indices.randomElement(using: &generator)! }
                return (indices + duplicates).shuffled(using: &generator)
            }
        }
    }

    @Test("an exact duplicate is ignored: nothing more is held")
    func exactDuplicate() throws {
        let pieces = try fragments(of: payload(4000), id: 3, mtu: 1500)
        var reassembler = IPv4Reassembler()
        #expect(feed([pieces[1], pieces[1], pieces[0], pieces[1]], to: &reassembler) == [.incomplete, .incomplete, .incomplete, .incomplete])
        #expect(reassembler.statistics.chargedBytes == charge([pieces[0], pieces[1]]))
        guard case let .complete(_, body) = reassembler.receive(pieces[2].header, payload: pieces[2].payload, now: .zero) else {
            Issue.record("the last fragment should complete the datagram")
            return
        }
        #expect(body.bytes == payload(4000))
        #expect(reassembler.statistics.chargedBytes == 0 && reassembler.statistics.datagramsInProgress == 0)
    }

    @Test("a packet that is not a fragment passes through untouched")
    func unfragmentedPassesThrough() {
        var reassembler = IPv4Reassembler()
        let header = datagramHeader(id: 5, payloadCount: 3)
        #expect(reassembler.receive(header, payload: PacketBuffer([1, 2, 3]), now: .zero) == .complete(header, PacketBuffer([1, 2, 3])))
        #expect(reassembler.statistics == IPv4Reassembler.Statistics())
    }

    // MARK: - Refusing

    @Test("an overlapping fragment drops the whole datagram; a retransmission with a new id still works")
    func overlapDropsDatagram() throws {
        let pieces = try fragments(of: payload(4000), id: 10, mtu: 1500)
        var reassembler = IPv4Reassembler()
        #expect(feed([pieces[0]], to: &reassembler) == [.incomplete])
        let overlapping = fragmentHeader(id: 10, offset: 1472, count: 256, more: true)
        #expect(reassembler.receive(overlapping, payload: PacketBuffer(payload(256)), now: .zero) == .dropped(.overlap))
        #expect(reassembler.statistics.overlapsDropped == 1)
        #expect(reassembler.statistics.chargedBytes == 0 && reassembler.statistics.datagramsInProgress == 0)
        // Nothing of the first fragment is remembered: the others alone cannot complete it.
        #expect(feed([pieces[1], pieces[2]], to: &reassembler) == [.incomplete, .incomplete])

        let retransmission = try fragments(of: payload(4000), id: 11, mtu: 1500)
        let results = feed(retransmission, to: &reassembler)
        #expect(results.prefix(2) == [.incomplete, .incomplete])
        guard case let .complete(header, body) = results[2] else {
            Issue.record("the retransmission should reassemble")
            return
        }
        #expect(header.identification == 11 && body.bytes == payload(4000))
    }

    @Test("a fragment sharing only its start with another is an overlap, not a duplicate")
    func sameStartDifferentLength() {
        var reassembler = IPv4Reassembler(configuration: permissive)
        _ = reassembler.receive(fragmentHeader(id: 1, offset: 8, count: 16, more: true), payload: PacketBuffer(payload(16)), now: .zero)
        #expect(reassembler.receive(fragmentHeader(id: 1, offset: 8, count: 8, more: true), payload: PacketBuffer(payload(8)), now: .zero)
            == .dropped(.overlap))
    }

    @Test("a middle fragment whose length is not a multiple of 8 drops the datagram")
    func misalignedMiddleFragment() throws {
        let pieces = try fragments(of: payload(4000), id: 12, mtu: 1500)
        var reassembler = IPv4Reassembler()
        _ = feed([pieces[0]], to: &reassembler)
        let misaligned = fragmentHeader(id: 12, offset: 1480, count: 100, more: true)
        #expect(reassembler.receive(misaligned, payload: PacketBuffer(payload(100)), now: .zero) == .dropped(.misaligned))
        #expect(reassembler.statistics.malformedDropped == 1)
        #expect(reassembler.statistics.chargedBytes == 0 && reassembler.statistics.datagramsInProgress == 0)
    }

    @Test("ends that disagree drop the datagram: a second last fragment, data past the end, an end before data")
    func conflictingEnds() {
        var reassembler = IPv4Reassembler(configuration: permissive)
        let eight = PacketBuffer(payload(8))
        _ = reassembler.receive(fragmentHeader(id: 1, offset: 16, count: 8, more: false), payload: eight, now: .zero)
        #expect(reassembler.receive(fragmentHeader(id: 1, offset: 32, count: 8, more: false), payload: eight, now: .zero)
            == .dropped(.conflictingEnd))
        _ = reassembler.receive(fragmentHeader(id: 2, offset: 16, count: 8, more: false), payload: eight, now: .zero)
        #expect(reassembler.receive(fragmentHeader(id: 2, offset: 24, count: 8, more: true), payload: eight, now: .zero)
            == .dropped(.conflictingEnd))
        _ = reassembler.receive(fragmentHeader(id: 3, offset: 64, count: 8, more: true), payload: eight, now: .zero)
        #expect(reassembler.receive(fragmentHeader(id: 3, offset: 16, count: 8, more: false), payload: eight, now: .zero)
            == .dropped(.conflictingEnd))
        #expect(reassembler.statistics.malformedDropped == 3)
        #expect(reassembler.statistics.chargedBytes == 0 && reassembler.statistics.datagramsInProgress == 0)
    }

    @Test("a fragment ending past 65,535 bytes is dropped (ping of death)")
    func oversized() {
        var reassembler = IPv4Reassembler()
        let header = fragmentHeader(id: 1, offset: 8189 * 8, count: 40, more: false)
        #expect(reassembler.receive(header, payload: PacketBuffer(payload(40)), now: .zero) == .dropped(.oversized))
        #expect(reassembler.statistics.malformedDropped == 1 && reassembler.statistics.chargedBytes == 0)
    }

    @Test("an empty fragment is dropped")
    func emptyFragment() {
        var reassembler = IPv4Reassembler()
        #expect(reassembler.receive(fragmentHeader(id: 1, offset: 8, count: 0, more: true), payload: PacketBuffer([]), now: .zero)
            == .dropped(.misaligned))
        #expect(reassembler.statistics.datagramsInProgress == 0)
    }

    // MARK: - Time and limits

    @Test("an incomplete datagram is forgotten 30 s after its first fragment, and counted")
    func timeout() throws {
        let pieces = try fragments(of: payload(4000), id: 20, mtu: 1500)
        var reassembler = IPv4Reassembler()
        #expect(reassembler.nextDeadline == nil)
        _ = feed([pieces[0]], to: &reassembler, now: at(1))
        _ = feed([pieces[1]], to: &reassembler, now: at(20))
        #expect(reassembler.nextDeadline == at(31))
        reassembler.tick(now: at(30.9))
        #expect(reassembler.statistics.datagramsInProgress == 1 && reassembler.statistics.timedOut == 0)
        reassembler.tick(now: at(31))
        #expect(reassembler.statistics.timedOut == 1)
        #expect(reassembler.statistics.chargedBytes == 0 && reassembler.statistics.datagramsInProgress == 0)
        #expect(reassembler.nextDeadline == nil)
        #expect(feed([pieces[2]], to: &reassembler, now: at(32)) == [.incomplete])
    }

    @Test("a fragment arriving after its datagram expired starts afresh even without a tick")
    func expiredWithoutTick() throws {
        let pieces = try fragments(of: payload(4000), id: 21, mtu: 1500)
        var reassembler = IPv4Reassembler()
        _ = feed([pieces[0], pieces[1]], to: &reassembler, now: at(0))
        #expect(feed([pieces[2]], to: &reassembler, now: at(30)) == [.incomplete])
        #expect(reassembler.statistics.timedOut == 1 && reassembler.statistics.chargedBytes == charge([pieces[2]]))
    }

    @Test("past the memory limit the datagram started earliest is evicted to make room, and counted")
    func memoryLimit() throws {
        var configuration = IPv4Reassembler.Configuration()
        let first = try fragments(of: payload(4000), id: 30, mtu: 1500)
        let second = try fragments(of: payload(4000), id: 31, mtu: 1500)
        let held = charge([first[0], first[1]]) + charge([second[0]])
        configuration.memoryLimit = held + 100
        var reassembler = IPv4Reassembler(configuration: configuration)
        #expect(feed([first[0], first[1]], to: &reassembler, now: at(0)) == [.incomplete, .incomplete])
        #expect(feed([second[0]], to: &reassembler, now: at(1)) == [.incomplete])
        #expect(reassembler.statistics.chargedBytes == held)
        // No room for the second datagram's next fragment: the first datagram, started earlier,
        // goes.
        #expect(feed([second[1]], to: &reassembler, now: at(1)) == [.incomplete])
        #expect(reassembler.statistics.evicted == 1 && reassembler.statistics.limitDropped == 0)
        #expect(reassembler.statistics.chargedBytes == charge([second[0], second[1]]))
        #expect(reassembler.statistics.chargedBytes <= configuration.memoryLimit)
        #expect(feed([second[2]], to: &reassembler, now: at(1)).last.map { if case .complete = $0 { true } else { false } } == true)
        // A completing fragment is let in past the limit: it frees more than it holds.
        var tight = IPv4Reassembler(configuration: configuration)
        _ = feed([first[0], first[1]], to: &tight, now: at(0))
        _ = feed([second[0]], to: &tight, now: at(1))
        guard case .complete = tight.receive(first[2].header, payload: first[2].payload, now: at(1)) else {
            Issue.record("a completing fragment should be let in")
            return
        }
        #expect(tight.statistics.evicted == 0 && tight.statistics.chargedBytes == charge([second[0]]))
    }

    @Test("past the datagram limit the datagram started earliest is evicted; expired ones are purged first")
    func datagramLimit() throws {
        var configuration = IPv4Reassembler.Configuration()
        configuration.maximumDatagrams = 2
        var reassembler = IPv4Reassembler(configuration: configuration)
        let datagrams = try (40..<44).map { try fragments(of: payload(4000), id: UInt16($0), mtu: 1500) }
        _ = feed([datagrams[0][0]], to: &reassembler, now: at(0))
        _ = feed([datagrams[1][0]], to: &reassembler, now: at(10))
        #expect(feed([datagrams[2][0]], to: &reassembler, now: at(10)) == [.incomplete])
        #expect(reassembler.statistics.evicted == 1 && reassembler.statistics.datagramsInProgress == 2)
        // The first was evicted: its next fragment starts it afresh (evicting the second).
        #expect(feed([datagrams[0][1]], to: &reassembler, now: at(11)) == [.incomplete])
        #expect(reassembler.statistics.evicted == 2)
        // At 40 s the third has expired and makes room without an eviction.
        #expect(feed([datagrams[3][0]], to: &reassembler, now: at(40)) == [.incomplete])
        #expect(reassembler.statistics.timedOut == 1 && reassembler.statistics.evicted == 2)
        #expect(reassembler.statistics.datagramsInProgress == 2)
    }

    @Test("random bytes never trap: 10,000 random fragments keep buffered bytes and datagrams within the limits")
    func randomFragmentsNeverTrap() {
        var generator = SeededGenerator(SeededEntropy(seed: 0xF4A6))
        var noise = [UInt8](repeating: 0, count: 1500)
        for index in noise.indices { noise[index] = UInt8.random(in: 0...255, using: &generator) }
        let randomBytes = PacketBuffer(noise)
        for configuration in [IPv4Reassembler.Configuration(), smallConfiguration] {
            var reassembler = IPv4Reassembler(configuration: configuration)
            var now = Instant.zero
            var wrongHeaders = 0
            var limitsBroken = 0
            for _ in 0..<10_000 {
                let header = randomFragmentHeader(using: &generator)
                let body = randomBytes.slice(0..<Int(header.totalLength) - 20)
                now = now + .milliseconds(Int.random(in: 0...50, using: &generator))
                if case let .complete(whole, data) = reassembler.receive(header, payload: body, now: now),
                   whole.isFragment || Int(whole.totalLength) != 20 + data.count {
                    wrongHeaders += 1
                }
                if Int.random(in: 0..<100, using: &generator) == 0 { reassembler.tick(now: now) }
                let statistics = reassembler.statistics
                if statistics.chargedBytes < 0 || statistics.chargedBytes > configuration.memoryLimit
                    || statistics.datagramsInProgress > configuration.maximumDatagrams {
                    limitsBroken += 1
                }
            }
            #expect(wrongHeaders == 0 && limitsBroken == 0)
            // With 4 datagrams at most, the wild fragments evict the real ones before they complete.
            #expect(reassembler.statistics.reassembled > 0 || configuration.maximumDatagrams < 16, "\(reassembler.statistics)")
            #expect(reassembler.statistics.overlapsDropped > 0)
            #expect(reassembler.statistics.malformedDropped > 0)
            #expect(reassembler.statistics.evicted > 0 || configuration.maximumDatagrams > 16)
            reassembler.tick(now: now + .seconds(30))
            #expect(reassembler.statistics.chargedBytes == 0 && reassembler.nextDeadline == nil)
        }
    }

    var smallConfiguration: IPv4Reassembler.Configuration {
        var configuration = IPv4Reassembler.Configuration()
        configuration.memoryLimit = 16 * 1024
        configuration.maximumDatagrams = 4
        return configuration
    }

    /// A fragment header with random fields; its total length gives the payload's length. Few ids,
    /// so datagrams collide. Half are wild (any offset, any length); half are 256-byte pieces of a
    /// 1024-byte datagram, so that some datagrams complete and the rest overlap or disagree.
    private func randomFragmentHeader(using generator: inout SeededGenerator) -> IPv4Header {
        let count: Int
        let offsetUnits: UInt16
        let more: Bool
        if Bool.random(using: &generator) {
            count = Int.random(in: 0...1500, using: &generator)
            offsetUnits = Bool.random(using: &generator)
                ? UInt16.random(in: 0...0x1FFF, using: &generator)
                : UInt16.random(in: 0..<400, using: &generator)
            more = Bool.random(using: &generator)
        } else {
            let block = UInt16.random(in: 0..<4, using: &generator)
            count = 256
            offsetUnits = block * 32
            more = block < 3 || Int.random(in: 0..<8, using: &generator) == 0
        }
        var header = datagramHeader(id: UInt16.random(in: 0..<8, using: &generator), payloadCount: count)
        header.protocol = Bool.random(using: &generator) ? .udp : .tcp
        header.moreFragments = more
        header.fragmentOffset = offsetUnits
        return header
    }
}
