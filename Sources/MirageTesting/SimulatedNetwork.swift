import MirageCore
import MirageRuntime

/// A simulated Ethernet segment between network devices, on the scheduler's clock: each frame is
/// delivered to every other device after a latency, and may be lost, duplicated or delayed past
/// later frames (reordered) with seeded probabilities. Deterministic for a given seed, so a failing
/// run can be replayed exactly.
public final class SimulatedNetwork {
    /// What can go wrong on the wire.
    public struct Impairments: Sendable {
        public var latency = Duration.milliseconds(1)
        /// Probability that a frame is lost.
        public var loss = 0.0
        /// Probability that a frame is delivered twice.
        public var duplication = 0.0
        /// Probability that a frame is held back by ``reorderDelay``, letting later ones pass it.
        public var reordering = 0.0
        public var reorderDelay = Duration.milliseconds(3)
        public init() {}
    }

    public var impairments: Impairments
    private let random: SeededEntropy
    private var devices: [SimulatedNetworkDevice] = []
    public private(set) var framesLost = 0
    public private(set) var framesDuplicated = 0
    public private(set) var framesReordered = 0
    /// Every frame handed to the wire, in order (for assertions on what a stack sent).
    public private(set) var transmitted: [PacketBuffer] = []
    public var recordsFrames = false

    public init(seed: UInt64 = 1, impairments: Impairments = Impairments()) {
        random = SeededEntropy(seed: seed)
        self.impairments = impairments
    }

    /// A new device attached to this network.
    /// - Parameter offloads: the offloads the device announces; it does their work with
    ///   ``SoftwareOffload`` before a frame goes on the wire.
    public func attach(mac: MACAddress, mtu: Int = 1500, offloads: NetworkOffloads = []) -> SimulatedNetworkDevice {
        let device = SimulatedNetworkDevice(network: self, mac: mac, mtu: mtu, offloads: offloads)
        devices.append(device)
        return device
    }

    private func chance(_ probability: Double) -> Bool {
        probability > 0 && Double(random.next() >> 11) / Double(1 << 53) < probability
    }

    func carry(_ frame: PacketBuffer, from sender: SimulatedNetworkDevice) {
        if recordsFrames { transmitted.append(frame) }
        if chance(impairments.loss) {
            framesLost += 1
            return
        }
        var copies = 1
        if chance(impairments.duplication) {
            framesDuplicated += 1
            copies = 2
        }
        var delay = impairments.latency
        if chance(impairments.reordering) {
            framesReordered += 1
            delay += impairments.reorderDelay
        }
        let deadline = Scheduler.running.now + delay
        for device in devices where device !== sender {
            for _ in 0..<copies { device.schedule(frame, at: deadline) }
        }
    }
}

/// One device on a ``SimulatedNetwork``.
public final class SimulatedNetworkDevice: NetworkDevice {
    private let network: SimulatedNetwork
    public let mac: MACAddress
    public let mtu: Int
    public let offloads: NetworkOffloads
    public var largestOffloadedFrame: Int { NetworkDeviceLimits.largestOffloadedFrame }
    /// Frames the stack handed over for the device to cut (``FrameOffload/tcpSegmentSize``).
    public private(set) var segmentedFrames = 0
    public private(set) var statistics = NetworkStatistics()
    private var inbox: [PacketBuffer] = []
    private var inFlight: [(deadline: Instant, frame: PacketBuffer)] = []
    private let arrivals = WaitQueue()
    private let delivery = Alarm()
    private var deliveryTaskStarted = false
    public var isClosed = false

    init(network: SimulatedNetwork, mac: MACAddress, mtu: Int, offloads: NetworkOffloads) {
        self.network = network
        self.mac = mac
        self.mtu = mtu
        self.offloads = offloads
    }

    public func receive(_ handler: (consuming PacketBuffer) -> Void) async throws(NetworkError) {
        while inbox.isEmpty {
            if isClosed { throw .disconnected }
            await arrivals.wait()
        }
        let frames = inbox
        inbox.removeAll(keepingCapacity: true)
        for frame in frames {
            statistics.receivedFrames += 1
            statistics.receivedBytes += UInt64(frame.count)
            handler(frame)
        }
    }

    public func transmit(_ frame: PacketBuffer) async throws(NetworkError) {
        _ = try transmitIfReady(frame)
    }

    /// Carries `frame` at once (a simulated link never waits); true unless it throws.
    public func transmitIfReady(_ frame: PacketBuffer) throws(NetworkError) -> Bool {
        if isClosed { throw .disconnected }
        let segmenting = frame.offload.tcpSegmentSize != 0
        precondition(!segmenting || offloads.contains(.tcpSegmentation), "segmentation asked of a device without it")
        precondition(frame.offload.checksumStart == 0 || offloads.contains(.transmitChecksum), "a partial checksum for a device that does not complete it")
        let limit = segmenting ? largestOffloadedFrame : frameLimit
        guard frame.count <= limit else { throw .frameTooLarge(length: frame.count, limit: limit) }
        if segmenting { segmentedFrames += 1 }
        for piece in SoftwareOffload.apply(frame) {
            statistics.transmittedFrames += 1
            statistics.transmittedBytes += UInt64(piece.count)
            network.carry(piece, from: self)
        }
        return true
    }

    /// Unplugs the device: receivers get ``NetworkError/disconnected``.
    public func close() {
        isClosed = true
        arrivals.wakeAll()
    }

    func schedule(_ frame: PacketBuffer, at deadline: Instant) {
        let position = inFlight.firstIndex { $0.deadline > deadline } ?? inFlight.count
        inFlight.insert((deadline, frame), at: position)
        delivery.set(deadline)
        if !deliveryTaskStarted {
            deliveryTaskStarted = true
            Task { await self.deliverLoop() }
        }
    }

    private func deliverLoop() async {
        while !isClosed {
            await delivery.wait()
            let now = Scheduler.running.now
            var delivered = false
            while let first = inFlight.first, first.deadline <= now {
                inFlight.removeFirst()
                inbox.append(first.frame)
                delivered = true
            }
            if let next = inFlight.first { delivery.set(next.deadline) }
            if delivered { arrivals.wakeAll() }
        }
    }
}
