import CMirageHVTGuest
import MirageHVTGuest
import MirageRuntime

/// A network device the tender serves from a host tap interface (`mirage-hvt --net:NAME=TAP`)
/// (MirageOS's `mirage-net-solo5`).
///
/// Frames travel through a pair of rings in guest memory that a thread of the tender serves
/// (mirage_hvt_abi.h, "Net rings"), so that they cost no VM exit: ``transmit(_:)`` puts a frame
/// in the transmit ring at once (it waits in the guest only while the ring is full), so that the
/// tender sends a response while the guest works on the next; at the end of the scheduler's round
/// (``HVTPlatform``'s poll) the frames the tender put in the receive ring are copied out into
/// buffers of their own. The tender's thread is woken by a kick, a store KVM turns into an eventfd
/// signal without leaving the tender's kernel, and only when it asked for one (at most once a
/// round from ``transmit(_:)``; the round's poll kicks for what is left); the guest leaves the VM
/// only to sleep, in the poll hypercall, which the tender ends when frames arrive.
///
/// Frames held to the round's end would travel in one batch, and with them the whole round's
/// responses: the tender's thread and the peer would wait for the guest, and the guest for them
/// (wrk -c10 against the website: 28-31K requests/s held, 54-58K put at once).
///
/// The tender chose the address (``mac``, random and locally administered) and read the
/// interface's ``mtu``. The device suits the platform's single-threaded scheduler and no other.
///
/// When the tender passes virtio-net headers (`MIRAGE_HVT_NET_HEADERS`), the device takes the
/// kernel's offloads as a tap device on unix does: TCP segments of up to 64 KiB each way and
/// checksums left partial.
public final class HVTNetworkDevice: NetworkDevice, HVTRingDevice {
    /// The device's name, as in `--net:NAME=TAP`.
    public let name: String
    public let mac: MACAddress
    public let mtu: Int
    public var statistics: NetworkStatistics {
        var statistics = counted
        statistics.dropped += rings.pointee.dropped
        return statistics
    }
    public let offloads: NetworkOffloads
    public var largestOffloadedFrame: Int { NetworkDeviceLimits.largestOffloadedFrame }

    /// At most this many frames are taken per round, as many as ``receive(_:)`` passes on
    /// (``NetworkDeviceLimits/receiveBatchLimit``).
    static let receiveBatchLimit = NetworkDeviceLimits.receiveBatchLimit
    static let slots = UInt32(MIRAGE_HVT_RING_SLOTS)

    public let deviceIndex: Int
    /// Whether frames travel with their virtio-net headers.
    private let passesHeaders: Bool
    private let platform: HVTPlatform
    private var counted = NetworkStatistics()
    /// The region shared with the tender: the rings, then the receive area it fills.
    private let rings: UnsafeMutablePointer<mirage_hvt_net_rings>
    private let transmitRing: UnsafeMutablePointer<mirage_hvt_ring>
    private let receiveRing: UnsafeMutablePointer<mirage_hvt_ring>
    private let area: UnsafeRawBufferPointer
    /// Frames to send that found the ring full, not yet in it.
    private var outgoing: [PacketBuffer] = []
    /// Whether ``transmit(_:)`` has kicked the tender's thread since the last poll: its flag stays
    /// set until it wakes, and another kick for the same sleep would be another VM exit.
    private var kickedThisRound = false
    /// Whether the transmit ring says the guest is idle (``becameIdle()``).
    private var idle = false
    /// The frames in the transmit ring, by slot, kept until the tender has taken them (their bytes
    /// must stay where they are); how many were put there and how many of those were given back.
    private var inFlight: [PacketBuffer?] = Array(repeating: nil, count: Int(MIRAGE_HVT_RING_SLOTS))
    private var transmitProduced: UInt32 = 0
    private var transmitReclaimed: UInt32 = 0
    /// Receive slots taken so far.
    private var receiveConsumed: UInt32 = 0
    /// Frames received and not yet passed to the reader, from `arrivedHead` on.
    private var arrived: [PacketBuffer] = []
    private var arrivedHead = 0
    /// Set once the tender reported a failure of the tap: the device stays disconnected.
    private var failed = false

