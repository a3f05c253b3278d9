import CMirageHVT
import MirageRuntime

/// A guest with a net device that misuses the net hypercalls, for the tender's robustness tests:
/// buffers outside its memory must end it as crashed, without the tender reading or writing host
/// memory, and a buffer too small for a frame must get the frame dropped, not cut into it.
///
/// The device (`network("service")`) is index 0 of the tender's device table: the attacks make
/// the hypercalls themselves, with that index.
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
        case "read-pointer":
            // Ask the tender to put a frame far outside guest memory.
            var io = mirage_hvt_net_io(device: 0, status: 0, data: 0x7FFF_0000_0000, length: 1518)
            mirage_hvt_hypercall(MIRAGE_HVT_NET_READ, &io)
        case "write-pointer":
            // Ask it to send a frame from just past the end of guest memory.
            var io = mirage_hvt_net_io(device: 0, status: 0, data: memorySize, length: 60)
            mirage_hvt_hypercall(MIRAGE_HVT_NET_WRITE, &io)
        case "read-wrap":
            // A buffer that starts inside and whose end wraps around 64 bits.
            var io = mirage_hvt_net_io(device: 0, status: 0, data: memorySize - 64, length: UInt64.max - 16)
            mirage_hvt_hypercall(MIRAGE_HVT_NET_READ, &io)
        case "argument":
            // The argument structure itself outside guest memory.
            mirage_hvt_hypercall(MIRAGE_HVT_NET_READ, UnsafeMutableRawPointer(bitPattern: UInt(memorySize + 4096)))
        case "small-buffer":
            await smallBuffer()
            return
        default:
            break
        }
        log.info("survived")
    }

    /// Reads with room for 20 bytes, inside a 64-byte array, until a frame comes (every frame
    /// is longer): the tender must answer DROPPED and leave the 44 bytes after the buffer alone.
    private func smallBuffer() async {
        var bytes = [UInt8](repeating: 0xAA, count: 64)
        for _ in 0..<1000 {
            let status = bytes.withUnsafeMutableBytes { buffer in
                var io = mirage_hvt_net_io(device: 0, status: 0, data: UInt64(UInt(bitPattern: buffer.baseAddress)), length: 20)
                mirage_hvt_hypercall(MIRAGE_HVT_NET_READ, &io)
                return io.status
            }
            if status == MIRAGE_HVT_DROPPED.rawValue {
                let intact = bytes[20...].allSatisfy { $0 == 0xAA }
                log.info("a frame longer than 20 bytes was dropped; the bytes past the buffer are \(intact ? "intact" : "overwritten")")
                return
            }
            if status != MIRAGE_HVT_AGAIN.rawValue {
                log.error("unexpected status \(status)")
                return
            }
            try? await sleep(for: .milliseconds(10))
        }
        log.error("no frame arrived")
    }
}
