import MirageCore

/// UDP's side of a stack (RFC 768; RFC 1122 section 4.1.3) as a pure core: the bound ports and,
/// per port, a bounded queue of the datagrams that arrived for it.
///
/// A received datagram goes in through ``receive(_:from:)``, which checks it and says what became
/// of it (``Delivery``): queued for a bound port, refused because no one is bound (the stack then
/// answers with ICMP port unreachable, RFC 1122 section 4.1.3.1), dropped because the port's queue
/// is full, or invalid. Sockets take datagrams with ``nextDatagram(on:)``. The table keeps no
/// time: UDP has no timers.
///
/// Queues are changed in place in the table, so a queue's array stays uniquely referenced and
/// appending to it allocates only when it grows.
public struct UDPPortTable {
    /// A bound port's queue: datagrams are taken from ``head`` on, and the array keeps its
    /// storage once emptied.
    struct Port {
        var queue: [Datagram] = []
        var head = 0
        /// The memory the queued datagrams hold (``UDPPortTable/charge(of:)``).
        var charged = 0
        var count: Int { queue.count - head }
    }

    /// What became of a received datagram.
    public enum Delivery: Hashable, Sendable {
        /// Queued on the bound `port`: its readers may wake.
        case queued(port: UInt16)
        /// No socket is bound to its destination port (RFC 1122 section 4.1.3.1: answer with ICMP
        /// port unreachable, unless it came to a broadcast address).
        case portUnreachable
        /// The port's queue already holds ``queueLimit`` datagrams, or
        /// ``queueMemoryLimit`` bytes of memory; this one is dropped.
        case queueFull
        /// The datagram did not parse or its checksum is wrong; it is dropped.
        case invalid(WireError)
    }

    /// Datagrams queued per port before new ones are dropped.
    public let queueLimit: Int
    /// Bytes of memory queued per port, at the buffers' real size, before new datagrams are
    /// dropped: a count alone would let large datagrams (up to 64 KiB after reassembly) pin
    /// sixteen megabytes on one port.
    public let queueMemoryLimit: Int
    /// The bound ports in ascending order, and their queues at the same indices: found by a
    /// binary search, with no hashing (a dictionary hashed the port with SipHash, ~80
    /// instructions a lookup and two lookups a datagram). Only the application binds, so the
    /// sender of a datagram can make no search longer.
    private var boundPorts: [UInt16] = []
    private var queues: [Port] = []
    /// The memory queued on every port together (``charge(of:)``): what the table holds on
    /// senders' behalf.
    public private(set) var chargedBytes = 0

    public init(queueLimit: Int, queueMemoryLimit: Int = 256 * 1024) {
        self.queueLimit = queueLimit
        self.queueMemoryLimit = queueMemoryLimit
    }

    /// The largest buffer (``PacketBuffer/trueSize``) a datagram is queued in without being
    /// copied into one of its own size, however little of it the datagram fills: a short frame's
    /// headers and headroom (a DNS query's 40 octets in a 210-octet buffer). Copying it saved
    /// less than a copy costs (an allocation a query); the queue is charged the buffer's real
    /// size either way.
    static let keptWithoutCompacting = 512

    /// The memory a queued datagram holds: its buffer's real size and its slot.
    static func charge(of datagram: Datagram) -> Int { charge(ofPayload: datagram.payload) }

    /// The charge of a datagram whose payload is `payload`.
    static func charge(ofPayload payload: borrowing PacketBuffer) -> Int {
        payload.trueSize + MemoryLayout<Datagram>.stride
    }

    /// Takes a received datagram: checks its header and checksum (RFC 768, over the pseudo-header
    /// of `header`), then queues it for its destination port.
    /// - Parameters:
    ///   - payload: the IP payload, the UDP header first; a network device may have checked its
    ///     checksum (``FrameOffload/checksumVerified``).
    ///   - header: the IPv4 header it came under, for the pseudo-header and the addresses.
    /// - Returns: what became of it.
    public mutating func receive(_ payload: PacketBuffer, from header: IPv4Header) -> Delivery {
        let pseudo = IPv4Header.pseudoHeaderChecksum(source: header.source, destination: header.destination,
                                                     protocol: .udp, length: UInt16(truncatingIfNeeded: payload.count))
        return receive(payload, source: .v4(header.source), destination: .v4(header.destination), pseudoHeader: pseudo)
    }

