import MirageCore
import MirageNet
import MirageTesting
import Testing

@Suite("ICMPv4 responder (RFC 792, RFC 1191, RFC 1812 section 4.3.2)")
struct ICMPv4ResponderTests {
    func at(_ seconds: Double) -> Instant { Instant(nanoseconds: UInt64(seconds * 1e9)) }

    /// The golden ping's ICMP message: an echo request, id 0x1234, sequence 1, data 0...7.
    let echoRequest = Array(goldenPing[20...])

    @Test("an echo request is answered with an echo reply carrying the same data")
    func echo() throws {
        let responder = ICMPv4Responder(errorBurst: 10, errorsPerSecond: 100, now: at(0))
        guard case let .reply(reply) = responder.receive(PacketBuffer(echoRequest), isBroadcast: false) else {
            Issue.record("no reply")
            return
        }
        let header = try reply.withUnsafeBytes { try ICMPv4Header.parse($0) }
        #expect(header == ICMPv4Header(.echoReply(identifier: 0x1234, sequence: 1)))
        #expect(Array(reply.bytes[8...]) == Array(echoRequest[8...]))
    }

    @Test("an echo request to a broadcast address is ignored (RFC 1122 section 3.2.2.6)")
    func broadcastEcho() {
        let responder = ICMPv4Responder(errorBurst: 10, errorsPerSecond: 100, now: at(0))
        #expect(responder.receive(PacketBuffer(echoRequest), isBroadcast: true) == .none)
    }

    @Test("fragmentation needed gives the quoted packet (addresses, protocol, first 8 octets) and the next-hop MTU")
    func fragmentationNeeded() {
        let responder = ICMPv4Responder(errorBurst: 10, errorsPerSecond: 100, now: at(0))
        var bytes = [UInt8](repeating: 0, count: 8) + Array(goldenPing.prefix(28))
        bytes.withUnsafeMutableBytes { ICMPv4Header(.destinationUnreachable(code: 4, nextHopMTU: 1400)).emit(into: $0) }
        guard case let .fragmentationNeeded(quoted, nextHopMTU) = responder.receive(PacketBuffer(bytes), isBroadcast: false) else {
            Issue.record("not read as fragmentation needed")
            return
        }
        #expect(nextHopMTU == 1400)
        #expect(quoted.source == hostA && quoted.destination == hostB && quoted.protocol == .icmp && quoted.tcp == nil)
        // A quoted TCP segment gives its ports and sequence number.
        var tcp = bytes
        tcp[8 + 9] = 6
        tcp.replaceSubrange(28..<36, with: [0x1F, 0x90, 0xC3, 0x50, 0x01, 0x02, 0x03, 0x04])
        tcp.withUnsafeMutableBytes { ICMPv4Header(.destinationUnreachable(code: 4, nextHopMTU: 1400)).emit(into: $0) }
        if case let .fragmentationNeeded(segment, _) = responder.receive(PacketBuffer(tcp), isBroadcast: false), let fields = segment.tcp {
            #expect(fields.sourcePort == 8080 && fields.destinationPort == 50000 && fields.sequence == SequenceNumber(0x0102_0304))
        } else {
            Issue.record("a quoted TCP segment was not read")
        }
        // One quoting less than an IPv4 header and 8 octets after it names nothing.
        var noPorts = [UInt8](repeating: 0, count: 8) + Array(goldenPing.prefix(27))
        noPorts.withUnsafeMutableBytes { ICMPv4Header(.destinationUnreachable(code: 4, nextHopMTU: 1400)).emit(into: $0) }
        #expect(responder.receive(PacketBuffer(noPorts), isBroadcast: false) == .none)
        var short = [UInt8](repeating: 0, count: 8 + 19)
        short.withUnsafeMutableBytes { ICMPv4Header(.destinationUnreachable(code: 4, nextHopMTU: 1400)).emit(into: $0) }
        #expect(responder.receive(PacketBuffer(short), isBroadcast: false) == .none)
    }

    @Test("a message with a bad checksum is invalid")
    func badChecksum() {
        let responder = ICMPv4Responder(errorBurst: 10, errorsPerSecond: 100, now: at(0))
        var bytes = echoRequest
        bytes[10] ^= 1
        #expect(responder.receive(PacketBuffer(bytes), isBroadcast: false) == .invalid(.badChecksum))
    }

    @Test("errors leave in a burst, then at the refill rate (token bucket)")
    func rateLimited() {
        var responder = ICMPv4Responder(errorBurst: 2, errorsPerSecond: 1, now: at(0))
        let packet = PacketBuffer(goldenPing)
        let message = ICMPv4Header.Message.destinationUnreachable(code: 3, nextHopMTU: 0)
        #expect(responder.error(message, about: packet, now: at(0)) != nil)
        #expect(responder.error(message, about: packet, now: at(0)) != nil)
        #expect(responder.error(message, about: packet, now: at(0.5)) == nil)
        #expect(responder.error(message, about: packet, now: at(1)) != nil)
        #expect(responder.error(message, about: packet, now: at(1)) == nil)
    }

    @Test("an error quotes the offending packet, at most up to 576 octets of IP packet (RFC 1812 section 4.3.2.3)")
    func quoting() throws {
        var responder = ICMPv4Responder(errorBurst: 10, errorsPerSecond: 100, now: at(0))
        let message = ICMPv4Header.Message.destinationUnreachable(code: 3, nextHopMTU: 0)
        let quotingPing = responder.error(message, about: PacketBuffer(goldenPing), now: at(0))
        let small = try #require(quotingPing)
        #expect(try small.withUnsafeBytes { try ICMPv4Header.parse($0) } == ICMPv4Header(message))
        #expect(Array(small.bytes[8...]) == goldenPing)
        let quotingLarge = responder.error(message, about: PacketBuffer([UInt8](repeating: 7, count: 1500)), now: at(0))
        let large = try #require(quotingLarge)
        #expect(large.count == 576 - 20)
    }

    @Test("fragmentation needed quoting random bytes of every length never traps, and reads only what is there")
    func randomQuotesNeverTrap() {
        let seed: UInt64 = 5927
        print("ICMPv4 random quotes: seed \(seed)")
        let random = SeededEntropy(seed: seed)
        let responder = ICMPv4Responder(errorBurst: 10, errorsPerSecond: 100, now: at(0))
        for _ in 0..<20_000 {
            var bytes = [UInt8](repeating: 0, count: 8) + random.bytes(count: Int(random.next() % 80))
            if bytes.count > 8, random.next() % 2 == 0 { bytes[8] = 0x40 | UInt8(random.next() % 16) }  // a version 4 header of any length
            bytes.withUnsafeMutableBytes { ICMPv4Header(.destinationUnreachable(code: 4, nextHopMTU: 1400)).emit(into: $0) }
            switch responder.receive(PacketBuffer(bytes), isBroadcast: false) {
            case let .fragmentationNeeded(quoted, _):
                let headerLength = Int(bytes[8] & 0x0F) * 4
                #expect(headerLength >= 20 && bytes.count >= 8 + headerLength + 8)
                #expect(quoted.destination == IPv4Address(bytes[24], bytes[25], bytes[26], bytes[27]))
            case .none: break
            case let other: Issue.record("unexpected \(other)")
            }
        }
    }
}
