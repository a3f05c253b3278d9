import CMirageHVTABI

/// The tender's end of a net device's rings (mirage_hvt_abi.h, "Net rings"): it takes the frames
/// the guest put in the transmit ring and writes them to the tap, and reads frames from the tap
/// into the receive area, describing each in the receive ring.
///
/// Only the ``RingIOThread`` calls it once the guest has handed the device over, while the guest
/// runs on its own vCPU: every value the guest writes is read once, into a local, and checked
/// there. What the tender produced (how many receive slots, and where each frame lies in the area)
/// it keeps in its own memory, so a guest that rewrites the ring can only lose its own frames: a
/// slot pointing outside guest memory, or a count that claims more than the ring holds, ends it
/// as crashed.
final class NetRingPort {
    let device: Int
    let backend: NetBackend
    private let memory: GuestMemory
    private let rings: UnsafeMutablePointer<mirage_hvt_net_rings>
    private let area: UnsafeMutableRawBufferPointer
    private let areaAddress: UInt64
    /// Transmit slots taken so far.
    private var transmitConsumed: UInt32
    /// Receive slots filled so far, where each frame starts in the area, and where the next goes.
    private var receiveProduced: UInt32
    private var frameStarts = [Int](repeating: 0, count: Int(MIRAGE_HVT_RING_SLOTS))
    private var areaHead = 0
    /// Whether the tap may hold frames not yet read (its descriptor is edge-triggered).
    var tapReadable = true
    /// Whether the tap has failed: nothing more moves.
    private(set) var failed = false

    static let slots = UInt32(MIRAGE_HVT_RING_SLOTS)
    /// The bytes a region must have: the rings, then the receive area.
    static let regionLength = UInt64(MemoryLayout<mirage_hvt_net_rings>.stride) + UInt64(MIRAGE_HVT_NET_RECEIVE_AREA)

    /// The port over the region the guest gave at `address`, which the caller checked to lie in
    /// guest memory with ``regionLength`` bytes, page-aligned.
    init(device: Int, backend: NetBackend, memory: GuestMemory, region: UnsafeMutableRawBufferPointer, address: UInt64) {
        self.device = device
        self.backend = backend
        self.memory = memory
        rings = region.baseAddress!.bindMemory(to: mirage_hvt_net_rings.self, capacity: 1)
        let ringsLength = MemoryLayout<mirage_hvt_net_rings>.stride
        area = UnsafeMutableRawBufferPointer(rebasing: region[ringsLength..<ringsLength + Int(MIRAGE_HVT_NET_RECEIVE_AREA)])
        areaAddress = address + UInt64(ringsLength)
        // The guest starts from zeroed rings; what it wrote before the hand-over is its own.
        transmitConsumed = mirage_hvt_ring_consumed(rings.transmit)
        receiveProduced = mirage_hvt_ring_produced(rings.receive)
        rings.pointee.status = MIRAGE_HVT_OK.rawValue
    }

    /// Whether the guest has frames in the transmit ring not yet taken.
    var hasFramesToSend: Bool { mirage_hvt_ring_produced(rings.transmit) != transmitConsumed }

    /// Whether the guest has taken every frame given it and says it has no work left: frames from
    /// it are not to be waited for (a hint, read once; a hostile guest can only mislead the spin).
    var guestIsIdle: Bool {
        mirage_hvt_ring_producer_idle(rings.transmit) != 0 && mirage_hvt_ring_consumed(rings.receive) == receiveProduced
    }

    /// Whether the guest sleeps until the receive ring fills.
    var guestWaitsForFrames: Bool { mirage_hvt_ring_consumer_waiting(rings.receive) != 0 }

    /// Marks the transmit ring: the I/O thread is going to sleep, and wants a kick for frames.
    func setSleeping(_ sleeping: Bool) {
        mirage_hvt_ring_set_consumer_waiting(rings.transmit, sleeping ? 1 : 0)
    }

    /// Writes the frames the guest put in the transmit ring to the tap, in order.
    /// - Returns: whether any frame was taken, or the reason the guest must end.
    func transmit() -> Result<Bool, RingViolation> {
        guard !failed else { return .success(false) }
        let produced = mirage_hvt_ring_produced(rings.transmit)
        let waiting = produced &- transmitConsumed
        guard waiting <= Self.slots else {
            return .failure(RingViolation("the guest claims \(waiting) frames in the transmit ring of net device \(device), more than its \(Self.slots) slots"))
        }
        guard waiting > 0 else { return .success(false) }
        var dropped: UInt64 = 0
        while transmitConsumed != produced {
            let slot = mirage_hvt_ring_slot(rings.transmit, transmitConsumed)!
            var frame = slot.pointee  // read once: the guest may rewrite it meanwhile
            guard frame.length <= UInt32(NetBackend.largestOffloadedFrame), let bytes = memory.range(at: frame.data, length: UInt64(frame.length)) else {
                return .failure(RingViolation("the guest asked net device \(device) to send a frame of \(frame.length) bytes at 0x\(String(frame.data, radix: 16)), outside its memory"))
            }
            let status = withUnsafeBytes(of: &frame.header) { header in
                backend.write(UnsafeRawBufferPointer(bytes), header: backend.passesHeaders ? header : nil)
            }
            if status == MIRAGE_HVT_IO_ERROR {
                fail()
                break
            }
            if status != MIRAGE_HVT_OK { dropped += 1 }
            transmitConsumed &+= 1
        }
        if dropped > 0 { rings.pointee.dropped &+= dropped }
        mirage_hvt_ring_set_consumed(rings.transmit, transmitConsumed)
        return .success(true)
    }

