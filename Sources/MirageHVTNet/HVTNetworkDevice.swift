import CMirageHVT
import MirageHVT
import MirageRuntime

/// A network device the tender serves from a host tap interface (`mirage-hvt --net:NAME=TAP`),
/// through the net hypercalls: each read is one frame the host sent to the interface, each write
/// one frame the host receives from it (MirageOS's `mirage-net-solo5`).
///
/// The tender chose the address (``mac``, random and locally administered) and read the
/// interface's ``mtu``. Waiting for frames goes through ``HVTPlatform``'s poll, so the device
/// suits the platform's single-threaded scheduler and no other.
///
/// When the tender passes virtio-net headers (`MIRAGE_HVT_NET_HEADERS`), the device takes the
/// kernel's offloads as a tap device on unix does: TCP segments of up to 64 KiB each way and
/// checksums left partial, so one VM exit moves up to 64 KiB instead of one MTU.
public final class HVTNetworkDevice: NetworkDevice {
    /// The device's name, as in `--net:NAME=TAP`.
    public let name: String
    public let mac: MACAddress
    public let mtu: Int
    public private(set) var statistics = NetworkStatistics()
    public let offloads: NetworkOffloads
    /// An IPv4 packet's largest size, in an untagged Ethernet frame.
    public var largestOffloadedFrame: Int { 65535 + 14 }

    /// At most this many frames are read per ``receive(_:)``, so that a busy interface cannot keep
    /// other tasks from running.
    public static let receiveBatchLimit = 64
    /// Free bytes in front of every received frame, so an upper layer can turn a request into a
    /// reply in place, even one with longer headers.
    public static let receiveHeadroom = 64

    private let index: UInt32
    /// Whether frames travel with their virtio-net headers.
    private let passesHeaders: Bool
    private let platform: HVTPlatform
    /// A receive buffer that the last read did not fill (it found no frame, or dropped one), kept
    /// for the next, so that waiting for frames allocates nothing.
    private var spareFrame: PacketBuffer?
    /// Set once the tender reported a failure of the tap: the device stays disconnected.
    private var failed = false
    /// The last read found no frame: the next receive waits for the poll to report some first
    /// (the tender's readiness is level-triggered) instead of spending a VM exit on another read.
    private var drained = false

    private init(name: String, index: UInt32, mac: MACAddress, mtu: Int, passesHeaders: Bool, platform: HVTPlatform) {
        self.name = name
        self.index = index
        self.passesHeaders = passesHeaders
        offloads = passesHeaders ? [.transmitChecksum, .tcpSegmentation] : []
        self.mac = mac
        self.mtu = mtu
        self.platform = platform
    }

    /// The net device the tender attached as `name`.
    /// - Throws: ``HVTNetworkError/notAttached(name:)`` when the tender attached none of that name.
    public static func connect(name: String, platform: HVTPlatform) throws(HVTNetworkError) -> HVTNetworkDevice {
        let boot = bootInfo()
        let count = Int(boot.pointee.device_count)
        let found: HVTNetworkDevice? = withUnsafeBytes(of: boot.pointee.devices) { raw in
            let table = raw.bindMemory(to: mirage_hvt_device.self)
            for index in 0..<min(count, table.count) where table[index].kind == MIRAGE_HVT_DEVICE_NET.rawValue {
                let entry = table[index]
                let entryName = withUnsafeBytes(of: entry.name) { bytes in
                    String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
                }
                guard entryName.hasSameSpelling(as: name) else { continue }
                let mac = withUnsafeBytes(of: entry.mac) { MACAddress(bytes: Array($0.prefix(6))) }
                return HVTNetworkDevice(name: name, index: UInt32(index), mac: mac, mtu: Int(entry.mtu),
                                        passesHeaders: entry.flags & MIRAGE_HVT_NET_HEADERS != 0, platform: platform)
            }
            return nil
        }
        guard let found else { throw .notAttached(name: name) }
        return found
    }

    /// The longest frame the device sends or accepts: ``mtu`` bytes of payload after an Ethernet
    /// header with an 802.1Q tag (14 + 4 bytes), as the tender computes it.
    public var frameLimit: Int { mtu + 18 }

    /// Waits until frames have arrived, then passes each to `handler` in order of arrival: up to
    /// ``receiveBatchLimit`` of them, as many as the tender has.
    ///
    /// Each frame is a fresh buffer with ``receiveHeadroom`` free bytes in front. A frame longer
    /// than ``frameLimit`` is dropped by the tender and counted in ``NetworkStatistics/dropped``.
    ///
    /// - Throws: ``NetworkError/disconnected`` once the tender has reported the tap failed.
    public func receive(_ handler: (PacketBuffer) -> Void) async throws(NetworkError) {
        while true {
            if drained, !failed {
                await platform.waitForFrames(device: Int(index))
                drained = false
            }
            let batch = try readBatch(handler)
            drained = batch.drained
            if batch.delivered > 0 { return }
        }
    }

