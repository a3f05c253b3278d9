/// The control bits of a TCP header (RFC 9293 section 3.1; ECE and CWR from RFC 3168).
public struct TCPFlags: OptionSet, Hashable, Sendable {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let fin = TCPFlags(rawValue: 0x01)
    public static let syn = TCPFlags(rawValue: 0x02)
    public static let rst = TCPFlags(rawValue: 0x04)
    public static let psh = TCPFlags(rawValue: 0x08)
    public static let ack = TCPFlags(rawValue: 0x10)
    public static let urg = TCPFlags(rawValue: 0x20)
    public static let ece = TCPFlags(rawValue: 0x40)
    public static let cwr = TCPFlags(rawValue: 0x80)
}

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
        let headerLength = Int(segment[12] >> 4) * 4
        guard headerLength >= minimumLength else { throw .malformed(field: "TCP data offset", value: UInt32(headerLength / 4)) }
        guard headerLength <= segment.count else { throw .truncated(needed: headerLength, available: segment.count) }
        if !checksumVerified {
            var sum = pseudoHeader
            sum.add(segment)
            guard sum.checksum == 0 else { throw .badChecksum }
        }
        var header = TCPHeader(
            sourcePort: segment.bigEndian(UInt16.self, at: 0), destinationPort: segment.bigEndian(UInt16.self, at: 2),
            sequenceNumber: segment.bigEndian(UInt32.self, at: 4), acknowledgmentNumber: segment.bigEndian(UInt32.self, at: 8),
            flags: TCPFlags(rawValue: segment[13]), window: segment.bigEndian(UInt16.self, at: 14))
        header.urgentPointer = segment.bigEndian(UInt16.self, at: 18)
        header.options = try TCPOptions.parse(UnsafeRawBufferPointer(rebasing: segment[minimumLength..<headerLength]))
        return (header, headerLength)
    }

    /// Writes the header at the start of `segment` (the payload already after ``length`` bytes)
    /// and the checksum over `pseudoHeader` and the whole segment; with `partialChecksum`, only
    /// `pseudoHeader`'s sum, for the network device to complete (``FrameOffload/checksumStart``).
    public func emit(into segment: UnsafeMutableRawBufferPointer, pseudoHeader: InternetChecksum,
                     partialChecksum: Bool = false) {
        precondition(segment.count >= length, "no room for the TCP header")
        segment.storeBigEndian(sourcePort, at: 0)
        segment.storeBigEndian(destinationPort, at: 2)
        segment.storeBigEndian(sequenceNumber, at: 4)
        segment.storeBigEndian(acknowledgmentNumber, at: 8)
        segment[12] = UInt8(length / 4) << 4
        segment[13] = flags.rawValue
        segment.storeBigEndian(window, at: 14)
        segment.storeBigEndian(UInt16(0), at: 16)
        segment.storeBigEndian(urgentPointer, at: 18)
        options.emit(into: UnsafeMutableRawBufferPointer(rebasing: segment[Self.minimumLength..<length]))
        if partialChecksum {
            segment.storeBigEndian(pseudoHeader.sum, at: 16)
            return
        }
        var sum = pseudoHeader
        sum.add(UnsafeRawBufferPointer(segment))
        segment.storeBigEndian(sum.checksum, at: 16)
    }
}
