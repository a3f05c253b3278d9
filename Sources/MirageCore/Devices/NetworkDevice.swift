/// Why a network device operation failed.
public enum NetworkError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The frame is larger than the device's MTU plus the Ethernet header.
    case frameTooLarge(length: Int, limit: Int)
    /// The device was closed.
    case disconnected
    /// The platform reported an error; `code` is its error number (errno on unix).
    case io(code: Int32)

    public var description: String {
        switch self {
        case let .frameTooLarge(length, limit): "a frame of \(length) bytes exceeds the limit of \(limit)"
        case .disconnected: "the network device is disconnected"
        case let .io(code): "network input/output error (error number \(code))"
        }
    }
}

/// Counters a network device keeps, as MirageOS's `Mirage_net.stats`.
public struct NetworkStatistics: Hashable, Sendable {
    public var receivedBytes: UInt64 = 0
    public var receivedFrames: UInt64 = 0
    public var transmittedBytes: UInt64 = 0
    public var transmittedFrames: UInt64 = 0
    /// Frames dropped by the device (too large, or no room).
    public var dropped: UInt64 = 0

    public init() {}
}

/// An Ethernet device: frames in, frames out (MirageOS's `Mirage_net`).
///
/// On unix a tap device; on hvt the tender's net hypercalls, which it serves from a tap device.
/// Frames carry the Ethernet header but no frame check sequence.
public protocol NetworkDevice: AnyObject {
    /// The device's hardware address.
    var mac: MACAddress { get }
    /// The largest payload of one frame, not counting the 14-byte Ethernet header.
    var mtu: Int { get }
    /// What has been sent and received so far.
    var statistics: NetworkStatistics { get }

    /// The checksum and segmentation work the device takes off the stack; none unless the device
    /// says otherwise.
    var offloads: NetworkOffloads { get }
    /// With ``NetworkOffloads/tcpSegmentation``: the longest frame ``transmit(_:)`` accepts when
    /// it is to be segmented.
    var largestOffloadedFrame: Int { get }

    /// Waits until frames have arrived, then passes each to `handler`, in order of arrival. A
    /// device with offloads may pass frames longer than the MTU (segments it coalesced) and
    /// frames whose ``FrameOffload/checksumVerified`` is set.
    ///
    /// - Throws: ``NetworkError/disconnected`` once the device is closed.
    func receive(_ handler: (consuming PacketBuffer) -> Void) async throws(NetworkError)

    /// Sends one frame. Its ``PacketBuffer/offload`` asks for the work of the device's
    /// ``offloads``, and for no other.
    func transmit(_ frame: PacketBuffer) async throws(NetworkError)

    /// Sends one frame as ``transmit(_:)`` does when that needs no waiting; false, and nothing
    /// sent, when it would wait (then ``transmit(_:)`` sends it). A stack sends this way with no
    /// task frame for the call and each device it goes through (about 900 user-space
    /// instructions of a DNS answer over tap, with the socket's send and the stack's flush).
    func transmitIfReady(_ frame: PacketBuffer) throws(NetworkError) -> Bool
}

extension NetworkDevice {
    public var offloads: NetworkOffloads { [] }
    public var largestOffloadedFrame: Int { mtu + 14 }
    /// Never without waiting: ``transmit(_:)`` sends.
    public func transmitIfReady(_ frame: PacketBuffer) throws(NetworkError) -> Bool { false }

    /// The longest frame the device sends or passes on without offloads: ``mtu`` bytes after an
    /// Ethernet header with an 802.1Q tag (``NetworkDeviceLimits/framingOverhead``).
    public var frameLimit: Int { mtu + NetworkDeviceLimits.framingOverhead }
}
