import MirageCore

/// The fixed IPv6 header (RFC 8200 section 3): 40 bytes, no checksum, no options (those are
/// extension headers, ``IPv6ExtensionHeaders``).
public struct IPv6Header: Hashable, Sendable {
    /// Differentiated services and ECN (RFC 2474, RFC 3168).
    public var trafficClass: UInt8 = 0
    /// 20 bits (RFC 6437).
    public var flowLabel: UInt32 = 0
    /// The bytes after this header: extension headers and the upper-layer payload.
    public var payloadLength: UInt16
    /// The first extension header's type, or the upper-layer protocol.
    public var nextHeader: IPProtocol
    public var hopLimit: UInt8 = 64
    public var source: IPv6Address
    public var destination: IPv6Address

    public static let length = 40

    /// Byte offsets of the header's fields (RFC 8200 section 3).
    enum Field {
        /// Version (4 bits), traffic class (8 bits) and flow label (20 bits).
        static let versionClassAndFlow = 0
        static let payloadLength = 4
        static let nextHeader = 6
        static let hopLimit = 7
        static let source = 8
        static let destination = 24
    }

    public init(payloadLength: UInt16, nextHeader: IPProtocol, source: IPv6Address, destination: IPv6Address) {
        self.payloadLength = payloadLength
        self.nextHeader = nextHeader
        self.source = source
        self.destination = destination
    }

    /// The bytes of the packet that the payload length covers: after the header, to its end.
    public var payloadRange: Range<Int> { Self.length ..< Self.length + Int(payloadLength) }

    /// Reads the header at the start of `bytes` (bytes past the payload length, such as Ethernet
    /// padding, are ignored).
    /// - Throws: ``WireError/truncated(needed:available:)`` when the header or the payload length
    ///   run past the bytes; ``WireError/malformed(field:value:)`` for a version other than 6.
    ///   A payload length of 0 (a jumbogram, RFC 2675) is taken as an empty payload: links here
    ///   carry no jumbograms.
    public static func parse(_ bytes: UnsafeRawBufferPointer) throws(WireError) -> IPv6Header {
        guard bytes.count >= length else { throw .truncated(needed: length, available: bytes.count) }
        let first = bytes.bigEndian(UInt32.self, at: Field.versionClassAndFlow)
        guard first >> 28 == 6 else { throw .malformed(field: "IP version", value: first >> 28) }
        let payloadLength = bytes.bigEndian(UInt16.self, at: Field.payloadLength)
        guard bytes.count >= length + Int(payloadLength) else {
            throw .truncated(needed: length + Int(payloadLength), available: bytes.count)
        }
        var header = IPv6Header(payloadLength: payloadLength, nextHeader: IPProtocol(rawValue: bytes[Field.nextHeader]),
                                source: bytes.ipv6Address(at: Field.source), destination: bytes.ipv6Address(at: Field.destination))
        header.trafficClass = UInt8(truncatingIfNeeded: first >> 20)
        header.flowLabel = first & 0xF_FFFF
        header.hopLimit = bytes[Field.hopLimit]
        return header
    }

    /// Writes the 40-byte header at the start of `bytes`.
    public func emit(into bytes: UnsafeMutableRawBufferPointer) {
        precondition(bytes.count >= Self.length, "no room for the IPv6 header")
        bytes.storeBigEndian(6 << 28 | UInt32(trafficClass) << 20 | flowLabel & 0xF_FFFF, at: Field.versionClassAndFlow)
        bytes.storeBigEndian(payloadLength, at: Field.payloadLength)
        bytes[Field.nextHeader] = nextHeader.rawValue
        bytes[Field.hopLimit] = hopLimit
        bytes.store(source, at: Field.source)
        bytes.store(destination, at: Field.destination)
    }

    /// The checksum sum of the pseudo-header that UDP, TCP and ICMPv6 cover over IPv6 (RFC 8200
    /// section 8.1): source, destination, the upper-layer length as 32 bits, zeros and the
    /// upper-layer protocol. `destination` is the final one where a routing header names it.
    public static func pseudoHeaderChecksum(source: IPv6Address, destination: IPv6Address,
                                            protocol: IPProtocol, length: UInt32) -> InternetChecksum {
        var sum = InternetChecksum()
        // Word by word, without an array: every TCP segment over IPv6 comes here.
        sum.add(UInt32(truncatingIfNeeded: source.high >> 32))
        sum.add(UInt32(truncatingIfNeeded: source.high))
        sum.add(UInt32(truncatingIfNeeded: source.low >> 32))
        sum.add(UInt32(truncatingIfNeeded: source.low))
        sum.add(UInt32(truncatingIfNeeded: destination.high >> 32))
        sum.add(UInt32(truncatingIfNeeded: destination.high))
        sum.add(UInt32(truncatingIfNeeded: destination.low >> 32))
        sum.add(UInt32(truncatingIfNeeded: destination.low))
        sum.add(length)
        sum.add(UInt16(`protocol`.rawValue))
        return sum
    }
}
