import MirageCore

/// The protocol in an IP packet's payload (IANA "Assigned Internet Protocol Numbers").
public struct IPProtocol: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let icmp = IPProtocol(rawValue: 1)
    public static let tcp = IPProtocol(rawValue: 6)
    public static let udp = IPProtocol(rawValue: 17)

    public var description: String {
        switch self {
        case .icmp: "ICMP"
        case .tcp: "TCP"
        case .udp: "UDP"
        default: String(rawValue)
        }
    }
}

/// An IPv4 header (RFC 791 section 3.1). Options are parsed only to be skipped (``length`` covers
/// them); headers this stack emits have none.
public struct IPv4Header: Hashable, Sendable {
    /// Differentiated services and ECN (RFC 2474, RFC 3168): the old type-of-service byte.
    public var typeOfService: UInt8 = 0
    /// Header and payload, in bytes.
    public var totalLength: UInt16
    public var identification: UInt16 = 0
    public var dontFragment = false
    public var moreFragments = false
    /// Where this fragment's payload belongs, in 8-byte units.
    public var fragmentOffset: UInt16 = 0
    public var timeToLive: UInt8 = 64
    public var `protocol`: IPProtocol
    public var source: IPv4Address
    public var destination: IPv4Address
    /// The header's length with options: 20 to 60.
    public private(set) var length = IPv4Header.minimumLength

    public static let minimumLength = 20

    public init(totalLength: UInt16, protocol: IPProtocol, source: IPv4Address, destination: IPv4Address) {
        self.totalLength = totalLength
        self.protocol = `protocol`
        self.source = source
        self.destination = destination
    }

    /// The payload's byte range within the packet.
    public var payloadRange: Range<Int> { length..<Int(totalLength) }

    /// Whether the packet is a fragment of a larger datagram (RFC 791 section 2.3).
    public var isFragment: Bool { moreFragments || fragmentOffset != 0 }

    /// Reads and checks the header at the start of `bytes` (bytes past ``totalLength``, such as
    /// Ethernet padding, are ignored).
    /// - Throws: ``WireError/truncated(needed:available:)`` when the header or the total length run
    ///   past the bytes, ``WireError/malformed(field:value:)`` for a version other than 4, a header
    ///   length below 20 or a total length shorter than the header, ``WireError/badChecksum``.
    public static func parse(_ bytes: UnsafeRawBufferPointer) throws(WireError) -> IPv4Header {
        guard bytes.count >= minimumLength else { throw .truncated(needed: minimumLength, available: bytes.count) }
        let version = bytes[0] >> 4
        guard version == 4 else { throw .malformed(field: "IP version", value: UInt32(version)) }
        let headerLength = Int(bytes[0] & 0x0F) * 4
        guard headerLength >= minimumLength else { throw .malformed(field: "IPv4 header length", value: UInt32(headerLength)) }
        guard bytes.count >= headerLength else { throw .truncated(needed: headerLength, available: bytes.count) }
        let total = bytes.bigEndian(UInt16.self, at: 2)
        guard Int(total) >= headerLength else { throw .malformed(field: "IPv4 total length", value: UInt32(total)) }
        guard bytes.count >= Int(total) else { throw .truncated(needed: Int(total), available: bytes.count) }
        guard InternetChecksum.of(UnsafeRawBufferPointer(rebasing: bytes[0..<headerLength])) == 0 else { throw .badChecksum }
        let flagsAndOffset = bytes.bigEndian(UInt16.self, at: 6)
        var header = IPv4Header(
            totalLength: total, protocol: IPProtocol(rawValue: bytes[9]),
            source: bytes.ipv4Address(at: 12), destination: bytes.ipv4Address(at: 16))
        header.typeOfService = bytes[1]
        header.identification = bytes.bigEndian(UInt16.self, at: 4)
        header.dontFragment = flagsAndOffset & 0x4000 != 0
        header.moreFragments = flagsAndOffset & 0x2000 != 0
        header.fragmentOffset = flagsAndOffset & 0x1FFF
        header.timeToLive = bytes[8]
        header.length = headerLength
        return header
    }

    /// Writes a 20-byte header without options at the start of `bytes`, with its checksum.
    public func emit(into bytes: UnsafeMutableRawBufferPointer) {
        precondition(bytes.count >= Self.minimumLength, "no room for the IPv4 header")
        bytes[0] = 0x45
        bytes[1] = typeOfService
        bytes.storeBigEndian(totalLength, at: 2)
        bytes.storeBigEndian(identification, at: 4)
        let flags: UInt16 = (dontFragment ? 0x4000 : 0) | (moreFragments ? 0x2000 : 0)
        bytes.storeBigEndian(flags | (fragmentOffset & 0x1FFF), at: 6)
        bytes[8] = timeToLive
        bytes[9] = self.protocol.rawValue
        bytes.storeBigEndian(UInt16(0), at: 10)
        bytes.store(source, at: 12)
        bytes.store(destination, at: 16)
        let checksum = InternetChecksum.of(UnsafeRawBufferPointer(rebasing: bytes[0..<Self.minimumLength]))
        bytes.storeBigEndian(checksum, at: 10)
    }

    /// The checksum sum of the pseudo-header UDP and TCP cover (RFC 768; RFC 9293 section 3.1):
    /// source, destination, zero and protocol, and the transport segment's `length`.
    public static func pseudoHeaderChecksum(source: IPv4Address, destination: IPv4Address,
                                            protocol: IPProtocol, length: UInt16) -> InternetChecksum {
        var sum = InternetChecksum()
        sum.add(source.value)
        sum.add(destination.value)
        sum.add(UInt16(`protocol`.rawValue))
        sum.add(length)
        return sum
    }
}
