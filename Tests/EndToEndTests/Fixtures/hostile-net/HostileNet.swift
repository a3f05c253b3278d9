import CMirageHVTGuest
import MirageHVTGuestNet
import MirageRuntime

/// A guest with a net device that misuses its rings and the hypercall that hands them over, for
/// the tender's robustness tests: a frame outside its memory, a ring claiming more frames than it
/// has slots, a receive count the tender never gave, a region or an argument outside guest memory,
/// and slots rewritten while the tender's I/O thread reads them must each end it as crashed (exit
/// 70), without the tender reading or writing host memory.
///
/// The device (`network("service")`) is index 0 of the tender's device table; the configured
/// device has already handed its rings over, and the attacks write into them.
struct HostileNet<Net: NetworkDevice>: Unikernel {
    let log = LogSource("application", documentation: "the hostile guest")
    let net: Net
    let attack: String

    init(_ net: Net, attack: String) {
        self.net = net
        self.attack = attack
    }

    func start() async {
        log.info("attack: \(attack) on a device with MTU \(net.mtu)")
        guard let device = net as? HVTNetworkDevice else { return }
        let rings = device.sharedRings
        let memorySize = mirage_hvt_boot_info_pointer()!.pointee.memory_size
        let transmit = UnsafeMutableRawPointer(rings).assumingMemoryBound(to: mirage_hvt_ring.self)
        let receive = transmit + 1
        switch attack {
        case "send-pointer":
            // A frame just past the end of guest memory.
            send(on: transmit, data: memorySize, length: 60)
        case "send-wrap":
            // A frame that starts inside guest memory and whose end wraps around 64 bits.
            send(on: transmit, data: memorySize - 64, length: UInt32.max)
        case "ring-claim":
            // More frames produced than the ring has slots.
            mirage_hvt_ring_set_produced(transmit, mirage_hvt_ring_consumed(transmit) &+ 1000)
            mirage_hvt_hypercall(MIRAGE_HVT_NET_KICK, nil)
        case "receive-claim":
            // Receive slots taken that the tender never filled; it sees the lie at the next frame.
            mirage_hvt_ring_set_consumed(receive, mirage_hvt_ring_produced(receive) &+ 7)
            try? await sleep(for: .seconds(5))
        case "region":
            // Rings outside guest memory, for a device that exists.
            var setup = mirage_hvt_net_rings_setup(device: 0, status: 0, region: memorySize, region_length: 1 << 20)
            mirage_hvt_hypercall(MIRAGE_HVT_NET_RINGS, &setup)
        case "argument":
            // The argument structure itself outside guest memory.
            mirage_hvt_hypercall(MIRAGE_HVT_NET_RINGS, UnsafeMutableRawPointer(bitPattern: UInt(memorySize + 4096)))
        case "rewrite":
            await rewrite(transmit, outside: memorySize)
        default:
            break
        }
        try? await sleep(for: .seconds(2))  // time for the tender's thread to see it
        log.info("survived")
    }

    /// Puts one frame description in the transmit ring and kicks the tender's thread.
    private func send(on ring: UnsafeMutablePointer<mirage_hvt_ring>, data: UInt64, length: UInt32) {
        let produced = mirage_hvt_ring_produced(ring)
        let slot = mirage_hvt_ring_slot(ring, produced)!
        slot.pointee.data = data
        slot.pointee.length = length
        mirage_hvt_ring_set_produced(ring, produced &+ 1)
        mirage_hvt_hypercall(MIRAGE_HVT_NET_KICK, nil)
    }

    /// Describes a good frame, kicks, and at once rewrites the description to point outside guest
    /// memory, over and over: whichever the tender's thread reads, it must send the good frame or
    /// end the guest, and never read outside it.
    private func rewrite(_ ring: UnsafeMutablePointer<mirage_hvt_ring>, outside memorySize: UInt64) async {
        let frame = UnsafeMutableRawBufferPointer.allocate(byteCount: 64, alignment: 16)
        frame.initializeMemory(as: UInt8.self, repeating: 0xFF)  // a broadcast frame
        let good = UInt64(UInt(bitPattern: frame.baseAddress))
        for round in 0..<100_000 {
            let produced = mirage_hvt_ring_produced(ring)
            // Within the ring's slots: only the rewriting is the attack.
            while produced &- mirage_hvt_ring_consumed(ring) >= MIRAGE_HVT_RING_SLOTS - 1 { await Task.yield() }
            let slot = mirage_hvt_ring_slot(ring, produced)!
            slot.pointee.data = good
            slot.pointee.length = 60
            mirage_hvt_ring_set_produced(ring, produced &+ 1)
            mirage_hvt_hypercall(MIRAGE_HVT_NET_KICK, nil)
            slot.pointee.data = memorySize + UInt64(round % 4096) * 4096
            if round % 64 == 63 { await Task.yield() }
        }
    }
}
