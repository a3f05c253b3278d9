import MirageCore

/// A capture sink that builds a pcap file in memory: ``bytes`` is a complete file at every
/// moment, for tests to inspect or for a unikernel without a file system to hand out.
public final class MemoryCaptureSink: PacketCaptureSink {
    /// The pcap file so far: the file header, then one record per captured frame.
    public private(set) var bytes: [UInt8]
    /// How many frames have been captured.
    public private(set) var frameCount = 0

    /// An empty capture: the file header alone.
    public init() {
        bytes = PcapFormat.fileHeader()
    }

    public func capture(_ frame: PacketBuffer, at time: WallTime) {
        PcapFormat.appendRecord(of: frame, at: time, to: &bytes)
        frameCount += 1
    }
}