    private init(name: String, index: Int, mac: MACAddress, mtu: Int, passesHeaders: Bool, platform: HVTPlatform,
                 region: UnsafeMutableRawPointer) {
        self.name = name
        deviceIndex = index
        self.passesHeaders = passesHeaders
        offloads = passesHeaders ? [.transmitChecksum, .tcpSegmentation, .tcpSegmentationIPv6] : []
        self.mac = mac
        self.mtu = mtu
        self.platform = platform
        rings = region.bindMemory(to: mirage_hvt_net_rings.self, capacity: 1)
        transmitRing = region.bindMemory(to: mirage_hvt_ring.self, capacity: 2)
        receiveRing = transmitRing + 1
        area = UnsafeRawBufferPointer(start: region + MemoryLayout<mirage_hvt_net_rings>.stride, count: Int(MIRAGE_HVT_NET_RECEIVE_AREA))
    }

    /// The bytes of the region handed to the tender: the rings and the receive area, in whole pages.
    static let regionLength = (MemoryLayout<mirage_hvt_net_rings>.stride + Int(MIRAGE_HVT_NET_RECEIVE_AREA) + 4095) & ~4095

    /// The net device the tender attached as `name`, its frames handed to the tender's I/O thread
    /// and moved at `platform`'s polls.
    /// - Throws: ``HVTNetworkError/notAttached(name:)`` when the tender attached none of that
    ///   name; ``HVTNetworkError/ringsRefused(name:)`` when it would not take the rings.
    public static func connect(name: String, platform: HVTPlatform) throws(HVTNetworkError) -> HVTNetworkDevice {
        let boot = bootInfo()
        let count = Int(boot.pointee.device_count)
        let found: (index: Int, entry: mirage_hvt_device)? = withUnsafeBytes(of: boot.pointee.devices) { raw in
            let table = raw.bindMemory(to: mirage_hvt_device.self)
            for index in 0..<min(count, table.count) where table[index].kind == MIRAGE_HVT_DEVICE_NET.rawValue {
                let entryName = withUnsafeBytes(of: table[index].name) { bytes in
                    String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
                }
                if entryName.hasSameSpelling(as: name) { return (index, table[index]) }
            }
            return nil
        }
        guard let found else { throw .notAttached(name: name) }
        // The region is the tender's to write from now on: never freed.
        let region = UnsafeMutableRawPointer.allocate(byteCount: regionLength, alignment: 4096)
        region.initializeMemory(as: UInt8.self, repeating: 0, count: MemoryLayout<mirage_hvt_net_rings>.stride)
        var setup = mirage_hvt_net_rings_setup(device: UInt32(found.index), status: MIRAGE_HVT_INVALID.rawValue,
                                               region: UInt64(UInt(bitPattern: region)), region_length: UInt64(regionLength))
        mirage_hvt_hypercall(MIRAGE_HVT_NET_RINGS, &setup)
        guard setup.status == MIRAGE_HVT_OK.rawValue else { throw .ringsRefused(name: name) }
        let mac = withUnsafeBytes(of: found.entry.mac) { MACAddress(bytes: Array($0.prefix(6))) }
        let device = HVTNetworkDevice(name: name, index: found.index, mac: mac, mtu: Int(found.entry.mtu),
                                      passesHeaders: found.entry.flags & MIRAGE_HVT_NET_HEADERS != 0,
                                      platform: platform, region: region)
        platform.attach(device)
        return device
    }

    /// Waits until frames have arrived, then passes each to `handler` in order of arrival: up to
    /// ``receiveBatchLimit`` of them.
    ///
    /// Each frame is a fresh buffer with ``NetworkDeviceLimits/receiveHeadroom`` free bytes in front.
    ///
    /// - Throws: ``NetworkError/disconnected`` once the tender has reported the tap failed.
    public func receive(_ handler: (consuming PacketBuffer) -> Void) async throws(NetworkError) {
        while true {
            if arrivedHead < arrived.count {
                let end = min(arrived.count, arrivedHead + Self.receiveBatchLimit)
                for position in arrivedHead..<end {
                    // Moved out, so that the stack holds the only reference to it.
                    var frame = PacketBuffer(capacity: 0)
                    swap(&frame, &arrived[position])
                    handler(consume frame)
                }
                arrivedHead = end
                if arrivedHead == arrived.count {
                    arrived.emptyFromEnd()
                    arrivedHead = 0
                }
                return
            }
            if failed { throw .disconnected }
            if takeArrived() { platform.kick() }
            if arrivedHead < arrived.count || failed { continue }
            await platform.waitForFrames(device: deviceIndex)
        }
    }

