import CMirageHVTGuest
import MirageHVTGuest
import MirageRuntime

/// A network device the tender serves from a host tap interface (`mirage-hvt --net:NAME=TAP`)
/// (MirageOS's `mirage-net-solo5`).
///
/// Frames travel in ``HVTPlatform``'s poll, the net poll hypercall (`MIRAGE_HVT_NET_POLL`):
/// ``transmit(_:)`` queues a frame and returns, and at the end of the scheduler's round one VM
/// exit sends every frame queued and brings back the frames that arrived, into a receive area the
/// device owns. A full queue, or frames known to wait in the tender, make the call at once. So a
/// busy server spends one exit per round of work, not one per frame each way.
///
/// The tender chose the address (``mac``, random and locally administered) and read the
/// interface's ``mtu``. The device suits the platform's single-threaded scheduler and no other.
///
/// When the tender passes virtio-net headers (`MIRAGE_HVT_NET_HEADERS`), the device takes the
/// kernel's offloads as a tap device on unix does: TCP segments of up to 64 KiB each way and
/// checksums left partial.
public final class HVTNetworkDevice: NetworkDevice, HVTFrameQueue {
    /// The device's name, as in `--net:NAME=TAP`.
    public let name: String
    public let mac: MACAddress
    public let mtu: Int
    public private(set) var statistics = NetworkStatistics()
    public let offloads: NetworkOffloads
    public var largestOffloadedFrame: Int { NetworkDeviceLimits.largestOffloadedFrame }

    /// At most this many frames are taken per call, as many as ``receive(_:)`` passes on
    /// (``NetworkDeviceLimits/receiveBatchLimit``).
    static let receiveBatchLimit = NetworkDeviceLimits.receiveBatchLimit
    /// At most this many frames wait to be sent; the next one makes the call first.
    public static let sendBatchLimit = 64

    public var deviceIndex: Int { Int(index) }
    private let index: UInt32
    /// Whether frames travel with their virtio-net headers.
    private let passesHeaders: Bool
    private let platform: HVTPlatform
    /// Frames queued to send, and how many of the first went in the call under way.
    private var outgoing: [PacketBuffer] = []
    private var sending = 0
    /// Frames received and not yet passed to the reader, from `arrivedHead` on.
    private var arrived: [PacketBuffer] = []
    private var arrivedHead = 0
    /// The last call left frames in the tender (the area or the descriptions ran out).
    private var moreWaiting = false
    /// Set once the tender reported a failure of the tap: the device stays disconnected.
    private var failed = false
    /// The descriptions of a call: ``sendBatchLimit`` for frames sent, then
    /// ``receiveBatchLimit`` for frames received.
    private let descriptions: UnsafeMutablePointer<mirage_hvt_net_frame>
    /// Where the tender puts received frames, which are copied out of it into buffers of their own.
    private let area: UnsafeMutableRawBufferPointer

    private init(name: String, index: UInt32, mac: MACAddress, mtu: Int, passesHeaders: Bool, platform: HVTPlatform) {
        self.name = name
        self.index = index
        self.passesHeaders = passesHeaders
        offloads = passesHeaders ? [.transmitChecksum, .tcpSegmentation, .tcpSegmentationIPv6] : []
        self.mac = mac
        self.mtu = mtu
        self.platform = platform
        descriptions = .allocate(capacity: Self.sendBatchLimit + Self.receiveBatchLimit)
        // Room for two of the longest frames: a bulk transfer takes two 64 KiB segments per exit.
        let longest = passesHeaders ? NetworkDeviceLimits.largestReceivedFrame : mtu + NetworkDeviceLimits.framingOverhead
        area = .allocate(byteCount: (2 * longest + 15) & ~15, alignment: 16)
    }

    /// The net device the tender attached as `name`, attached to `platform`'s poll.
    /// - Throws: ``HVTNetworkError/notAttached(name:)`` when the tender attached none of that name.
    public static func connect(name: String, platform: HVTPlatform) throws(HVTNetworkError) -> HVTNetworkDevice {
        let boot = bootInfo()
        let count = Int(boot.pointee.device_count)
        let found: HVTNetworkDevice? = withUnsafeBytes(of: boot.pointee.devices) { raw in
            let table = raw.bindMemory(to: mirage_hvt_device.self)
            for index in 0..<min(count, table.count) where table[index].kind == MIRAGE_HVT_DEVICE_NET.rawValue {
                let entry = table[index]
                let entryName = withUnsafeBytes(of: entry.name) { bytes in
                    String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
                }
                guard entryName.hasSameSpelling(as: name) else { continue }
                let mac = withUnsafeBytes(of: entry.mac) { MACAddress(bytes: Array($0.prefix(6))) }
                return HVTNetworkDevice(name: name, index: UInt32(index), mac: mac, mtu: Int(entry.mtu),
                                        passesHeaders: entry.flags & MIRAGE_HVT_NET_HEADERS != 0, platform: platform)
            }
            return nil
        }
        guard let found else { throw .notAttached(name: name) }
        platform.attach(found)
        return found
    }

