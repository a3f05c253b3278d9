import _Concurrency  // Embedded Swift needs it imported explicitly for async code (PLATFORM-NOTES.md)
import MirageCore

/// Where a ``CapturingNetworkDevice`` sends the frames it sees: a pcap file on unix
/// (`MirageUnix.PcapFileSink`), memory in tests (``MemoryCaptureSink``).
public protocol PacketCaptureSink: AnyObject {
    /// Records `frame`, sent or received at `time`. The frame is a value: a sink may keep it.
    func capture(_ frame: PacketBuffer, at time: WallTime)
}
