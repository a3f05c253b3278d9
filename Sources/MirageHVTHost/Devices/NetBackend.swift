#if canImport(Glibc)
import Glibc
#endif
import CLinux
import CMirageHVTABI
#if !hasFeature(Embedded)  // the tender's Embedded build compiles MirageHostSystem's files in
import MirageHostSystem
#endif

/// A network device the tender serves from a host tap interface (`--net:NAME=TAP`): every frame
/// the guest puts in its transmit ring is one `write` to the interface, and every frame the I/O
/// thread puts in its receive ring one `read` of a frame the host sent to it (``NetRingPort``).
///
/// The tender attaches to an interface that exists and never creates one: the operator (or
/// `swift-mirage run --create-tap`) makes it, gives the host side its address and sets it up. The
/// descriptor is non-blocking; the tender waits for frames in the poll hypercall
/// (``HostEvents``).
///
/// A tap descriptor is attached with `IFF_VNET_HDR`: every frame on it has a virtio-net header in
/// front. The guest gets and gives those headers with each frame (`MIRAGE_HVT_NET_HEADERS` in the
/// device table), and at the first frame either way the kernel's offloads are turned on (`TUNSETOFFLOAD`: partial checksums,
/// TCP segments of up to 64 KiB both ways), so one ring slot carries up to 64 KiB. For a guest that
/// does not ask, the tender strips the header on reads and writes an empty one.
final class NetBackend {
    /// What one read found.
    enum ReadResult: Equatable {
        /// A frame of this many bytes is in the buffer.
        case frame(length: Int)
        /// No frame is waiting.
        case none
        /// The next frame was longer than the buffer; it was read and dropped.
        case tooLong
        /// The read failed with this error number.
        case failed(Int32)
    }

    /// The device's name, as in `--net:NAME=TAP`.
    let name: String
    /// The tap interface behind it.
    let interface: String
    /// The `/dev/net/tun` descriptor, attached to ``interface``.
    let fileDescriptor: Int32
    /// The guest's hardware address: random, locally administered.
    let mac: [UInt8]
    /// The interface's MTU when the tender attached it.
    let mtu: Int
    /// Bytes of virtio-net header in front of every frame on the descriptor: 10 for a tap, 0 for
    /// a plain frame descriptor (tests' datagram sockets), which cannot pass headers.
    let headerLength: Int
    /// Whether the kernel's offloads are on (after the first frame either way with headers).
    private(set) var offloading = false
    /// Where the header of a frame read for a guest that takes none goes.
    private let discardedHeader = UnsafeMutableRawBufferPointer.allocate(byteCount: 16, alignment: 16)
    /// The empty header written before a frame from a guest that gives none: no offload asked.
    private let emptyHeader = UnsafeMutableRawBufferPointer.allocate(byteCount: 16, alignment: 16)
    /// Frames dropped because they did not fit the guest's buffer.
    private(set) var droppedFrames: UInt64 = 0
    /// Where a frame is read when a guest's receive area has less room than the longest frame,
    /// with its virtio-net header; allocated at the first such read.
    private var heldBuffers: (header: UnsafeMutableRawBufferPointer, frame: UnsafeMutableRawBufferPointer)?
    private var held: (header: UnsafeMutableRawBufferPointer, frame: UnsafeMutableRawBufferPointer) {
        if let heldBuffers { return heldBuffers }
        let buffers = (header: UnsafeMutableRawBufferPointer.allocate(byteCount: 16, alignment: 16),
                       frame: UnsafeMutableRawBufferPointer.allocate(byteCount: Self.largestReadableFrame, alignment: 16))
        heldBuffers = buffers
        return buffers
    }
    /// The length of the frame in ``held`` that did not fit the room the guest gave, if any.
    private var heldLength: Int?
    /// Frames read into ``held`` and copied into a guest's area: with less room than the longest
    /// frame, a read cannot go straight there.
    private(set) var copiedFrames: UInt64 = 0

