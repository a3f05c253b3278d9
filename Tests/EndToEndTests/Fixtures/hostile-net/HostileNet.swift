import CMirageHVTGuest
import MirageRuntime

/// A guest with a net device that misuses the net poll hypercall, for the tender's robustness
/// tests: frames, receive areas or arguments outside its memory must end it as crashed, without
/// the tender reading or writing host memory, and a receive area too small for a frame must get
/// the frame held for the next call, not cut into the area or written past it.
///
/// The device (`network("service")`) is index 0 of the tender's device table: the attacks make
/// the hypercall themselves, with that index.
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
        let memorySize = mirage_hvt_boot_info_pointer()!.pointee.memory_size
        switch attack {
        case "receive-pointer":
            // Ask the tender to put frames far outside guest memory.
            _ = netPoll(send: nil, area: 0x7FFF_0000_0000, areaLength: 65_553)
        case "send-pointer":
            // Ask it to send a frame from just past the end of guest memory.
            var frame = mirage_hvt_net_frame()
            frame.data = memorySize
            frame.length = 60
            _ = netPoll(send: frame, area: 0, areaLength: 0)
        case "receive-wrap":
            // A receive area that starts inside and whose end wraps around 64 bits.
            _ = netPoll(send: nil, area: memorySize - 64, areaLength: UInt64.max - 16)
        case "argument":
            // The argument structure itself outside guest memory.
            mirage_hvt_hypercall(MIRAGE_HVT_NET_POLL, UnsafeMutableRawPointer(bitPattern: UInt(memorySize + 4096)))
        case "small-area":
            await smallArea()
            return
        case "batch-of-one":
            await batchOfOne()
            return
        default:
            break
        }
        log.info("survived")
    }

    /// One `MIRAGE_HVT_NET_POLL` for device 0 that sends `send` (when given) and receives into
    /// the area given, without waiting; returns the queue as the tender left it.
    private func netPoll(send: mirage_hvt_net_frame?, area: UInt64, areaLength: UInt64) -> mirage_hvt_net_queue {
        var frames = [mirage_hvt_net_frame](repeating: mirage_hvt_net_frame(), count: 2)
        if let send { frames[0] = send }
        return frames.withUnsafeMutableBufferPointer { frames in
            var queue = mirage_hvt_net_queue()
            queue.device = 0
            queue.frames = UInt64(UInt(bitPattern: frames.baseAddress))
            queue.send_count = send == nil ? 0 : 1
            queue.receive_count = 1
            queue.area = area
            queue.area_length = areaLength
            withUnsafeMutablePointer(to: &queue) { queuePointer in
                var call = mirage_hvt_net_poll()
                call.poll.deadline = 0
                call.poll.ready = 1
                call.queues = UInt64(UInt(bitPattern: queuePointer))
                call.queue_count = 1
                mirage_hvt_hypercall(MIRAGE_HVT_NET_POLL, &call)
            }
            return queue
        }
    }

    /// Receives into an area of 20 bytes, inside a 64-byte array, until a frame waits (every
    /// frame is longer): the tender must say one waits (`more`), receive none, and leave the 44
    /// bytes after the area alone.
    private func smallArea() async {
        var bytes = [UInt8](repeating: 0xAA, count: 64)
        for _ in 0..<1000 {
            let queue = bytes.withUnsafeMutableBytes { buffer in
                netPoll(send: nil, area: UInt64(UInt(bitPattern: buffer.baseAddress)), areaLength: 20)
            }
            guard queue.status == MIRAGE_HVT_OK.rawValue, queue.received == 0 else {
                log.error("unexpected status \(queue.status), \(queue.received) frames received")
                return
            }
            if queue.more == 1 {
                let intact = bytes[20...].allSatisfy { $0 == 0xAA }
                log.info("a frame longer than the 20-byte area waits in the tender; the bytes past the area are \(intact ? "intact" : "overwritten")")
                return
            }
            try? await sleep(for: .milliseconds(10))
        }
        log.error("no frame arrived")
    }

    /// Receives one frame at a time while several wait: the tender fills the batch and must ask
    /// the tap whether more wait (a `poll`, which its seccomp filter must allow), and say so.
    private func batchOfOne() async {
        var bytes = [UInt8](repeating: 0, count: 2048)
        for _ in 0..<100 {
            try? await sleep(for: .milliseconds(100)) // frames gather in the tap's queue
            let queue = bytes.withUnsafeMutableBytes { buffer in
                netPoll(send: nil, area: UInt64(UInt(bitPattern: buffer.baseAddress)), areaLength: UInt64(buffer.count))
            }
            if queue.received == 1, queue.more == 1 {
                log.info("a batch of one frame was received and more were said to wait")
                return
            }
        }
        log.error("never more than one frame waiting")
    }
}
