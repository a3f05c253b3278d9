import MirageCore
@testable import MirageNet
import Testing

/// The IPv6 header (RFC 8200 section 3), its pseudo-header (section 8.1) and the walk over
/// extension headers (section 4), with the ICMPv6 Parameter Problems it asks for (RFC 4443
/// section 3.4).
@Suite("IPv6 header and extension headers")
struct IPv6HeaderTests {
    /// An ICMPv6 echo request fe80::1 -> fe80::2, hop limit 64, as scapy builds it (its checksum
    /// is scapy's).
    static let echoRequest = hex("6000000000103a40fe800000000000000000000000000001fe800000000000000000000000000002"
                                 + "8000dee5123400016162636465666768")

    static func hex(_ text: String) -> [UInt8] {
        var bytes: [UInt8] = []
        var index = text.startIndex
        while index < text.endIndex {
            let next = text.index(index, offsetBy: 2)
            bytes.append(UInt8(text[index ..< next], radix: 16)!)
            index = next
        }
        return bytes
    }

    static func parse(_ bytes: [UInt8]) throws(WireError) -> IPv6Header {
        let result: Result<IPv6Header, WireError> = bytes.withUnsafeBytes { buffer in
            Result { () throws(WireError) in try IPv6Header.parse(buffer) }
        }
        return try result.get()
    }

    static func walk(_ payload: [UInt8], first: IPProtocol, multicast: Bool = false) -> Result<IPv6ExtensionHeaders, IPv6ExtensionHeaders.Refusal> {
        payload.withUnsafeBytes { buffer in
            Result { () throws(IPv6ExtensionHeaders.Refusal) in
                try IPv6ExtensionHeaders.walk(buffer, nextHeader: first, destinationIsMulticast: multicast)
            }
        }
    }

    @Test("a real packet's header is read field by field and written back byte for byte")
    func readAndWrite() throws {
        let header = try Self.parse(Self.echoRequest)
        #expect(header.payloadLength == 16)
        #expect(header.nextHeader == .icmpv6)
        #expect(header.hopLimit == 64)
        #expect(header.source == IPv6Address("fe80::1"))
        #expect(header.destination == IPv6Address("fe80::2"))
        #expect(header.payloadRange == 40 ..< 56)
        var written = [UInt8](repeating: 0xAA, count: 40)
        written.withUnsafeMutableBytes { header.emit(into: $0) }
        #expect(written == Array(Self.echoRequest.prefix(40)))

        var marked = header
        marked.trafficClass = 0xB8
        marked.flowLabel = 0xABCDE
        marked.withEmitted { bytes in
            #expect(Array(bytes.prefix(4)) == [0x6B, 0x8A, 0xBC, 0xDE])
        }
        #expect(try Self.parse(marked.emitted + Array(Self.echoRequest.dropFirst(40))) == marked)
    }

    @Test("the pseudo-header sum with the ICMPv6 message gives the checksum scapy computed")
    func pseudoHeader() throws {
        let header = try Self.parse(Self.echoRequest)
        var sum = IPv6Header.pseudoHeaderChecksum(source: header.source, destination: header.destination, protocol: .icmpv6, length: 16)
        Array(Self.echoRequest.dropFirst(40)).withUnsafeBytes { sum.add($0) }
        #expect(sum.checksum == 0)
    }

    @Test("another version, a short header and a payload length past the bytes are refused")
    func refused() {
        var version4 = Self.echoRequest
        version4[0] = 0x45
        #expect(throws: WireError.malformed(field: "IP version", value: 4)) { try Self.parse(version4) }
        #expect(throws: WireError.truncated(needed: 40, available: 39)) { try Self.parse(Array(Self.echoRequest.prefix(39))) }
        #expect(throws: WireError.truncated(needed: 56, available: 55)) { try Self.parse(Array(Self.echoRequest.dropLast())) }
    }

    @Test("hop-by-hop options (PadN, Router Alert), then destination options, then TCP")
    func chain() throws {
        let hopByHop: [UInt8] = [60, 0, 5, 2, 0, 0, 1, 0]
        let destination: [UInt8] = [6, 0, 1, 4, 0, 0, 0, 0]
        let walked = try Self.walk(hopByHop + destination + [0, 80], first: .hopByHopOptions).get()
        #expect(walked.upperLayer == .tcp && walked.upperLayerOffset == 16 && walked.count == 2 && walked.fragment == nil)
        let none = try Self.walk([59, 0, 1, 4, 0, 0, 0, 0], first: .destinationOptions).get()
        #expect(none.upperLayer == .noNextHeader)
    }