    /// Puts one frame in the transmit ring (or, while the ring is full, queues it for the next
    /// poll), and wakes the tender's thread if it sleeps and has not been woken this round.
    ///
    /// A frame the tender refuses or has no room for is counted in
    /// ``NetworkStatistics/dropped`` (the protocols above recover from a lost frame).
    ///
    /// - Throws: ``NetworkError/frameTooLarge(length:limit:)`` for a frame longer than
    ///   ``frameLimit`` (or, asking for segmentation, than ``largestOffloadedFrame``);
    ///   ``NetworkError/disconnected`` once the tap has failed.
    public func transmit(_ frame: PacketBuffer) async throws(NetworkError) {
        _ = try transmitIfReady(frame)
    }

    /// As ``transmit(_:)``, which never waits: true unless it throws.
    public func transmitIfReady(_ frame: PacketBuffer) throws(NetworkError) -> Bool {
        guard !failed else { throw .disconnected }
        let limit = frame.offload.tcpSegmentSize != 0 && passesHeaders ? largestOffloadedFrame : frameLimit
        guard frame.count <= limit else {
            counted.dropped += 1
            throw .frameTooLarge(length: frame.count, limit: limit)
        }
        reclaimSent()
        if idle {  // a timer's frame: working again
            idle = false
            mirage_hvt_ring_set_producer_idle(transmitRing, 0)
        }
        if outgoing.isEmpty, transmitProduced &- transmitReclaimed < Self.slots {
            put(frame)
            mirage_hvt_ring_set_produced(transmitRing, transmitProduced)
            mirage_hvt_ring_fence()
        } else {
            outgoing.append(frame)
            _ = putOutgoing()
        }
        if mirage_hvt_ring_consumer_waiting(transmitRing) != 0, !kickedThisRound {
            kickedThisRound = true
            platform.kick()
        }
        return true
    }

    /// The region shared with the tender's I/O thread, for the tender's robustness tests, which
    /// write into it what a hostile guest would.
    public var sharedRings: UnsafeMutablePointer<mirage_hvt_net_rings> { rings }

    // MARK: HVTRingDevice

    public var hasFramesInFlight: Bool {
        !failed && (!outgoing.isEmpty || mirage_hvt_ring_consumed(transmitRing) != transmitProduced)
    }

    public func exchange() -> (arrived: Bool, kick: Bool) {
        kickedThisRound = false
        let kickForFrames = putOutgoing()
        let kickForRoom = takeArrived()
        return (arrivedHead < arrived.count || failed, kickForFrames || kickForRoom)
    }

    public func prepareToSleep() -> Bool {
        mirage_hvt_ring_set_consumer_waiting(receiveRing, 1)
        mirage_hvt_ring_fence()
        let arrivedMeanwhile = mirage_hvt_ring_produced(receiveRing) != receiveConsumed || rings.pointee.status != MIRAGE_HVT_OK.rawValue
        if arrivedMeanwhile { mirage_hvt_ring_set_consumer_waiting(receiveRing, 0) }
        return arrivedMeanwhile
    }

    public func wokeUp() {
        mirage_hvt_ring_set_consumer_waiting(receiveRing, 0)
    }

    public func becameIdle() {
        guard !idle else { return }
        idle = true
        mirage_hvt_ring_set_producer_idle(transmitRing, 1)
    }

    /// Gives back the buffers the tender has sent, then puts queued frames in the free slots.
    /// - Returns: whether the tender's thread sleeps and must be kicked for them.
    private func putOutgoing() -> Bool {
        reclaimSent()
        guard !outgoing.isEmpty, !failed else { return false }
        let room = Int(Self.slots - (transmitProduced &- transmitReclaimed))
        let count = min(room, outgoing.count)
        guard count > 0 else { return mirage_hvt_ring_consumer_waiting(transmitRing) != 0 }  // full
        for position in 0..<count { put(outgoing[position]) }
        outgoing.removeFirst(count)
        mirage_hvt_ring_set_produced(transmitRing, transmitProduced)
        mirage_hvt_ring_fence()
        return mirage_hvt_ring_consumer_waiting(transmitRing) != 0
    }

