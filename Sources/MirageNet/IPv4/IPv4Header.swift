import MirageCore

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

    /// Byte offsets of the header's fields (RFC 791 section 3.1).
    enum Field {
        /// Version (high 4 bits) and IHL, the header length in 32-bit words (low 4 bits).
        static let versionAndLength = 0
        static let typeOfService = 1
        static let totalLength = 2
        static let identification = 4
        /// Flags (high 3 bits) and the fragment offset in 8-byte units (low 13 bits).
        static let flagsAndFragmentOffset = 6
        static let timeToLive = 8
        static let `protocol` = 9
        static let checksum = 10
        static let source = 12
        static let destination = 16
    }

    /// The bits of ``Field/flagsAndFragmentOffset`` (RFC 791 section 3.1, "Flags").
    enum Flag {
        static let dontFragment: UInt16 = 0x4000
        static let moreFragments: UInt16 = 0x2000
        static let fragmentOffsetMask: UInt16 = 0x1FFF
    }

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
        let version = bytes[Field.versionAndLength] >> 4
        guard version == 4 else { throw .malformed(field: "IP version", value: UInt32(version)) }
        let headerLength = Int(bytes[Field.versionAndLength] & 0x0F) * 4
        guard headerLength >= minimumLength else { throw .malformed(field: "IPv4 header length", value: UInt32(headerLength)) }
        guard bytes.count >= headerLength else { throw .truncated(needed: headerLength, available: bytes.count) }
        let total = bytes.bigEndian(UInt16.self, at: Field.totalLength)
        guard Int(total) >= headerLength else { throw .malformed(field: "IPv4 total length", value: UInt32(total)) }
        guard bytes.count >= Int(total) else { throw .truncated(needed: Int(total), available: bytes.count) }
        guard InternetChecksum.of(UnsafeRawBufferPointer(rebasing: bytes[0..<headerLength])) == 0 else { throw .badChecksum }
        let flagsAndOffset = bytes.bigEndian(UInt16.self, at: Field.flagsAndFragmentOffset)
        var header = IPv4Header(
            totalLength: total, protocol: IPProtocol(rawValue: bytes[Field.`protocol`]),
            source: bytes.ipv4Address(at: Field.source), destination: bytes.ipv4Address(at: Field.destination))
        header.typeOfService = bytes[Field.typeOfService]
        header.identification = bytes.bigEndian(UInt16.self, at: Field.identification)
        header.dontFragment = flagsAndOffset & Flag.dontFragment != 0
        header.moreFragments = flagsAndOffset & Flag.moreFragments != 0
        header.fragmentOffset = flagsAndOffset & Flag.fragmentOffsetMask
        header.timeToLive = bytes[Field.timeToLive]
        header.length = headerLength
        return header
    }

    /// Writes a 20-byte header without options at the start of `bytes`, with its checksum.
    public func emit(into bytes: UnsafeMutableRawBufferPointer) {
        precondition(bytes.count >= Self.minimumLength, "no room for the IPv4 header")
        bytes[Field.versionAndLength] = 0x45
        bytes[Field.typeOfService] = typeOfService
        bytes.storeBigEndian(totalLength, at: Field.totalLength)
        bytes.storeBigEndian(identification, at: Field.identification)
        let flags: UInt16 = (dontFragment ? Flag.dontFragment : 0) | (moreFragments ? Flag.moreFragments : 0)
        bytes.storeBigEndian(flags | (fragmentOffset & Flag.fragmentOffsetMask), at: Field.flagsAndFragmentOffset)
        bytes[Field.timeToLive] = timeToLive
        bytes[Field.`protocol`] = self.protocol.rawValue
        bytes.storeBigEndian(UInt16(0), at: Field.checksum)
        bytes.store(source, at: Field.source)
        bytes.store(destination, at: Field.destination)
        let checksum = InternetChecksum.of(UnsafeRawBufferPointer(rebasing: bytes[0..<Self.minimumLength]))
        bytes.storeBigEndian(checksum, at: Field.checksum)
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
