/// The header Linux puts in front of every frame on a tap descriptor opened with `IFF_VNET_HDR`
/// (`struct virtio_net_hdr`, virtio 1.2 section 5.1.6, in the legacy 10-byte form and the host's
/// byte order, little-endian here): how the frame's checksum and segmentation are to be handled.
/// It is how a tap device on unix, and the hvt tender for its guest, pass ``FrameOffload`` facts
/// to and from the kernel.
public struct VirtioNetHeader: Equatable, Sendable {
    /// The header's size on the descriptor (the default of `TUNSETVNETHDRSZ`).
    public static let length = 10

    /// `VIRTIO_NET_HDR_F_NEEDS_CSUM`: the checksum is partial, to complete from ``checksumStart``.
    public static let needsChecksum: UInt8 = 1
    /// `VIRTIO_NET_HDR_F_DATA_VALID`: the checksum was checked.
    public static let dataValid: UInt8 = 2
    /// `VIRTIO_NET_HDR_GSO_NONE` and `VIRTIO_NET_HDR_GSO_TCPV4`.
    public static let segmentationNone: UInt8 = 0
    public static let segmentationTCPv4: UInt8 = 1
    /// `VIRTIO_NET_HDR_GSO_TCPV6`.
    public static let segmentationTCPv6: UInt8 = 4

    public var flags: UInt8 = 0
    public var segmentationType: UInt8 = segmentationNone
    public var headerLength: UInt16 = 0
    public var segmentSize: UInt16 = 0
    public var checksumStart: UInt16 = 0
    public var checksumOffset: UInt16 = 0

    /// The header that asks the kernel for `offload`'s work on a frame we send.
    public init(transmitting offload: FrameOffload) {
        if offload.checksumStart != 0 || offload.tcpSegmentSize != 0 {
            flags = Self.needsChecksum
            checksumStart = offload.checksumStart
            checksumOffset = offload.checksumOffset
        }
        if offload.tcpSegmentSize != 0 {
            segmentationType = offload.segmentsIPv6 ? Self.segmentationTCPv6 : Self.segmentationTCPv4
            segmentSize = offload.tcpSegmentSize
            headerLength = offload.headerLength
        }
    }

    public init() {}

    /// Reads the header from the first ``length`` bytes of `bytes`.
    public init(_ bytes: UnsafeRawBufferPointer) {
        precondition(bytes.count >= Self.length, "a virtio-net header is 10 bytes")
        func field(_ offset: Int) -> UInt16 { UInt16(bytes[offset]) | UInt16(bytes[offset + 1]) << 8 }
        flags = bytes[0]
        segmentationType = bytes[1]
        headerLength = field(2)
        segmentSize = field(4)
        checksumStart = field(6)
        checksumOffset = field(8)
    }

    /// Writes the header into the first ``length`` bytes of `bytes`.
    public func write(into bytes: UnsafeMutableRawBufferPointer) {
        precondition(bytes.count >= Self.length, "a virtio-net header is 10 bytes")
        func store(_ value: UInt16, _ offset: Int) {
            bytes[offset] = UInt8(truncatingIfNeeded: value)
            bytes[offset + 1] = UInt8(truncatingIfNeeded: value >> 8)
        }
        bytes[0] = flags
        bytes[1] = segmentationType
        store(headerLength, 2)
        store(segmentSize, 4)
        store(checksumStart, 6)
        store(checksumOffset, 8)
    }

    /// What a received frame's header tells the stack: its checksum needs no check when the
    /// kernel checked it or when it is partial (the frame never left this host).
    public var receivedOffload: FrameOffload {
        var offload = FrameOffload()
        offload.checksumVerified = flags & (Self.needsChecksum | Self.dataValid) != 0
        return offload
    }
}
