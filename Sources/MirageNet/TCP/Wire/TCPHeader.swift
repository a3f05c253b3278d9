/// A TCP header (RFC 9293 section 3.1) with its options.
public struct TCPHeader: Hashable, Sendable {
    public var sourcePort: UInt16
    public var destinationPort: UInt16
    public var sequenceNumber: UInt32
    public var acknowledgmentNumber: UInt32
    public var flags: TCPFlags
    /// The receive window, unscaled as on the wire.
    public var window: UInt16
    public var urgentPointer: UInt16 = 0
    public var options = TCPOptions()

    public static let minimumLength = 20

    /// Byte offsets of the header's fields (RFC 9293 section 3.1); options follow at
    /// ``minimumLength``.
    enum Field {
        static let sourcePort = 0
        static let destinationPort = 2
        static let sequenceNumber = 4
        static let acknowledgmentNumber = 8
        /// The data offset, the header length in 32-bit words, in the high 4 bits.
        static let dataOffset = 12
        static let flags = 13
        static let window = 14
        static let checksum = 16
        static let urgentPointer = 18
    }

    public init(sourcePort: UInt16, destinationPort: UInt16, sequenceNumber: UInt32,
                acknowledgmentNumber: UInt32, flags: TCPFlags, window: UInt16) {
        self.sourcePort = sourcePort
        self.destinationPort = destinationPort
        self.sequenceNumber = sequenceNumber
        self.acknowledgmentNumber = acknowledgmentNumber
        self.flags = flags
        self.window = window
    }

    /// The header's length with options when emitted.
    public var length: Int { Self.minimumLength + options.encodedLength }

    /// Reads the header of `segment` (the whole IP payload), checking the checksum over
    /// `pseudoHeader` and the segment unless `checksumVerified` (the network device vouched for
    /// it, ``FrameOffload/checksumVerified``).
    /// - Returns: the header and the offset where the payload starts.
    /// - Throws: ``WireError/truncated(needed:available:)``, ``WireError/malformed(field:value:)``
    ///   for a data offset below 5 or a bad option, ``WireError/badChecksum``.
    public static func parse(_ segment: UnsafeRawBufferPointer, pseudoHeader: InternetChecksum,
                             checksumVerified: Bool = false) throws(WireError) -> (header: TCPHeader, payloadOffset: Int) {
        guard segment.count >= minimumLength else { throw .truncated(needed: minimumLength, available: segment.count) }
        let headerLength = Int(segment[Field.dataOffset] >> 4) * 4
        guard headerLength >= minimumLength else { throw .malformed(field: "TCP data offset", value: UInt32(headerLength / 4)) }
        guard headerLength <= segment.count else { throw .truncated(needed: headerLength, available: segment.count) }
        if !checksumVerified {
            var sum = pseudoHeader
            sum.add(segment)
            guard sum.checksum == 0 else { throw .badChecksum }
        }
        var header = TCPHeader(
            sourcePort: segment.bigEndian(UInt16.self, at: Field.sourcePort), destinationPort: segment.bigEndian(UInt16.self, at: Field.destinationPort),
            sequenceNumber: segment.bigEndian(UInt32.self, at: Field.sequenceNumber), acknowledgmentNumber: segment.bigEndian(UInt32.self, at: Field.acknowledgmentNumber),
            flags: TCPFlags(rawValue: segment[Field.flags]), window: segment.bigEndian(UInt16.self, at: Field.window))
        header.urgentPointer = segment.bigEndian(UInt16.self, at: Field.urgentPointer)
        header.options = try TCPOptions.parse(UnsafeRawBufferPointer(rebasing: segment[minimumLength..<headerLength]))
        return (header, headerLength)
    }

    /// Writes the header at the start of `segment` (the payload already after ``length`` bytes)
    /// and the checksum over `pseudoHeader` and the whole segment; with `partialChecksum`, only
    /// `pseudoHeader`'s sum, for the network device to complete (``FrameOffload/checksumStart``).
    public func emit(into segment: UnsafeMutableRawBufferPointer, pseudoHeader: InternetChecksum,
                     partialChecksum: Bool = false) {
        precondition(segment.count >= length, "no room for the TCP header")
        segment.storeBigEndian(sourcePort, at: Field.sourcePort)
        segment.storeBigEndian(destinationPort, at: Field.destinationPort)
        segment.storeBigEndian(sequenceNumber, at: Field.sequenceNumber)
        segment.storeBigEndian(acknowledgmentNumber, at: Field.acknowledgmentNumber)
        segment[Field.dataOffset] = UInt8(length / 4) << 4
        segment[Field.flags] = flags.rawValue
        segment.storeBigEndian(window, at: Field.window)
        segment.storeBigEndian(UInt16(0), at: Field.checksum)
        segment.storeBigEndian(urgentPointer, at: Field.urgentPointer)
        options.emit(into: UnsafeMutableRawBufferPointer(rebasing: segment[Self.minimumLength..<length]))
        if partialChecksum {
            segment.storeBigEndian(pseudoHeader.sum, at: Field.checksum)
            return
        }
        var sum = pseudoHeader
        sum.add(UnsafeRawBufferPointer(segment))
        segment.storeBigEndian(sum.checksum, at: Field.checksum)
    }
}
