import CMirageHVTABI
import Glibc
@testable import MirageHVTHost

extension FuzzTargets {
    /// Where the net rings target puts the rings in its 1 MiB of guest memory (page-aligned, as the
    /// hand-over requires), and where its frames to send go.
    static let netRingsRegion: UInt64 = 0x40000
    static let netRingsFrames: UInt64 = 0x1000
    /// The host's frames to send and what it reads back: 128 KiB, allocated once.
    nonisolated(unsafe) static let netRingsScratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 17, alignment: 16)

    /// The tender's end of the net rings (`NetRingPort`) against a hostile guest: the input is a
    /// script of guest and host moves over 1 MiB of guest memory, with a datagram socket pair as
    /// the tap. The guest writes transmit slots anywhere (any address, length, header), sets the
    /// rings' counts to anything and scribbles over the rings; the host sends frames of any length.
    /// Every transmit and receive must end in frames moved or a violation (the guest ends), never
    /// a trap or an access outside guest memory; every receive slot the tender fills must lie in
    /// the receive area.
    static let netRings = FuzzTarget("net-rings", "NetRingPort: the tender's end of the hvt net rings, driven by a hostile guest") { bytes in
        var input = FuzzInput(bytes)
        // Zeroed up to the region's end: the frames and the rings start as a guest's would.
        let memoryBytes = guestBytes
        UnsafeMutableRawBufferPointer(rebasing: memoryBytes[0..<Int(netRingsRegion + NetRingPort.regionLength)])
            .initializeMemory(as: UInt8.self, repeating: 0)
        let memory = GuestMemory(bytes: memoryBytes)
        var pair: [Int32] = [0, 0]
        guard socketpair(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &pair) == 0 else { return }
        let host = pair[1]
        defer { close(host) }
        let headers = input.byte() & 1 == 1
        let backend = NetBackend(name: "service", interface: "fuzz0", fileDescriptor: pair[0], mtu: 1500, mac: [2, 0, 0, 0, 0, 1],
                                 headerLength: headers ? 10 : 0)
        let region = memory.range(at: netRingsRegion, length: NetRingPort.regionLength)!
        let port = NetRingPort(device: 0, backend: backend, memory: memory, region: region, address: netRingsRegion)
        let rings = region.baseAddress!.bindMemory(to: mirage_hvt_net_rings.self, capacity: 1)
        let areaStart = netRingsRegion + UInt64(MemoryLayout<mirage_hvt_net_rings>.stride)
        let areaEnd = areaStart + UInt64(MIRAGE_HVT_NET_RECEIVE_AREA)
        let scratch = netRingsScratch
        for _ in 0..<64 where !input.isAtEnd {
            switch input.byte() % 8 {
            case 0:  // the guest describes a frame in the next transmit slot and publishes it
                let produced = mirage_hvt_ring_produced(&rings.pointee.transmit)
                let slot = mirage_hvt_ring_slot(&rings.pointee.transmit, produced)!
                slot.pointee.data = input.byte() == 0xFF ? UInt64(input.uint32()) << 32 | UInt64(input.uint32())
                                                         : netRingsFrames + UInt64(input.uint16())
                slot.pointee.length = input.byte() == 0xFF ? input.uint32() : UInt32(input.uint16())
                let header = input.bytes(10)
                withUnsafeMutableBytes(of: &slot.pointee.header) { $0.copyBytes(from: header) }
                mirage_hvt_ring_set_produced(&rings.pointee.transmit, produced &+ 1)
            case 1:  // the guest sets the transmit ring's count to anything
                mirage_hvt_ring_set_produced(&rings.pointee.transmit, input.uint32())
            case 2:  // the guest says it took any number of receive slots
                mirage_hvt_ring_set_consumed(&rings.pointee.receive, mirage_hvt_ring_consumed(&rings.pointee.receive) &+ UInt32(input.byte()))
            case 3:  // the guest scribbles over the rings (slots, counts, flags)
                let offset = input.below(MemoryLayout<mirage_hvt_net_rings>.stride)
                let piece = input.piece(maximum: 64)
                piece.withUnsafeBytes { _ = memory.copy($0, to: netRingsRegion + UInt64(offset)) }
            case 4:  // the host sends a frame of any length up to 128 KiB
                let length = input.byte() == 0xFF ? Int(input.uint32() % UInt32(scratch.count)) : Int(input.uint16() % 2048)
                _ = send(host, scratch.baseAddress, length, 0)
            case 5:  // the I/O thread sends what the guest queued
                guard case .success = port.transmit() else { return }
                while recv(host, scratch.baseAddress, scratch.count, 0) > 0 {}
            case 6:  // the I/O thread fills receive slots; each must describe a frame in the area
                let before = mirage_hvt_ring_produced(&rings.pointee.receive)
                port.tapReadable = true
                guard case .success = port.receive() else { return }
                var index = before
                while index != mirage_hvt_ring_produced(&rings.pointee.receive) {
                    let slot = mirage_hvt_ring_slot(&rings.pointee.receive, index)!.pointee
                    require(slot.data >= areaStart && slot.data + UInt64(slot.length) <= areaEnd,
                            "receive slot \(index) at 0x\(String(slot.data, radix: 16)), \(slot.length) bytes, outside the area")
                    index &+= 1
                }
            default:  // the guest takes every frame it was given, as a well-behaved guest does
                mirage_hvt_ring_set_consumed(&rings.pointee.receive, mirage_hvt_ring_produced(&rings.pointee.receive))
            }
        }
    }
}