    /// Waits until frames have arrived, then passes each to `handler` in order of arrival: up to
    /// ``receiveBatchLimit`` of them.
    ///
    /// Each frame is a fresh buffer with ``NetworkDeviceLimits/receiveHeadroom`` free bytes in front.
    ///
    /// - Throws: ``NetworkError/disconnected`` once the tender has reported the tap failed.
    public func receive(_ handler: (PacketBuffer) -> Void) async throws(NetworkError) {
        while true {
            if arrivedHead < arrived.count {
                let end = min(arrived.count, arrivedHead + Self.receiveBatchLimit)
                for position in arrivedHead..<end { handler(arrived[position]) }
                arrivedHead = end
                if arrivedHead == arrived.count {
                    arrived.removeAll(keepingCapacity: true)
                    arrivedHead = 0
                }
                return
            }
            if failed { throw .disconnected }
            if moreWaiting {
                // The tender has more: fetch them now rather than wait for the round's end.
                moreWaiting = false
                platform.exchangeFrames()
                continue
            }
            await platform.waitForFrames(device: Int(index))
        }
    }

    /// Queues one frame; it goes with the scheduler's next poll, or at once when
    /// ``sendBatchLimit`` frames wait.
    ///
    /// A frame the tender refuses or has no room for is counted in
    /// ``NetworkStatistics/dropped`` (the protocols above recover from a lost frame).
    ///
    /// - Throws: ``NetworkError/frameTooLarge(length:limit:)`` for a frame longer than
    ///   ``frameLimit`` (or, asking for segmentation, than ``largestOffloadedFrame``);
    ///   ``NetworkError/disconnected`` once the tap has failed.
    public func transmit(_ frame: PacketBuffer) async throws(NetworkError) {
        guard !failed else { throw .disconnected }
        let limit = frame.offload.tcpSegmentSize != 0 && passesHeaders ? largestOffloadedFrame : frameLimit
        guard frame.count <= limit else {
            statistics.dropped += 1
            throw .frameTooLarge(length: frame.count, limit: limit)
        }
        outgoing.append(frame)
        if outgoing.count >= Self.sendBatchLimit { platform.exchangeFrames() }
    }

    // MARK: HVTFrameQueue

    public var hasFramesToSend: Bool { !outgoing.isEmpty }

    public func prepare(_ queue: inout mirage_hvt_net_queue) {
        sending = min(outgoing.count, Self.sendBatchLimit)
        for position in 0..<sending {
            let frame = outgoing[position]
            var description = mirage_hvt_net_frame()
            // The buffer stays in `outgoing`, unchanged, until the call completes, so its bytes
            // stay where they are.
            frame.withUnsafeBytes { bytes in
                description.data = UInt64(UInt(bitPattern: bytes.baseAddress))
                description.length = UInt32(bytes.count)
            }
            if passesHeaders {
                withUnsafeMutableBytes(of: &description.header) { VirtioNetHeader(transmitting: frame.offload).write(into: $0) }
            }
            descriptions[position] = description
        }
        // Room to receive only once the reader has taken what came before: a slow reader leaves
        // frames in the tap's queue, not in guest memory.
        let receiving = failed || arrivedHead < arrived.count ? 0 : Self.receiveBatchLimit
        queue.frames = UInt64(UInt(bitPattern: descriptions))
        queue.send_count = UInt16(sending)
        queue.receive_count = UInt16(receiving)
        queue.area = UInt64(UInt(bitPattern: area.baseAddress))
        queue.area_length = UInt64(area.count)
    }

    public func complete(_ queue: mirage_hvt_net_queue) -> Bool {
        for position in 0..<sending {
            switch descriptions[position].status {
            case MIRAGE_HVT_OK.rawValue:
                statistics.transmittedFrames += 1
                statistics.transmittedBytes += UInt64(descriptions[position].length)
            default:
                // AGAIN (the host had no room), INVALID, or IO_ERROR (the tap failed: the queue
                // says so too).
                statistics.dropped += 1
            }
        }
        outgoing.removeFirst(sending)
        sending = 0
        guard queue.status == MIRAGE_HVT_OK.rawValue else {
            // IO_ERROR (the tap failed, or its interface was deleted), or INVALID, which a
            // correct guest never sees: the device is done.
            failed = true
            outgoing.removeAll()
            return true
        }
        let areaStart = UInt64(UInt(bitPattern: area.baseAddress))
        let received = min(Int(queue.received), Self.receiveBatchLimit)
        for position in 0..<received {
            let description = descriptions[Int(queue.send_count) + position]
            let length = Int(description.length)
            let offset = Int(truncatingIfNeeded: description.data &- areaStart)
            guard offset >= 0, length > 0, offset + length <= area.count else {
                statistics.dropped += 1  // the tender broke the ABI; never seen
                continue
            }
            var frame = PacketBuffer(capacity: NetworkDeviceLimits.receiveHeadroom + length, headroom: NetworkDeviceLimits.receiveHeadroom)
            frame.append(contentsOf: UnsafeRawBufferPointer(rebasing: area[offset..<offset + length]))
            if passesHeaders {
                frame.offload = withUnsafeBytes(of: description.header) { VirtioNetHeader($0).receivedOffload }
            }
            statistics.receivedFrames += 1
            statistics.receivedBytes += UInt64(length)
            arrived.append(frame)
        }
        moreWaiting = queue.more != 0
        return arrivedHead < arrived.count
    }
}

/// Why the hvt network could not be set up.
public enum HVTNetworkError: Error, CustomStringConvertible {
    /// The tender attached no net device of this name.
    case notAttached(name: String)

    public var description: String {
        switch self {
        case let .notAttached(name):
            "the tender attached no net device '\(name)' (start it with mirage-hvt --net:\(name)=TAP)"
        }
    }
}