    @Test("hop-by-hop options anywhere but first: Parameter Problem, unrecognized next header, at the field naming it")
    func hopByHopNotFirst() {
        let destination: [UInt8] = [0, 0, 1, 4, 0, 0, 0, 0]
        let hopByHop: [UInt8] = [6, 0, 1, 4, 0, 0, 0, 0]
        #expect(Self.walk(destination + hopByHop, first: .destinationOptions) == .failure(.parameterProblem(code: 1, pointer: 40)))
    }

    @Test("a routing header with segments left is refused at its type (RFC 5095 deprecates type 0); with none left it is skipped")
    func routing() throws {
        let type0: [UInt8] = [17, 2, 0, 1, 0, 0, 0, 0] + [UInt8](repeating: 0, count: 16)
        #expect(Self.walk(type0, first: .routing) == .failure(.parameterProblem(code: 0, pointer: 42)))
        var spent = type0
        spent[3] = 0
        let walked = try Self.walk(spent + [0, 53], first: .routing).get()
        #expect(walked.upperLayer == .udp && walked.upperLayerOffset == 24)
    }

    @Test("a fragment header ends the walk with its offset, flag and identification")
    func fragment() throws {
        let walked = try Self.walk([44, 0, 1, 4, 0, 0, 0, 0] + [58, 0, 0x01, 0x41, 0xDE, 0xAD, 0xBE, 0xEF] + [1, 2, 3],
                                   first: .destinationOptions).get()
        #expect(walked.fragment == IPv6ExtensionHeaders.Fragment(offset: 40, moreFragments: true, identification: 0xDEAD_BEEF,
                                                                  nextHeader: .icmpv6, headerOffset: 8))
        #expect(walked.upperLayer == .fragment && walked.upperLayerOffset == 16)
    }

    @Test("unknown options: skipped, discarded, or a Parameter Problem at the option, as their two high bits say", arguments: [
        (UInt8(0x3E), false, Result<Int, IPv6ExtensionHeaders.Refusal>.success(8)),
        (UInt8(0x7E), false, .failure(.discarded(option: 0x7E))),
        (UInt8(0xBE), true, .failure(.parameterProblem(code: 2, pointer: 44))),
        (UInt8(0xFE), false, .failure(.parameterProblem(code: 2, pointer: 44))),
        (UInt8(0xFE), true, .failure(.discarded(option: 0xFE))),
    ])
    func unknownOptions(type: UInt8, multicast: Bool, expected: Result<Int, IPv6ExtensionHeaders.Refusal>) {
        let header: [UInt8] = [17, 0, 1, 0, type, 0, 1, 0]
        #expect(Self.walk(header, first: .destinationOptions, multicast: multicast).map(\.upperLayerOffset) == expected)
    }

    @Test("headers that run past the payload, options that run past their header, and a ninth header are refused")
    func bounds() {
        #expect(Self.walk([6, 1, 1, 4, 0, 0, 0, 0], first: .destinationOptions) == .failure(.truncated(.truncated(needed: 16, available: 8))))
        #expect(Self.walk([6, 0, 1, 9, 0, 0, 0, 0], first: .destinationOptions) == .failure(.truncated(.truncated(needed: 13, available: 8))))
        #expect(Self.walk([6, 0, 1], first: .destinationOptions) == .failure(.truncated(.truncated(needed: 8, available: 3))))
        let many = (0 ..< 9).flatMap { _ in [60, 0, 1, 4, 0, 0, 0, 0] as [UInt8] }
        #expect(Self.walk(many, first: .destinationOptions) == .failure(.tooManyHeaders))
        let eight = Array(many.dropFirst(8).dropLast(8)) + [59, 0, 1, 4, 0, 0, 0, 0]
        #expect((try? Self.walk(eight, first: .destinationOptions).get())?.count == 8)
    }
}

extension IPv6Header {
    /// The 40 bytes of the header.
    var emitted: [UInt8] {
        var bytes = [UInt8](repeating: 0, count: IPv6Header.length)
        bytes.withUnsafeMutableBytes { emit(into: $0) }
        return bytes
    }

    func withEmitted(_ body: ([UInt8]) -> Void) { body(emitted) }
}
