import CLinux
import Glibc
import MirageHostSystem
import MirageCore

/// A network device over a Linux tap interface: each `read` of the descriptor is one Ethernet frame
/// the host sent to the interface, each `write` one frame the host receives from it (MirageOS's
/// `mirage-net-unix`).
///
/// The device attaches to the tap interface by name, creating it when there is none. It changes
/// nothing on the host side: addresses, routes and the link state are the operator's business
/// (`ip tuntap add dev tap0 mode tap`, `ip addr add`, `ip link set tap0 up`). Its own ``mac`` is
/// the address the unikernel sends from; the host's interface has another.
///
/// The descriptor is non-blocking and waits go through the ``UnixPlatform``'s epoll loop, so the
/// device suits the platform's single-threaded scheduler and no other.
///
/// With offloading (the default) each frame on the descriptor carries a virtio-net header
/// (`IFF_VNET_HDR`, ``VirtioNetHeader``), and the kernel is told the device handles partial
/// checksums and TCP segmentation (`TUNSETOFFLOAD`), as a virtio-net guest does: the kernel then
/// passes TCP segments of up to 64 KiB and leaves checksums of frames that never leave the host
/// uncomputed, and it cuts the large segments the stack sends. One system call moves up to 64 KiB
/// instead of one MTU.
public final class TapDevice: NetworkDevice {
    /// The interface's name, as the kernel reports it after attaching.
    public let name: String
    public let mac: MACAddress
    /// The interface's MTU when the device was opened (1500 when it could not be read).
    public let mtu: Int
    // The device's state is touched only on the scheduler's thread, and no access to it encloses
    // another: no run-time exclusivity check, as `Scheduler`'s queues.
    @exclusivity(unchecked) public private(set) var statistics = NetworkStatistics()
    public let offloads: NetworkOffloads
    public var largestOffloadedFrame: Int { NetworkDeviceLimits.largestOffloadedFrame }

    /// Bytes read beyond ``frameLimit``: a longer frame then shows as too long and is dropped,
    /// instead of being cut silently to the buffer's size.
    static let receiveSlack = 64

    private let platform: UnixPlatform
    /// The `/dev/net/tun` descriptor; -1 once closed.
    @exclusivity(unchecked) private var fileDescriptor: Int32
    /// The bytes of virtio-net header in front of each frame on the descriptor: 0 or 10.
    private let headerLength: Int
    /// The receive buffer the last read left unused or copied out of, kept for the next, so that
    /// reading a small frame allocates only the small buffer it is copied into.
    @exclusivity(unchecked) private var spareFrame: PacketBuffer?

