/// What a network device did, or is asked to do, about one frame's transport checksum and
/// segmentation: the few facts Linux keeps beside a packet (`ip_summed`, `csum_start`,
/// `gso_size`) and virtio-net passes in the header in front of each frame (virtio 1.2, section
/// 5.1.6). Only a device that announced the matching ``NetworkOffloads`` sees the transmit fields
/// set; a received frame has them clear.
public struct FrameOffload: Hashable, Sendable {
    /// Received: the device vouches for the frame's TCP or UDP checksum, so the stack need not
    /// check it. The host checked it, or the frame never left the host and carries only the
    /// pseudo-header's sum in its checksum field, to be completed by hardware it never met.
    public var checksumVerified = false
    /// Transmit: when not 0, the transport checksum is for the device to complete: the checksum
    /// field, ``checksumOffset`` bytes after this frame offset, holds the pseudo-header's sum
    /// (RFC 1071's sum, not complemented), and the device adds the bytes from this offset to the
    /// end and stores the complement there.
    public var checksumStart: UInt16 = 0
    /// Transmit: where the checksum field is, counted from ``checksumStart`` (16 for TCP, 6 for UDP).
    public var checksumOffset: UInt16 = 0
    /// Transmit: when not 0, the frame is one TCP segment over IPv4 longer than the MTU, for the
    /// device to cut into segments carrying this many payload bytes each, copying the headers
    /// (``headerLength`` bytes) and fixing sequence numbers, IPv4 identification, lengths, flags and
    /// checksums (TCP segmentation offload). Implies a partial checksum.
    public var tcpSegmentSize: UInt16 = 0
    /// Transmit, with ``tcpSegmentSize``: the bytes of Ethernet, IP and TCP headers in front of
    /// the payload.
    public var headerLength: UInt16 = 0
    /// Transmit, with ``tcpSegmentSize``: the segment is TCP over IPv6 (virtio's
    /// `VIRTIO_NET_HDR_GSO_TCPV6`), for a device with ``NetworkOffloads/tcpSegmentationIPv6``.
    public var segmentsIPv6 = false

    public init() {}
}

/// The work a network device can take off the stack (``NetworkDevice/offloads``).
public struct NetworkOffloads: OptionSet, Hashable, Sendable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// The device completes TCP and UDP checksums over IPv4 (``FrameOffload/checksumStart``).
    public static let transmitChecksum = NetworkOffloads(rawValue: 1 << 0)
    /// The device segments TCP over IPv4 (``FrameOffload/tcpSegmentSize``), for frames up to
    /// ``NetworkDevice/largestOffloadedFrame`` bytes.
    public static let tcpSegmentation = NetworkOffloads(rawValue: 1 << 1)
    /// The device segments TCP over IPv6 as well (``FrameOffload/segmentsIPv6``).
    public static let tcpSegmentationIPv6 = NetworkOffloads(rawValue: 1 << 2)
}