    /// Reads frames from the tap into the receive area while it has room and the ring has slots.
    /// Out of room, it asks the guest for a kick once it takes frames (`producer_waiting`), then
    /// looks once more, as the guest may have taken some before it could see the request.
    /// - Returns: whether any frame was added, or the reason the guest must end.
    func receive() -> Result<Bool, RingViolation> {
        guard !failed, tapReadable else { return .success(false) }
        if mirage_hvt_ring_producer_waiting(rings.receive) != 0 {
            mirage_hvt_ring_set_producer_waiting(rings.receive, 0)
        }
        var added = false
        var askedForRoom = false
        reading: while true {
            let consumed = mirage_hvt_ring_consumed(rings.receive)
            let held = receiveProduced &- consumed
            guard held <= Self.slots else {
                return .failure(RingViolation("the guest says it took \(0 &- held) receive slots of net device \(device) it was never given"))
            }
            // The guest holds the frames from the oldest one's start to the head, going round the
            // area's end when the head is at or before that start. Each frame takes at least 16
            // bytes, so a head past the oldest start has not gone round; at it, the area is full.
            if held == 0 { areaHead = 0 }
            let oldest = held == 0 ? area.count : frameStarts[Int(consumed % Self.slots)]
            if areaHead == area.count, oldest > 0, held > 0 { areaHead = 0 }  // at the end: go round
            // Less than the longest frame left before the end, and room for it at the start: go
            // round now, so that the read goes straight into the area rather than through the
            // backend's buffer and a copy (a quarter of the frames of bulk TCP into a guest did).
            if held > 0, areaHead > oldest, area.count - areaHead < NetBackend.largestReadableFrame,
               oldest >= NetBackend.largestReadableFrame {
                areaHead = 0
            }
            let roomEnd = areaHead <= oldest ? oldest : area.count
            if held < Self.slots, areaHead < roomEnd {
                let slot = mirage_hvt_ring_slot(rings.receive, receiveProduced)!
                let room = UnsafeMutableRawBufferPointer(rebasing: area[areaHead..<roomEnd])
                let result = withUnsafeMutableBytes(of: &slot.pointee.header) { header in
                    let result = backend.receive(into: room, header: backend.passesHeaders ? header : nil)
                    if !backend.passesHeaders { header.initializeMemory(as: UInt8.self, repeating: 0) }
                    return result
                }
                switch result {
                case let .frame(length):
                    slot.pointee.data = areaAddress + UInt64(areaHead)
                    slot.pointee.length = UInt32(length)
                    slot.pointee.status = MIRAGE_HVT_OK.rawValue
                    frameStarts[Int(receiveProduced % Self.slots)] = areaHead
                    areaHead = (areaHead + length + 15) & ~15
                    receiveProduced &+= 1
                    mirage_hvt_ring_set_produced(rings.receive, receiveProduced)
                    added = true
                    continue reading
                case .noRoom where held > 0 && areaHead > oldest && oldest > 0:
                    // Too little between the head and the area's end: go round to the start.
                    areaHead = 0
                    continue reading
                case .noRoom:
                    break  // the frame waits in the backend for room
                case .none:
                    tapReadable = false
                    break reading
                case .failed:
                    fail()
                    break reading
                }
            }
            if askedForRoom { break }
            mirage_hvt_ring_set_producer_waiting(rings.receive, 1)
            mirage_hvt_ring_fence()
            askedForRoom = true
        }
        return .success(added)
    }

    private func fail() {
        failed = true
        rings.pointee.status = MIRAGE_HVT_IO_ERROR.rawValue
        mirage_hvt_ring_fence()
    }
}

/// Why a guest's use of its rings ends it as crashed.
struct RingViolation: Error {
    let reason: String
    init(_ reason: String) { self.reason = reason }
}

extension UnsafeMutablePointer where Pointee == mirage_hvt_net_rings {
    /// The guest's transmit ring, in place.
    var transmit: UnsafeMutablePointer<mirage_hvt_ring> { mirage_hvt_net_rings_transmit(self) }
    /// The guest's receive ring, in place.
    var receive: UnsafeMutablePointer<mirage_hvt_ring> { mirage_hvt_net_rings_receive(self) }
}