    /// Takes a received datagram of either family: `pseudo` is the sum of the IP pseudo-header
    /// it came under (RFC 768; RFC 8200 section 8.1, where a zero checksum is invalid).
    public mutating func receive(_ payload: PacketBuffer, source: IPAddress, destination: IPAddress,
                                 pseudoHeader pseudo: InternetChecksum) -> Delivery {
        if case .v6 = source, payload.count >= UDPHeader.headerLength,
           payload.withUnsafeBytes({ $0.bigEndian(UInt16.self, at: 6) }) == 0 {
            return .invalid(.badChecksum) // RFC 8200 section 8.1: IPv6 receivers discard a zero checksum
        }
        let udp: UDPHeader
        do {
            udp = try payload.withUnsafeBytes { (bytes) throws(WireError) in
                try UDPHeader.parse(bytes, pseudoHeader: pseudo, checksumVerified: payload.offload.checksumVerified)
            }
        } catch {
            return .invalid(error)
        }
        guard let index = index(of: udp.destinationPort) else { return .portUnreachable }
        var data = payload.slice(udp.payloadRange)
        // A small datagram in a large buffer gets one of its own; one in a short frame's buffer
        // (a device copies short frames out of its receive buffers) is kept where it is.
        if data.isWasteful, data.trueSize > Self.keptWithoutCompacting { data = data.compacted() }
        let datagram = Datagram(source: Endpoint(source, port: udp.sourcePort),
                                destination: Endpoint(destination, port: udp.destinationPort), payload: consume data)
        let charge = Self.charge(of: datagram)
        guard queues[index].count < queueLimit, queues[index].charged + charge <= queueMemoryLimit else { return .queueFull }
        // In place: the queue's array stays uniquely referenced while it grows.
        queues[index].queue.append(consume datagram)
        queues[index].charged += charge
        chargedBytes += charge
        return .queued(port: udp.destinationPort)
    }

    /// Binds `port` (not 0: the stack chooses ephemeral ports, ``isBound(_:)`` tells which are
    /// free).
    /// - Throws: ``FlowError/addressInUse(port:)`` when it is bound already.
    public mutating func bind(_ port: UInt16) throws(FlowError) {
        precondition(port != 0, "port 0 is not a port: choose an ephemeral one")
        let position = insertionPoint(of: port)
        guard position == boundPorts.count || boundPorts[position] != port else { throw .addressInUse(port: port) }
        boundPorts.insert(port, at: position)
        queues.insert(Port(), at: position)
    }

    /// Unbinds `port`, dropping the datagrams still queued on it.
    public mutating func unbind(_ port: UInt16) {
        guard let index = index(of: port) else { return }
        chargedBytes -= queues[index].charged
        boundPorts.remove(at: index)
        queues.remove(at: index)
    }

    /// Whether `port` is bound.
    public func isBound(_ port: UInt16) -> Bool { index(of: port) != nil }

    /// Where `port` is in ``boundPorts``, or nil when it is not bound.
    private func index(of port: UInt16) -> Int? {
        let position = insertionPoint(of: port)
        return position < boundPorts.count && boundPorts[position] == port ? position : nil
    }

    /// The first position in ``boundPorts`` whose port is not below `port`.
    private func insertionPoint(of port: UInt16) -> Int {
        boundPorts.withUnsafeBufferPointer { ports in
            var low = 0, high = ports.count
            while low < high {
                let middle = (low &+ high) >> 1
                if ports[middle] < port { low = middle &+ 1 } else { high = middle }
            }
            return low
        }
    }

    /// Takes the oldest datagram queued on `port`, if any.
    public mutating func nextDatagram(on port: UInt16) -> Datagram? {
        guard let index = index(of: port), queues[index].head < queues[index].queue.count else { return nil }
        let head = queues[index].head
        // The payload is swapped out of its slot and the addresses read through a pointer, which
        // is addressed in place: the array's subscript would copy the datagram out (a retain and
        // a release of its buffer).
        var payload = PacketBuffer(capacity: 0)
        swap(&payload, &queues[index].queue[head].payload)
        let (source, destination) = queues[index].queue.withUnsafeBufferPointer { queue in
            let slot = queue.baseAddress! + head
            return (slot.pointee.source, slot.pointee.destination)
        }
        let charge = Self.charge(ofPayload: payload)
        queues[index].charged -= charge
        chargedBytes -= charge
        queues[index].head = head + 1
        if head + 1 == queues[index].queue.count {
            // A lightly loaded port empties its queue every datagram.
            queues[index].queue.emptyFromEnd()
            queues[index].head = 0
        }
        return Datagram(source: source, destination: destination, payload: consume payload)
    }
}
