import MirageCore

/// A TCP segment as the connection state machine sees it: the header and the payload, without
/// addresses (the connection knows them) and without a checksum (the TCP layer checks and makes it).
public struct TCPSegment: Equatable {
    public var header: TCPHeader
    public var payload: PacketBuffer
    /// For a segment longer than one MSS, left for the network device to cut: the payload of each
    /// piece (``FrameOffload/tcpSegmentSize``). 0 otherwise.
    public var pieceSize: Int

    public init(header: TCPHeader, payload: PacketBuffer = PacketBuffer(capacity: 0), pieceSize: Int = 0) {
        self.header = header
        self.payload = payload
        self.pieceSize = pieceSize
    }

    public var sequenceNumber: SequenceNumber { SequenceNumber(header.sequenceNumber) }
    public var acknowledgmentNumber: SequenceNumber { SequenceNumber(header.acknowledgmentNumber) }
    public var flags: TCPFlags { header.flags }

    /// SEG.LEN: the octets of sequence space the segment occupies, SYN and FIN counting one each
    /// (RFC 9293 section 3.4).
    public var sequenceLength: Int {
        payload.count + (flags.contains(.syn) ? 1 : 0) + (flags.contains(.fin) ? 1 : 0)
    }
}