    /// Opens `/dev/net/tun` and attaches it to the tap interface `name`.
    ///
    /// Attaching to a persistent interface (one made by `ip tuntap add dev tap0 mode tap`) needs
    /// the right to use it; creating one needs `CAP_NET_ADMIN`. Either happens in the network
    /// namespace of the calling thread, where the descriptor then stays.
    ///
    /// - Parameters:
    ///   - name: the interface's name, 1 to 15 bytes; a pattern such as `tap%d` lets the kernel
    ///     choose (see ``name``).
    ///   - platform: the platform whose epoll loop waits for the descriptor.
    ///   - mac: the address the unikernel sends from; see ``randomLocalMAC(from:)``.
    ///   - offloading: whether to exchange frames with virtio-net headers and take the kernel's
    ///     checksum and segmentation offloads (see the type's description). When the kernel
    ///     refuses the offloads the device works without them.
    /// - Throws: ``NetworkError/io(code:)`` with the error number: `EINVAL` for a name that is
    ///   empty, too long or holds a NUL byte, otherwise from `open` or the `TUNSETIFF` ioctl (for
    ///   example `ENOENT` without `/dev/net/tun`, `EPERM` without the right, `EINVAL` when the
    ///   interface exists as a tun rather than a tap interface, `EBUSY` when another process has
    ///   it open).
    public init(name: String, platform: UnixPlatform, mac: MACAddress, offloading: Bool = true) throws(NetworkError) {
        guard !name.isEmpty, name.utf8.count < Int(IFNAMSIZ), !name.utf8.contains(0) else {
            throw .io(code: EINVAL)
        }
        let fd: Int32
        do throws(ErrorNumber) {
            fd = try SystemCall.open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC)
        } catch {
            throw .io(code: error.code)
        }
        let attached: String
        do throws(NetworkError) {
            attached = try Self.attach(fd, to: name, withHeader: offloading)
        } catch {
            SystemCall.close(fd)
            throw error
        }
        self.name = attached
        self.mac = mac
        self.mtu = Self.interfaceMTU(attached) ?? 1500
        self.platform = platform
        self.fileDescriptor = fd
        headerLength = offloading ? VirtioNetHeader.length : 0
        // Segments of up to 64 KiB are allocated and freed per send and receive with offloads: the
        // platform has the C library keep freed memory (UnixPlatform.retainedFreeMemory).
        offloads = offloading && mirage_tap_set_offloads(fd, 1) == 0 ? [.transmitChecksum, .tcpSegmentation, .tcpSegmentationIPv6] : []
    }

    deinit { close() }

    /// Whether ``close()`` has been called.
    public var isClosed: Bool { fileDescriptor < 0 }

    /// Waits until frames have arrived, then passes each to `handler` in order of arrival: up to
    /// ``NetworkDeviceLimits/receiveBatchLimit`` of them, as many as the kernel has queued.
    ///
    /// Each frame is a buffer of its own with ``NetworkDeviceLimits/receiveHeadroom`` free bytes in front. A frame
    /// longer than ``receiveLimit`` is dropped and counted in ``NetworkStatistics/dropped``.
    ///
    /// Closing the device wakes a task waiting here, which then throws
    /// ``NetworkError/disconnected``.
    ///
    /// - Throws: ``NetworkError/disconnected`` once the device is closed or its interface deleted;
    ///   ``NetworkError/io(code:)`` with the error number when `read` fails otherwise.
    public func receive(_ handler: (consuming PacketBuffer) -> Void) async throws(NetworkError) {
        while true {
            guard fileDescriptor >= 0 else { throw .disconnected }
            let batch = try readBatch(handler)
            if batch.delivered > 0 { return }
            if batch.drained { await platform.waitUntilReadable(fileDescriptor) }
        }
    }

    /// Sends one frame, waiting while the kernel has no room for it.
    ///
    /// - Throws: ``NetworkError/frameTooLarge(length:limit:)`` for a frame longer than
    ///   ``frameLimit`` (counted in ``NetworkStatistics/dropped``); ``NetworkError/disconnected``
    ///   once the device is closed or its interface deleted; ``NetworkError/io(code:)`` with the
    ///   error number when `write` fails otherwise (`EINVAL` for a frame shorter than an Ethernet
    ///   header).
    public func transmit(_ frame: PacketBuffer) async throws(NetworkError) {
        while try !transmitIfReady(frame) {
            await platform.waitUntilWritable(fileDescriptor)
        }
    }

    /// Writes `frame` as ``transmit(_:)`` does; false, and nothing written, when the kernel has
    /// no room for it now (`EAGAIN`).
    public func transmitIfReady(_ frame: PacketBuffer) throws(NetworkError) -> Bool {
        let limit = frame.offload.tcpSegmentSize != 0 && offloads.contains(.tcpSegmentation) ? largestOffloadedFrame : frameLimit
        guard frame.count <= limit else {
            statistics.dropped += 1
            throw .frameTooLarge(length: frame.count, limit: limit)
        }
        guard fileDescriptor >= 0 else { throw .disconnected }
        do throws(ErrorNumber) {
            try write(frame)
        } catch where error.wouldBlock {
            return false
        } catch {
            throw Self.error(error.code)
        }
        // A tap interface takes a frame whole or not at all.
        statistics.transmittedFrames += 1
        statistics.transmittedBytes += UInt64(frame.count)
        return true
    }

    /// Closes the descriptor; later calls of ``receive(_:)`` and ``transmit(_:)`` throw
    /// ``NetworkError/disconnected``. A persistent interface stays; one the device created goes.
    /// Closing twice does nothing. The corresponding C function is `close`.
    public func close() {
        guard fileDescriptor >= 0 else { return }
        // A persistent interface keeps its offloads; the next user may not expect them.
        if !offloads.isEmpty { _ = mirage_tap_set_offloads(fileDescriptor, 0) }
        platform.forget(fileDescriptor)
        SystemCall.close(fileDescriptor)
        fileDescriptor = -1
    }

    /// A random unicast, locally administered MAC address (IEEE 802-2014, section 8.2: bit 0 of
    /// the first byte clear, bit 1 set), such as `02:5e:…` or `ae:…`, for a device that has no
    /// address assigned by a manufacturer.
    public static func randomLocalMAC(from entropy: some EntropySource) -> MACAddress {
        var bytes = entropy.bytes(count: 6)
        bytes[0] = bytes[0] & 0xFC | 0x02
        return MACAddress(bytes: bytes)
    }
}

extension TapDevice {
    /// How one round of reading ended.
    struct Batch {
        /// Frames passed to the handler.
        var delivered = 0
        /// Whether the kernel had no frame left (`EAGAIN`), rather than the batch being full.
        var drained = false
    }

    /// The longest frame ``receive(_:)`` passes on: ``frameLimit``, or with offloads a coalesced
    /// TCP segment as long as an IPv4 packet can be.
    var receiveLimit: Int { offloads.isEmpty ? frameLimit : NetworkDeviceLimits.largestReceivedFrame }