    /// Drops the buffers of the frames the tender has taken from the transmit ring.
    private func reclaimSent() {
        let consumed = mirage_hvt_ring_consumed(transmitRing)
        while transmitReclaimed != consumed, transmitReclaimed != transmitProduced {
            inFlight[Int(transmitReclaimed % Self.slots)] = nil
            transmitReclaimed &+= 1
        }
    }

    /// Writes `frame` into the next transmit slot, which must be free; the caller publishes it.
    private func put(_ frame: PacketBuffer) {
        let slot = mirage_hvt_ring_slot(transmitRing, transmitProduced)!
        // The buffer stays in `inFlight`, unchanged, until the tender has taken it.
        frame.withUnsafeBytes { bytes in
            slot.pointee.data = UInt64(UInt(bitPattern: bytes.baseAddress))
            slot.pointee.length = UInt32(bytes.count)
        }
        if passesHeaders {
            withUnsafeMutableBytes(of: &slot.pointee.header) { VirtioNetHeader(transmitting: frame.offload).write(into: $0) }
        }
        inFlight[Int(transmitProduced % Self.slots)] = frame
        transmitProduced &+= 1
        counted.transmittedFrames += 1
        counted.transmittedBytes += UInt64(frame.count)
    }

    /// Copies the frames the tender put in the receive ring into buffers of their own, once the
    /// reader has taken those before (a slow reader leaves frames in the ring, and then in the
    /// tap's queue, not in the guest's heap).
    /// - Returns: whether the tender's thread waits for room and must be kicked.
    private func takeArrived() -> Bool {
        if rings.pointee.status != MIRAGE_HVT_OK.rawValue {
            failed = true
            outgoing.removeAll()
        }
        guard arrivedHead == arrived.count else { return false }
        let produced = mirage_hvt_ring_produced(receiveRing)
        guard produced != receiveConsumed else { return false }
        if idle {
            // Working again, said before the frames are taken: the tender's thread, seeing them
            // all taken, must not find the guest still idle.
            idle = false
            mirage_hvt_ring_set_producer_idle(transmitRing, 0)
        }
        let areaStart = UInt64(UInt(bitPattern: area.baseAddress))
        var taken = 0
        while receiveConsumed != produced, taken < Self.receiveBatchLimit {
            let slot = mirage_hvt_ring_slot(receiveRing, receiveConsumed)!.pointee
            receiveConsumed &+= 1
            taken += 1
            let length = Int(slot.length)
            let offset = Int(truncatingIfNeeded: slot.data &- areaStart)
            guard offset >= 0, length > 0, offset + length <= area.count else {
                counted.dropped += 1  // the tender broke the ABI; never seen
                continue
            }
            var frame = PacketBuffer(capacity: NetworkDeviceLimits.receiveHeadroom + length, headroom: NetworkDeviceLimits.receiveHeadroom)
            frame.append(contentsOf: UnsafeRawBufferPointer(rebasing: area[offset..<offset + length]))
            if passesHeaders {
                frame.offload = withUnsafeBytes(of: slot.header) { VirtioNetHeader($0).receivedOffload }
            }
            counted.receivedFrames += 1
            counted.receivedBytes += UInt64(length)
            arrived.append(frame)
        }
        mirage_hvt_ring_set_consumed(receiveRing, receiveConsumed)
        mirage_hvt_ring_fence()
        return mirage_hvt_ring_producer_waiting(receiveRing) != 0
    }
}

/// Why the hvt network could not be set up.
public enum HVTNetworkError: Error, CustomStringConvertible {
    /// The tender attached no net device of this name.
    case notAttached(name: String)
    /// The tender would not take the device's rings (a tender of another ABI version).
    case ringsRefused(name: String)

    public var description: String {
        switch self {
        case let .notAttached(name):
            "the tender attached no net device '\(name)' (start it with mirage-hvt --net:\(name)=TAP)"
        case let .ringsRefused(name):
            "the tender refused the rings of net device '\(name)'"
        }
    }
}
