import CMirageHVTABI

extension HypercallHandler {
    /// Serves `MIRAGE_HVT_NET_RINGS` (mirage_hvt_abi.h, "Net rings"): checks the region the guest
    /// gives (page-aligned, inside its memory, long enough), then hands the device's tap to the
    /// I/O thread, which moves its frames through the rings from now on; the poll reports it ready
    /// from its receive ring.
    ///
    /// A region outside guest memory (or not page-aligned, or too short) ends the guest as
    /// crashed; a device that is not a net device the vCPU thread serves (or a tender without an
    /// I/O thread) gets INVALID.
    func netRings(_ argument: UInt64) -> Outcome {
        guard let setup = memory.withStruct(mirage_hvt_net_rings_setup.self, at: argument, { $0.pointee }) else {
            return .crash(badArgument("net rings", argument))
        }
        let device = Int(setup.device)
        guard let region = ringRegion(at: setup.region, given: setup.region_length, needs: NetRingPort.regionLength) else {
            return badRegion("net device \(device) rings", at: setup.region, given: setup.region_length, needs: NetRingPort.regionLength)
        }
        guard let ioThread, let backend = nets[device] else {
            _ = memory.withStruct(mirage_hvt_net_rings_setup.self, at: argument) { $0.pointee.status = MIRAGE_HVT_INVALID.rawValue }
            return .resume
        }
        nets[device] = nil
        let port = NetRingPort(device: device, backend: backend, memory: memory, region: region, address: setup.region)
        rings.append((device, region.baseAddress!.bindMemory(to: mirage_hvt_net_rings.self, capacity: 1)))
        watchRingsOnce(ioThread)
        ioThread.add(port)
        _ = memory.withStruct(mirage_hvt_net_rings_setup.self, at: argument) { $0.pointee.status = MIRAGE_HVT_OK.rawValue }
        return .resume
    }

    /// The region a guest gives a device's rings, when it is page-aligned, at least `length` bytes
    /// long (`given`) and inside guest memory: its first `length` bytes.
    func ringRegion(at address: UInt64, given: UInt64, needs length: UInt64) -> UnsafeMutableRawBufferPointer? {
        guard address % 4096 == 0, given >= length else { return nil }
        return memory.range(at: address, length: length)
    }

    /// The end of a guest that gave `what` a region ``ringRegion(at:given:needs:)`` refuses.
    func badRegion(_ what: String, at address: UInt64, given: UInt64, needs length: UInt64) -> Outcome {
        .crash("the guest gave \(what) of \(given) bytes at 0x\(String(address, radix: 16)): "
            + "not page-aligned, shorter than \(length) bytes, or outside its memory")
    }

    /// Has the poll wait for the I/O thread's wake-ups, once the guest hands it its first ring.
    func watchRingsOnce(_ ioThread: RingIOThread) {
        guard rings.count + blockRings.count == 1 else { return }
        events.watchRings(wake: ioThread.wakeDescriptor) { [unowned(unsafe) self] interest in ringsReady(interest) }
    }

    /// The bits of the devices in `interest` whose receive rings hold frames, or whose tap failed,
    /// and of the block devices whose rings have every request served.
    func ringsReady(_ interest: UInt64) -> UInt64 {
        var ready: UInt64 = 0
        for (device, region) in rings where interest & (1 << UInt64(device)) != 0 {
            let receive = region.receive
            if mirage_hvt_ring_produced(receive) != mirage_hvt_ring_consumed(receive) || region.pointee.status != MIRAGE_HVT_OK.rawValue {
                ready |= 1 << UInt64(device)
            }
        }
        for (device, ring) in blockRings where interest & (1 << UInt64(device)) != 0 && ring.isDrained {
            ready |= 1 << UInt64(device)
        }
        return ready
    }

    /// Before the guest sleeps: wakes the I/O thread when a transmit ring holds frames it was
    /// not kicked for, or a receive ring it waits on has room again.
    func kickIfAsked() {
        guard let ioThread, !rings.isEmpty || !blockRings.isEmpty else { return }
        for (_, ring) in blockRings where mirage_hvt_block_ring_tender_sleeping(ring) != 0 && !ring.isDrained {
            ioThread.kick()
            return
        }
        for (_, region) in rings {
            let (transmit, receive) = (region.transmit, region.receive)
            if mirage_hvt_ring_producer_waiting(receive) != 0
                || (mirage_hvt_ring_consumer_waiting(transmit) != 0 && mirage_hvt_ring_produced(transmit) != mirage_hvt_ring_consumed(transmit)) {
                ioThread.kick()
                return
            }
        }
    }
}