    /// Reads frames until the kernel has none left or ``NetworkDeviceLimits/receiveBatchLimit`` have been read,
    /// passing each that fits to `handler`. The corresponding C function is `read`.
    ///
    /// Each read goes into a buffer with room for the longest frame, handed over or copied out as
    /// ``PacketBuffer/takeReceivedFrame(length:after:room:headroom:)`` says.
    ///
    /// A failure after some frames were delivered ends the batch quietly; the next call meets it
    /// again and throws.
    func readBatch(_ handler: (consuming PacketBuffer) -> Void) throws(NetworkError) -> Batch {
        var batch = Batch()
        let limit = receiveLimit, space = headerLength + limit + Self.receiveSlack
        for _ in 0..<NetworkDeviceLimits.receiveBatchLimit {
            var buffer = spareFrame.take()
                ?? PacketBuffer(capacity: NetworkDeviceLimits.receiveHeadroom + space,
                                headroom: NetworkDeviceLimits.receiveHeadroom - headerLength)
            let fd = fileDescriptor
            var failure: ErrorNumber?
            let length = buffer.append(upTo: space) { bytes in
                do throws(ErrorNumber) { return try SystemCall.read(fd, into: bytes) } catch {
                    failure = error
                    return -1
                }
            }
            if let failure, failure.wouldBlock {
                spareFrame = consume buffer
                batch.drained = true
                return batch
            }
            if length <= 0 {
                // No frame is empty: a read of nothing means the descriptor has reached its end.
                if batch.delivered > 0 { return batch }
                throw failure.map { Self.error($0.code) } ?? .disconnected
            }
            let frameLength = length - headerLength
            guard frameLength > 0, frameLength <= limit else {
                // Longer than the MTU the device was opened with (the interface's grew since), and
                // maybe cut to `space` bytes by the read: the length is more than `limit` either way.
                buffer.removeLast(length)
                spareFrame = consume buffer
                statistics.dropped += 1
                continue
            }
            let offload = headerLength > 0 ? buffer.withUnsafeBytes { VirtioNetHeader($0).receivedOffload } : FrameOffload()
            var (frame, reusable) = buffer.takeReceivedFrame(length: frameLength, after: headerLength, room: space,
                                                             headroom: NetworkDeviceLimits.receiveHeadroom)
            if reusable { spareFrame = consume buffer }
            frame.offload = offload
            statistics.receivedFrames += 1
            statistics.receivedBytes += UInt64(frameLength)
            batch.delivered += 1
            handler(consume frame)
        }
        return batch
    }

    /// Writes `frame`, behind its virtio-net header when the descriptor takes one. The
    /// corresponding C functions are `write` and `writev`.
    /// - Throws: the error number; `EAGAIN` when the kernel has no room for it now.
    private func write(_ frame: PacketBuffer) throws(ErrorNumber) {
        let fd = fileDescriptor
        guard headerLength > 0 else {
            _ = try frame.withUnsafeBytes { bytes throws(ErrorNumber) in try SystemCall.write(fd, bytes) }
            return
        }
        var header: (UInt64, UInt64) = (0, 0)
        try withUnsafeMutableBytes(of: &header) { headerBytes throws(ErrorNumber) in
            VirtioNetHeader(transmitting: frame.offload).write(into: headerBytes)
            try frame.withUnsafeBytes { bytes throws(ErrorNumber) in
                // A tuple, not an array: nothing to allocate per frame.
                var vectors = (iovec(iov_base: headerBytes.baseAddress, iov_len: VirtioNetHeader.length),
                               iovec(iov_base: UnsafeMutableRawPointer(mutating: bytes.baseAddress), iov_len: bytes.count))
                _ = try withUnsafeMutableBytes(of: &vectors) { raw throws(ErrorNumber) in
                    try SystemCall.writev(fd, raw.baseAddress!.assumingMemoryBound(to: iovec.self), count: 2)
                }
            }
        }
    }

    /// The error for a failed `read` or `write`: a descriptor that is closed (`EBADF`) or whose
    /// interface was deleted (`EBADFD`) means the device is disconnected.
    static func error(_ code: Int32) -> NetworkError {
        code == EBADF || code == EBADFD ? .disconnected : .io(code: code)
    }

    /// Attaches `fd` to the tap interface `name` and returns the interface's name. The
    /// corresponding C function is `ioctl` (`TUNSETIFF`).
    /// - Throws: ``NetworkError/io(code:)`` with the ioctl's error number.
    static func attach(_ fd: Int32, to name: String, withHeader: Bool) throws(NetworkError) -> String {
        var assigned = [CChar](repeating: 0, count: Int(IFNAMSIZ))
        do throws(ErrorNumber) {
            _ = try SystemCall.checked {
                withHeader ? mirage_tap_attach_with_header(fd, name, &assigned) : mirage_tap_attach(fd, name, &assigned)
            }
        } catch {
            throw .io(code: error.code)
        }
        let bytes = assigned.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The MTU of the interface `name`, or nil when it cannot be read. The corresponding C
    /// functions are `socket` and `ioctl` (`SIOCGIFMTU`, on a throwaway datagram socket).
    static func interfaceMTU(_ name: String) -> Int? {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard socket >= 0 else { return nil }
        defer { SystemCall.close(socket) }
        var mtu: Int32 = 0
        guard mirage_interface_mtu(socket, name, &mtu) == 0, mtu > 0 else { return nil }
        return Int(mtu)
    }
}
