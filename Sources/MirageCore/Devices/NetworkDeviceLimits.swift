/// The sizes and batch limits our network devices share: the unix tap device, the hvt guest's
/// net device and the simulated one in tests.
public enum NetworkDeviceLimits {
    /// Bytes a frame may carry beyond its MTU: the Ethernet header (14) and an 802.1Q tag (4)
    /// (IEEE 802.1Q-2018, section 9). A frame is at most `mtu + 18` bytes (``NetworkDevice/frameLimit``).
    public static let framingOverhead = 18

    /// The longest frame a device with ``NetworkOffloads/tcpSegmentation`` takes to cut: an IPv4
    /// packet's largest size (65,535 bytes, RFC 791) in an untagged Ethernet frame.
    public static let largestOffloadedFrame = 65535 + 14

    /// The longest frame a device with offloads may receive: a TCP segment the kernel coalesced to
    /// the largest IPv6 packet (a 65,535-byte payload after the 40-byte header, RFC 8200; IPv4's
    /// is shorter), in a frame with an 802.1Q tag. A read into less would cut such a frame short.
    public static let largestReceivedFrame = 65535 + 40 + 14 + 4

    /// At most this many frames are passed per ``NetworkDevice/receive(_:)``, so that a busy
    /// interface cannot keep other tasks from running.
    public static let receiveBatchLimit = 64

    /// Free bytes in front of every received frame, so that an upper layer can turn a request
    /// into a reply in place, even one with longer headers.
    public static let receiveHeadroom = 64
}
