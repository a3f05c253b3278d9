import MirageCore

/// The classic libpcap capture file format, as tcpdump, Wireshark and tshark read it: a 24-byte
/// file header, then for each frame a 16-byte record header followed by the frame's bytes
/// (draft-ietf-opsawg-pcap, sections 4 and 5).
///
/// Files are written in the nanosecond-resolution variant (magic number `0xA1B23C4D`), version
/// 2.4, with link type 1 (`LINKTYPE_ETHERNET`: frames start with the Ethernet header and carry no
/// frame check sequence). Every field is little-endian: a reader tells the byte order from the
/// magic number, so the writer may use its own, and every platform here is little-endian.
public enum PcapFormat {
    /// The magic number of a file whose timestamps count nanoseconds, not microseconds.
    public static let nanosecondMagic: UInt32 = 0xA1B2_3C4D
    public static let majorVersion: UInt16 = 2
    public static let minorVersion: UInt16 = 4
    /// The most bytes of one frame a record holds; longer frames are cut to this.
    public static let snapshotLength = 65_535
    /// `LINKTYPE_ETHERNET`.
    public static let ethernetLinkType: UInt32 = 1
    /// Bytes of the file header.
    public static let fileHeaderLength = 24
    /// Bytes of a record header.
    public static let recordHeaderLength = 16

    /// The 24-byte file header: magic number, version 2.4, a zero time zone offset and accuracy,
    /// ``snapshotLength`` and ``ethernetLinkType``.
    public static func fileHeader() -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(fileHeaderLength)
        bytes.appendLittleEndian(nanosecondMagic)
        bytes.appendLittleEndian(majorVersion)
        bytes.appendLittleEndian(minorVersion)
        bytes.appendLittleEndian(UInt32(0))  // "thiszone": timestamps are UTC
        bytes.appendLittleEndian(UInt32(0))  // "sigfigs": always 0
        bytes.appendLittleEndian(UInt32(snapshotLength))
        bytes.appendLittleEndian(ethernetLinkType)
        return bytes
    }

    /// The 16-byte header of the record for a frame of `originalLength` bytes seen at `time`.
    ///
    /// - Parameters:
    ///   - time: when the frame was seen. The format has 32 unsigned bits of seconds, so times
    ///     before 1970 are written as 1970 and times after 2106 as 2106.
    ///   - capturedLength: the bytes of the frame the record holds, at most ``snapshotLength``.
    ///   - originalLength: the frame's length on the wire.
    public static func recordHeader(at time: WallTime, capturedLength: Int, originalLength: Int) -> [UInt8] {
        precondition(capturedLength >= 0 && capturedLength <= min(originalLength, snapshotLength),
                     "a record holds at most the frame, and at most the snapshot length")
        var bytes: [UInt8] = []
        bytes.reserveCapacity(recordHeaderLength)
        bytes.appendLittleEndian(UInt32(clamping: time.seconds))
        bytes.appendLittleEndian(time.nanoseconds)
        bytes.appendLittleEndian(UInt32(capturedLength))
        bytes.appendLittleEndian(UInt32(clamping: originalLength))
        return bytes
    }

    /// The bytes a record holds of a frame of `length` bytes: all of it, up to ``snapshotLength``.
    public static func capturedLength(ofFrameLength length: Int) -> Int {
        min(length, snapshotLength)
    }

    /// Appends the record for `frame`, seen at `time`, to `file`: its header, then its bytes up to
    /// ``snapshotLength``.
    public static func appendRecord(of frame: PacketBuffer, at time: WallTime, to file: inout [UInt8]) {
        let captured = capturedLength(ofFrameLength: frame.count)
        file.append(contentsOf: recordHeader(at: time, capturedLength: captured, originalLength: frame.count))
        frame.withUnsafeBytes { file.append(contentsOf: $0.prefix(captured)) }
    }
}
