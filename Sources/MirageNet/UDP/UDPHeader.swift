/// A UDP header (RFC 768): ports, length, and a checksum over a pseudo-header, the header and
/// the payload (zero when the sender computed none, which IPv4 allows).
public struct UDPHeader: Hashable, Sendable {
    public var sourcePort: UInt16
    public var destinationPort: UInt16
    /// Header and payload, in bytes.
    public var length: UInt16

    public static let headerLength = 8

    /// Byte offsets of the header's fields (RFC 768, "Format").
    enum Field {
        static let sourcePort = 0
        static let destinationPort = 2
        static let length = 4
        static let checksum = 6
    }

    public init(sourcePort: UInt16, destinationPort: UInt16, length: UInt16) {
        self.sourcePort = sourcePort
        self.destinationPort = destinationPort
        self.length = length
    }

    /// The payload's byte range within the datagram.
    public var payloadRange: Range<Int> { Self.headerLength..<Int(length) }

    /// Reads the header of the datagram `bytes` (the IP payload) and checks its checksum when the
    /// sender set one and the network device did not vouch for it (`checksumVerified`);
    /// `pseudoHeader` is ``IPv4Header/pseudoHeaderChecksum(source:destination:protocol:length:)``.
    /// - Throws: ``WireError/truncated(needed:available:)``, ``WireError/malformed(field:value:)``
    ///   for a length field below 8, ``WireError/badChecksum``.
    public static func parse(_ bytes: UnsafeRawBufferPointer, pseudoHeader: InternetChecksum,
                             checksumVerified: Bool = false) throws(WireError) -> UDPHeader {
        guard bytes.count >= headerLength else { throw .truncated(needed: headerLength, available: bytes.count) }
        let length = bytes.bigEndian(UInt16.self, at: Field.length)
        guard Int(length) >= headerLength else { throw .malformed(field: "UDP length", value: UInt32(length)) }
        guard Int(length) <= bytes.count else { throw .truncated(needed: Int(length), available: bytes.count) }
        if bytes.bigEndian(UInt16.self, at: Field.checksum) != 0, !checksumVerified {
            var sum = pseudoHeader
            sum.add(UnsafeRawBufferPointer(rebasing: bytes[0..<Int(length)]))
            guard sum.checksum == 0 else { throw .badChecksum }
        }
        return UDPHeader(sourcePort: bytes.bigEndian(UInt16.self, at: Field.sourcePort), destinationPort: bytes.bigEndian(UInt16.self, at: Field.destinationPort), length: length)
    }

    /// Writes the header at the start of `datagram` (which already holds the payload after it) and
    /// the checksum over `pseudoHeader`, header and payload.
    public func emit(into datagram: UnsafeMutableRawBufferPointer, pseudoHeader: InternetChecksum) {
        precondition(datagram.count >= Int(length) && Int(length) >= Self.headerLength, "the datagram does not hold the length")
        datagram.storeBigEndian(sourcePort, at: Field.sourcePort)
        datagram.storeBigEndian(destinationPort, at: Field.destinationPort)
        datagram.storeBigEndian(length, at: Field.length)
        datagram.storeBigEndian(UInt16(0), at: Field.checksum)
        var sum = pseudoHeader
        sum.add(UnsafeRawBufferPointer(rebasing: datagram[0..<Int(length)]))
        // A computed checksum of zero is sent as all ones: zero means "no checksum" (RFC 768).
        datagram.storeBigEndian(sum.checksum == 0 ? 0xFFFF : sum.checksum, at: Field.checksum)
    }
}
