import CLinux
import Glibc
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
public final class TapDevice: NetworkDevice {
    /// The interface's name, as the kernel reports it after attaching.
    public let name: String
    public let mac: MACAddress
    /// The interface's MTU when the device was opened (1500 when it could not be read).
    public let mtu: Int
    public private(set) var statistics = NetworkStatistics()

    /// At most this many frames are read per ``receive(_:)``, so that a busy interface cannot keep
    /// other tasks from running.
    public static let receiveBatchLimit = 64
    /// Free bytes in front of every received frame, so an upper layer can turn a request into a
    /// reply in place, even one with longer headers.
    public static let receiveHeadroom = 64
    /// Bytes read beyond ``frameLimit``: a longer frame then shows as too long and is dropped,
    /// instead of being cut silently to the buffer's size.
    static let receiveSlack = 64

    private let platform: UnixPlatform
    /// The `/dev/net/tun` descriptor; -1 once closed.
    private var fileDescriptor: Int32
    /// A receive buffer that the last read did not fill (it found no frame, or one too long),
    /// kept for the next, so that waiting for frames allocates nothing.
    private var spareFrame: PacketBuffer?

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
    /// - Throws: ``NetworkError/io(code:)`` with the error number: `EINVAL` for a name that is
    ///   empty, too long or holds a NUL byte, otherwise from `open` or the `TUNSETIFF` ioctl (for
    ///   example `ENOENT` without `/dev/net/tun`, `EPERM` without the right, `EINVAL` when the
    ///   interface exists as a tun rather than a tap interface, `EBUSY` when another process has
    ///   it open).
    public init(name: String, platform: UnixPlatform, mac: MACAddress) throws(NetworkError) {
        guard !name.isEmpty, name.utf8.count < Int(IFNAMSIZ), !name.utf8.contains(0) else {
            throw .io(code: EINVAL)
        }
        let fd = SystemCall.retryingInterrupts { open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC) }
        guard fd >= 0 else { throw .io(code: -fd) }
        let attached: String
        do throws(NetworkError) {
            attached = try Self.attach(fd, to: name)
        } catch {
            Glibc.close(fd)
            throw error
        }
        self.name = attached
        self.mac = mac
        self.mtu = Self.interfaceMTU(attached) ?? 1500
        self.platform = platform
        self.fileDescriptor = fd
    }

    deinit { close() }

    /// The longest frame the device sends or accepts: ``mtu`` bytes of payload after an Ethernet
    /// header with an 802.1Q tag (14 + 4 bytes).
    public var frameLimit: Int { mtu + 18 }

    /// Whether ``close()`` has been called.
    public var isClosed: Bool { fileDescriptor < 0 }

    /// Waits until frames have arrived, then passes each to `handler` in order of arrival: up to
    /// ``receiveBatchLimit`` of them, as many as the kernel has queued.
    ///
    /// Each frame is a fresh buffer with ``receiveHeadroom`` free bytes in front. A frame longer
    /// than ``frameLimit`` is dropped and counted in ``NetworkStatistics/dropped``.
    ///
    /// Close the device only when no task waits here: the platform's epoll loop forgets a closed
    /// descriptor, so a task waiting for it would wait for ever.
    ///
    /// - Throws: ``NetworkError/disconnected`` once the device is closed or its interface deleted;
    ///   ``NetworkError/io(code:)`` with the error number when `read` fails otherwise.
    public func receive(_ handler: (PacketBuffer) -> Void) async throws(NetworkError) {
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
        guard frame.count <= frameLimit else {
            statistics.dropped += 1
            throw .frameTooLarge(length: frame.count, limit: frameLimit)
        }
        while true {
            guard fileDescriptor >= 0 else { throw .disconnected }
            let fd = fileDescriptor
            let written = frame.withUnsafeBytes { bytes in
                SystemCall.retryingInterrupts { Glibc.write(fd, bytes.baseAddress, bytes.count) }
            }
            if written >= 0 {
                // A tap interface takes a frame whole or not at all.
                statistics.transmittedFrames += 1
                statistics.transmittedBytes += UInt64(frame.count)
                return
            }
            let code = Int32(-written)
            if code == EAGAIN || code == EWOULDBLOCK {
                await platform.waitUntilWritable(fd)
                continue
            }
            throw Self.error(code)
        }
    }

    /// Closes the descriptor; later calls of ``receive(_:)`` and ``transmit(_:)`` throw
    /// ``NetworkError/disconnected``. A persistent interface stays; one the device created goes.
    /// Closing twice does nothing. The corresponding C function is `close`.
    public func close() {
        guard fileDescriptor >= 0 else { return }
        // Not retried on EINTR: Linux releases the descriptor even then.
        Glibc.close(fileDescriptor)
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

    /// Reads frames until the kernel has none left or ``receiveBatchLimit`` have been read,
    /// passing each that fits to `handler`. The corresponding C function is `read`.
    ///
    /// A failure after some frames were delivered ends the batch quietly; the next call meets it
    /// again and throws.
    func readBatch(_ handler: (PacketBuffer) -> Void) throws(NetworkError) -> Batch {
        var batch = Batch()
        let limit = frameLimit, space = limit + Self.receiveSlack
        for _ in 0..<Self.receiveBatchLimit {
            var frame = spareFrame.take() ?? Self.receiveBuffer(space: space)
            let fd = fileDescriptor
            let length = frame.withUnsafeMutableBytes { bytes in
                SystemCall.retryingInterrupts { Glibc.read(fd, bytes.baseAddress, bytes.count) }
            }
            if length < 0 && (-length == Int(EAGAIN) || -length == Int(EWOULDBLOCK)) {
                spareFrame = frame
                batch.drained = true
                return batch
            }
            if length <= 0 {
                // No frame is empty: a read of nothing means the descriptor has reached its end.
                if batch.delivered > 0 { return batch }
                throw length == 0 ? .disconnected : Self.error(Int32(-length))
            }
            if length > limit {
                // Longer than the MTU the device was opened with (the interface's grew since), and
                // maybe cut to `space` bytes by the read: the length is more than `limit` either way.
                spareFrame = frame
                statistics.dropped += 1
                continue
            }
            frame.removeLast(space - length)
            statistics.receivedFrames += 1
            statistics.receivedBytes += UInt64(length)
            batch.delivered += 1
            handler(frame)
        }
        return batch
    }

    /// A fresh buffer of `space` readable bytes for `read` to fill, with ``receiveHeadroom`` free
    /// bytes in front.
    static func receiveBuffer(space: Int) -> PacketBuffer {
        var frame = PacketBuffer(capacity: receiveHeadroom + space, headroom: receiveHeadroom)
        frame.appendZeros(space)
        return frame
    }

    /// The error for a failed `read` or `write`: a descriptor that is closed (`EBADF`) or whose
    /// interface was deleted (`EBADFD`) means the device is disconnected.
    static func error(_ code: Int32) -> NetworkError {
        code == EBADF || code == EBADFD ? .disconnected : .io(code: code)
    }

    /// Attaches `fd` to the tap interface `name` and returns the interface's name. The
    /// corresponding C function is `ioctl` (`TUNSETIFF`).
    /// - Throws: ``NetworkError/io(code:)`` with the ioctl's error number.
    static func attach(_ fd: Int32, to name: String) throws(NetworkError) -> String {
        var assigned = [CChar](repeating: 0, count: Int(IFNAMSIZ))
        let result = SystemCall.retryingInterrupts { mirage_tap_attach(fd, name, &assigned) }
        guard result == 0 else { throw .io(code: -result) }
        let bytes = assigned.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The MTU of the interface `name`, or nil when it cannot be read. The corresponding C
    /// functions are `socket` and `ioctl` (`SIOCGIFMTU`, on a throwaway datagram socket).
    static func interfaceMTU(_ name: String) -> Int? {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard socket >= 0 else { return nil }
        defer { Glibc.close(socket) }
        var mtu: Int32 = 0
        guard mirage_interface_mtu(socket, name, &mtu) == 0, mtu > 0 else { return nil }
        return Int(mtu)
    }
}