    /// Sends one frame: one write hypercall.
    ///
    /// - Throws: ``NetworkError/frameTooLarge(length:limit:)`` for a frame longer than
    ///   ``frameLimit``; ``NetworkError/io(code:)`` with the tender's status when it refused the
    ///   frame or had no room for it (counted in ``NetworkStatistics/dropped``);
    ///   ``NetworkError/disconnected`` once the tap has failed.
    public func transmit(_ frame: PacketBuffer) async throws(NetworkError) {
        guard !failed else { throw .disconnected }
        let limit = frame.offload.tcpSegmentSize != 0 && passesHeaders ? largestOffloadedFrame : frameLimit
        guard frame.count <= limit else {
            statistics.dropped += 1
            throw .frameTooLarge(length: frame.count, limit: limit)
        }
        let status = frame.withUnsafeBytes { bytes in
            var header = VirtioNetHeader(transmitting: frame.offload)
            return call(MIRAGE_HVT_NET_WRITE, address: UInt64(UInt(bitPattern: bytes.baseAddress)), length: bytes.count,
                        header: &header).status
        }
        switch status {
        case MIRAGE_HVT_OK.rawValue:
            statistics.transmittedFrames += 1
            statistics.transmittedBytes += UInt64(frame.count)
        case MIRAGE_HVT_IO_ERROR.rawValue:
            failed = true
            throw .disconnected
        default:
            // MIRAGE_HVT_AGAIN (the host had no room: a lost frame, which the protocols above
            // recover from) or MIRAGE_HVT_INVALID (a frame shorter than an Ethernet header).
            statistics.dropped += 1
            throw .io(code: Int32(status))
        }
    }

    /// Makes one net hypercall; with headers, `header` goes with a write and comes back from a
    /// read.
    /// - Returns: the status, the length, and for a read with headers whether the tender has
    ///   another frame (without headers: true, so the caller reads on until `AGAIN`).
    private func call(_ number: mirage_hvt_hypercall, address: UInt64, length: Int,
                      header: inout VirtioNetHeader) -> (status: UInt32, length: Int, more: Bool) {
        guard passesHeaders else {
            var io = mirage_hvt_net_io(device: index, status: 0, data: address, length: UInt64(length))
            mirage_hvt_hypercall(number, &io)
            return (io.status, Int(io.length), true)
        }
        var call = mirage_hvt_net_io_with_header()
        call.io = mirage_hvt_net_io(device: index | MIRAGE_HVT_NET_HEADER, status: 0, data: address, length: UInt64(length))
        withUnsafeMutableBytes(of: &call.header) { header.write(into: $0) }
        mirage_hvt_hypercall(number, &call)
        header = withUnsafeBytes(of: call.header) { VirtioNetHeader($0) }
        return (call.io.status, Int(call.io.length), call.more != 0)
    }
}

extension HVTNetworkDevice {
    /// How one round of reading ended.
    struct Batch {
        /// Frames passed to the handler.
        var delivered = 0
        /// Whether the tender had no frame left, rather than the batch being full.
        var drained = false
    }

    /// The longest frame a read may return: ``frameLimit``, or with offloads a coalesced TCP
    /// segment as long as an IPv4 packet can be.
    var receiveLimit: Int { passesHeaders ? largestOffloadedFrame + 4 : frameLimit }

    /// Reads frames until the tender has none left or ``receiveBatchLimit`` have been read,
    /// passing each to `handler`.
    ///
    /// Each read goes into a buffer with room for the longest frame, handed over or copied out as
    /// ``PacketBuffer/takeReceivedFrame(length:after:room:headroom:)`` says.
    ///
    /// A failure after some frames were delivered ends the batch quietly; the next call meets it
    /// again and throws.
    func readBatch(_ handler: (PacketBuffer) -> Void) throws(NetworkError) -> Batch {
        var batch = Batch()
        let space = receiveLimit
        for _ in 0..<Self.receiveBatchLimit {
            if failed {
                if batch.delivered > 0 { return batch }
                throw .disconnected
            }
            var buffer = spareFrame.take() ?? PacketBuffer(capacity: Self.receiveHeadroom + space, headroom: Self.receiveHeadroom)
            var header = VirtioNetHeader()
            var status: UInt32 = 0
            var more = true
            let length = buffer.append(upTo: space) { bytes in
                let result = call(MIRAGE_HVT_NET_READ, address: UInt64(UInt(bitPattern: bytes.baseAddress)), length: bytes.count,
                                  header: &header)
                status = result.status
                more = result.more
                return status == MIRAGE_HVT_OK.rawValue ? result.length : 0
            }
            switch status {
            case MIRAGE_HVT_OK.rawValue where length > 0 && length <= space:
                var (frame, reusable) = buffer.takeReceivedFrame(length: length, after: 0, room: space, headroom: Self.receiveHeadroom)
                if reusable { spareFrame = buffer }
                if passesHeaders { frame.offload = header.receivedOffload }
                statistics.receivedFrames += 1
                statistics.receivedBytes += UInt64(length)
                batch.delivered += 1
                handler(frame)
                if !more {
                    // The tender has no other frame: no call to hear AGAIN.
                    batch.drained = true
                    return batch
                }
            case MIRAGE_HVT_AGAIN.rawValue:
                spareFrame = buffer
                batch.drained = true
                return batch
            case MIRAGE_HVT_DROPPED.rawValue:
                spareFrame = buffer
                statistics.dropped += 1
            default:
                // MIRAGE_HVT_IO_ERROR (the tap failed, or its interface was deleted), or an
                // answer the ABI does not allow: the device is done.
                spareFrame = buffer
                failed = true
            }
        }
        return batch
    }
}

/// Why the hvt network could not be set up.
public enum HVTNetworkError: Error, CustomStringConvertible {
    /// The tender attached no net device of this name.
    case notAttached(name: String)

    public var description: String {
        switch self {
        case let .notAttached(name):
            "the tender attached no net device '\(name)' (start it with mirage-hvt --net:\(name)=TAP)"
        }
    }
}