    /// Where a read puts the bytes of a frame beyond the guest's buffer: if any land here, the
    /// frame was too long. Tap reads truncate a frame to the buffers given, so one byte would
    /// do; a few more cost nothing.
    private let overflow = UnsafeMutableRawBufferPointer.allocate(byteCount: 64, alignment: 16)

    /// The longest frame the guest may send: ``mtu`` bytes after an Ethernet header with an
    /// 802.1Q tag (14 + 4 bytes), as ``TapDevice`` on unix.
    var frameLimit: Int { mtu + 18 }

    /// Opens `/dev/net/tun` and attaches it to the existing tap interface `interface`, whose MTU
    /// the guest is told.
    /// - Throws: a ``TenderError`` naming the device, the interface and the reason, with
    ///   ``TenderExitStatus/noInput``, when the interface does not exist, is not a tap interface,
    ///   is busy, or may not be used.
    convenience init(name: String, interface: String) throws(TenderError) {
        func failure(_ reason: String) -> TenderError {
            TenderError("--net:\(name)=\(interface): cannot open tap interface \(interface): \(reason)", status: TenderExitStatus.noInput)
        }
        // TUNSETIFF creates an interface that does not exist (with no address and down, which
        // no one would want to run a guest on) and expands patterns such as tap%d: refuse both.
        guard !interface.isEmpty, interface.utf8.count < Int(IFNAMSIZ), !interface.contains("%"), !interface.contains("/") else {
            throw failure("not an interface name (1 to \(IFNAMSIZ - 1) bytes, no '%' or '/')")
        }
        guard if_nametoindex(interface) != 0 else {
            throw failure("\(String(cString: strerror(ENODEV))); create it with 'ip tuntap add dev \(interface) mode tap' (or use 'swift-mirage run --create-tap')")
        }
        let fd: Int32
        do throws(ErrorNumber) { fd = try SystemCall.open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC) } catch {
            throw failure("/dev/net/tun: \(error)")
        }
        var assigned = [CChar](repeating: 0, count: Int(IFNAMSIZ))
        do throws(ErrorNumber) {
            _ = try SystemCall.checked { mirage_tap_attach_with_header(fd, interface, &assigned) }
        } catch {
            let code = error.code
            SystemCall.close(fd)
            let hint = switch code {
            case EINVAL: " (is it a tun interface rather than a tap interface?)"
            case EBUSY: " (another process has it open)"
            case EPERM, EACCES: " (the tender needs CAP_NET_ADMIN, or the interface must belong to its user)"
            default: ""
            }
            throw failure(error.description + hint)
        }
        self.init(name: name, interface: interface, fileDescriptor: fd,
                  mtu: Self.interfaceMTU(interface) ?? 1500, mac: Self.randomLocalMAC(), headerLength: NetBackend.virtioHeaderLength)
    }

    /// A backend over `fileDescriptor`, already open and non-blocking, whose every read and write
    /// is one frame (a tap descriptor, or a datagram socket in tests); it is closed with the
    /// backend.
    init(name: String, interface: String, fileDescriptor: Int32, mtu: Int, mac: [UInt8], headerLength: Int = 0) {
        self.name = name
        self.interface = interface
        self.fileDescriptor = fileDescriptor
        self.mtu = mtu
        self.mac = mac
        self.headerLength = headerLength
        discardedHeader.initializeMemory(as: UInt8.self, repeating: 0)
        emptyHeader.initializeMemory(as: UInt8.self, repeating: 0)
    }

    deinit {
        overflow.deallocate()
        discardedHeader.deallocate()
        emptyHeader.deallocate()
        if let heldBuffers {
            heldBuffers.header.deallocate()
            heldBuffers.frame.deallocate()
        }
        // A persistent interface keeps its offloads; the next user may not expect them.
        if offloading { _ = mirage_tap_set_offloads(fileDescriptor, 0) }
        SystemCall.close(fileDescriptor)
    }

    var tableEntry: DeviceTableEntry {
        DeviceTableEntry(kind: MIRAGE_HVT_DEVICE_NET, name: name, mac: mac, mtu: UInt64(mtu),
                         netFlags: headerLength > 0 ? MIRAGE_HVT_NET_HEADERS : 0)
    }

    /// Whether the guest can exchange headers with this device.
    var passesHeaders: Bool { headerLength > 0 }

    /// The size of `struct virtio_net_hdr` on a tap descriptor (the default of `TUNSETVNETHDRSZ`).
    static let virtioHeaderLength = 10

    /// The longest frame a guest giving headers may write: one that asks for segmentation can be
    /// as long as an IPv4 packet in an untagged Ethernet frame.
    static let largestOffloadedFrame = 65535 + 14

    /// Turns the kernel's offloads on, once: at the first frame either way with headers.
    private func startOffloading() {
        guard !offloading else { return }
        offloading = true
        _ = mirage_tap_set_offloads(fileDescriptor, 1)
    }

    /// Reads one frame into `buffer`, and its virtio-net header into `header` when given (which
    /// needs ``passesHeaders``). A frame longer than `buffer` is dropped and counted in
    /// ``droppedFrames``, never cut short silently. The corresponding C function is `readv`.
    func read(into buffer: UnsafeMutableRawBufferPointer, header: UnsafeMutableRawBufferPointer? = nil) -> ReadResult {
        if header != nil { startOffloading() }
        let headerTarget = header ?? discardedHeader
        var vectors = (iovec(iov_base: headerTarget.baseAddress, iov_len: headerLength),
                       iovec(iov_base: buffer.baseAddress, iov_len: buffer.count),
                       iovec(iov_base: overflow.baseAddress, iov_len: overflow.count))
        let count: Int
        do throws(ErrorNumber) {
            count = try withUnsafeMutableBytes(of: &vectors) { raw throws(ErrorNumber) in
                // Without a header the first vector is empty: readv skips it.
                try SystemCall.readv(fileDescriptor, raw.baseAddress!.assumingMemoryBound(to: iovec.self), count: 3)
            }
        } catch {
            return error.wouldBlock ? .none : .failed(error.code)
        }
        let frameLength = count - headerLength
        if frameLength > buffer.count {
            droppedFrames += 1
            return .tooLong
        }
        // A read of nothing: the descriptor has reached its end (no frame is empty).
        return frameLength <= 0 ? .failed(EIO) : .frame(length: frameLength)
    }

    /// Writes `frame`, which must be a whole Ethernet frame of at most ``frameLimit`` bytes.
    /// The corresponding C function is `write`.
    /// - Returns: `MIRAGE_HVT_OK`; `MIRAGE_HVT_INVALID` for a frame shorter than an Ethernet
    ///   header or longer than ``frameLimit``; `MIRAGE_HVT_AGAIN` when the host had no room;
    ///   `MIRAGE_HVT_IO_ERROR` when the write failed otherwise.
    ///
    /// With `header` (which needs ``passesHeaders``) the frame goes with that virtio-net header,
    /// and may be up to ``largestOffloadedFrame`` bytes when the header asks for segmentation.
    func write(_ frame: UnsafeRawBufferPointer, header: UnsafeRawBufferPointer? = nil) -> mirage_hvt_status {
        var limit = frameLimit
        if let header {
            startOffloading()
            if header[1] != 0 { limit = Self.largestOffloadedFrame } // gso_type: not VIRTIO_NET_HDR_GSO_NONE
        }
        guard frame.count >= 14, frame.count <= limit else { return MIRAGE_HVT_INVALID }
        let headerSource = header ?? UnsafeRawBufferPointer(emptyHeader)
        var vectors = (iovec(iov_base: UnsafeMutableRawPointer(mutating: headerSource.baseAddress), iov_len: headerLength),
                       iovec(iov_base: UnsafeMutableRawPointer(mutating: frame.baseAddress), iov_len: frame.count))
        do throws(ErrorNumber) {
            _ = try withUnsafeMutableBytes(of: &vectors) { raw throws(ErrorNumber) in
                try SystemCall.writev(fileDescriptor, raw.baseAddress!.assumingMemoryBound(to: iovec.self), count: 2)
            }
            return MIRAGE_HVT_OK // a tap interface takes a frame whole or not at all
        } catch {
            return error.wouldBlock ? MIRAGE_HVT_AGAIN : MIRAGE_HVT_IO_ERROR
        }
    }

    /// The longest frame a read may return: a TCP segment the kernel coalesced to the largest
    /// IPv6 packet, in a frame with an 802.1Q tag (as the guest's receive limit,
    /// `NetworkDeviceLimits.largestReceivedFrame`).
    static let largestReadableFrame = 65535 + 40 + 14 + 4

    /// What receiving into a guest's receive area found.
    enum AreaResult: Equatable {
        /// A frame of this many bytes is at the start of the room.
        case frame(length: Int)
        /// No frame is waiting.
        case none
        /// The next frame is longer than the room left; it is kept for the next call.
        case noRoom
        /// The read failed with this error number.
        case failed(Int32)
    }

    /// Receives the next frame into `room`, the free part of a guest's receive area, and its
    /// virtio-net header into `header` when given (which needs ``passesHeaders``).
    ///
    /// With room for any frame the read goes straight into guest memory. With less, the frame is
    /// read into a buffer of the tender's and copied when it fits; when it does not it stays
    /// there, the next call's first (a tap read cannot be undone, and a frame is never cut short).
    func receive(into room: UnsafeMutableRawBufferPointer, header: UnsafeMutableRawBufferPointer?) -> AreaResult {
        if heldLength == nil {
            while true {
                // Straight into the area when the longest frame fits, but never longer than that
                // frame, whatever room there is: a longer one is dropped, wherever it lands.
                let direct = room.count >= Self.largestReadableFrame
                let result = direct ? read(into: UnsafeMutableRawBufferPointer(rebasing: room[0..<Self.largestReadableFrame]), header: header)
                    : read(into: held.frame, header: header == nil ? nil : held.header)
                switch result {
                case let .frame(length) where direct: return .frame(length: length)
                case let .frame(length):
                    heldLength = length
                    copiedFrames += 1
                case .none: return .none
                case .tooLong: continue  // dropped and counted; the next frame may do
                case let .failed(code): return .failed(code)
                }
                break
            }
        }
        guard let length = heldLength else { return .none }
        guard length <= room.count else { return .noRoom }
        room.baseAddress!.copyMemory(from: held.frame.baseAddress!, byteCount: length)
        if let header { header.copyMemory(from: UnsafeRawBufferPointer(rebasing: held.header[0..<header.count])) }
        heldLength = nil
        return .frame(length: length)
    }

    /// A random unicast, locally administered MAC address (IEEE 802-2014, 8.2: bit 0 of the
    /// first byte clear, bit 1 set).
    static func randomLocalMAC() -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: 6)
        bytes.withUnsafeMutableBytes { buffer in
            do throws(ErrorNumber) { try SystemCall.fillRandom(buffer) } catch {
                preconditionFailure("getrandom failed: \(error)")
            }
        }
        bytes[0] = bytes[0] & 0xFC | 0x02
        return bytes
    }

    /// The MTU of the interface `name`, or nil when it cannot be read. The corresponding C
    /// functions are `socket` and `ioctl` (`SIOCGIFMTU`).
    static func interfaceMTU(_ name: String) -> Int? {
        let socket = CLinux.socket(AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard socket >= 0 else { return nil }
        defer { SystemCall.close(socket) }
        var mtu: Int32 = 0
        guard mirage_interface_mtu(socket, name, &mtu) == 0, mtu > 0 else { return nil }
        return Int(mtu)
    }
}
