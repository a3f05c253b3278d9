import _Concurrency  // Embedded Swift needs it imported explicitly for async code (PLATFORM-NOTES.md)
import MirageCore

/// A network device that shows every frame it passes, in either direction, to a capture sink:
/// `--pcap=FILE` wraps the stack's device in one (as smoltcp's `PcapWriter` middleware does).
///
/// A received frame is captured before the handler sees it, a frame to send before the wrapped
/// device gets it, so the capture is in the order the stack saw the frames. Frames the wrapped
/// device then refuses (too large, or closed) are in the capture too: it records what the stack
/// sent, not what reached the wire. Timestamps come from `clock`, read once per frame.
public final class CapturingNetworkDevice<Base: NetworkDevice, Sink: PacketCaptureSink, Clock: WallClock>: NetworkDevice {
    /// The device whose frames are captured.
    public let base: Base
    /// Where the frames go; nil captures nothing (`--pcap` not given), so one wiring serves both.
    public let sink: Sink?
    /// Gives each frame its timestamp.
    public let clock: Clock

    /// Wraps `base`, capturing its frames into `sink` with times from `clock`.
    public init(_ base: Base, sink: Sink?, clock: Clock) {
        self.base = base
        self.sink = sink
        self.clock = clock
    }

    public var mac: MACAddress { base.mac }
    public var mtu: Int { base.mtu }
    public var statistics: NetworkStatistics { base.statistics }
    /// The wrapped device's: frames are captured as the stack and the device exchange them, large
    /// segments whole and checksums partial, as tcpdump shows them on a Linux host with offloads.
    public var offloads: NetworkOffloads { base.offloads }
    public var largestOffloadedFrame: Int { base.largestOffloadedFrame }

    public func receive(_ handler: (consuming PacketBuffer) -> Void) async throws(NetworkError) {
        guard let sink else { return try await base.receive(handler) }
        try await base.receive { frame in
            sink.capture(frame, at: clock.now())
            handler(consume frame)
        }
    }

    public func transmit(_ frame: PacketBuffer) async throws(NetworkError) {
        sink?.capture(frame, at: clock.now())
        try await base.transmit(frame)
    }

    /// Captured when the wrapped device sends it or refuses it, not when it would wait: the
    /// ``transmit(_:)`` that follows captures it then.
    public func transmitIfReady(_ frame: PacketBuffer) throws(NetworkError) -> Bool {
        guard let sink else { return try base.transmitIfReady(frame) }
        let sent: Bool
        do {
            sent = try base.transmitIfReady(frame)
        } catch {
            sink.capture(frame, at: clock.now())
            throw error
        }
        if sent { sink.capture(frame, at: clock.now()) }
        return sent
    }
}
