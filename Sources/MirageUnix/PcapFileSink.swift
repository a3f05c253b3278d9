import Glibc
import MirageHostSystem
import MirageCore
import MirageNet

/// Why a pcap file could not be started.
public enum PcapFileError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The file could not be created, or its header not written; `reason` is the C library's
    /// message for the error number.
    case cannotCreate(path: String, reason: String)

    public var description: String {
        switch self {
        case let .cannotCreate(path, reason): "cannot write the capture file '\(path)': \(reason)"
        }
    }
}

/// Writes every captured frame to a pcap file (``PcapFormat``), which `tcpdump -r`, Wireshark
/// and tshark read, also while it is still being written.
///
/// Each frame is one `writev` of its record header and its bytes, straight into the file without
/// buffering, so the file is complete up to the last frame even if the unikernel crashes. The
/// writes block: capture is for debugging, not for speed. The first failed write (a full disk)
/// ends the capture, so that the file stays readable up to the last whole record; see
/// ``writeError``.
public final class PcapFileSink: PacketCaptureSink {
    /// The file's path, as given.
    public let path: String
    /// The error number of the write that ended the capture, or nil while it goes on.
    public private(set) var writeError: Int32?
    /// The frames written to the file.
    public private(set) var frameCount = 0

    /// The file's descriptor; -1 once closed or failed.
    private var fileDescriptor: Int32

    /// Creates the file at `path` (mode 0644), empties it when it exists, and writes the pcap file
    /// header. The corresponding C functions are `open` and `write`.
    ///
    /// - Throws: ``PcapFileError/cannotCreate(path:reason:)`` naming the file.
    public init(path: String) throws(PcapFileError) {
        let fd: Int32
        do throws(ErrorNumber) {
            fd = try SystemCall.open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode: 0o644)
        } catch {
            throw .cannotCreate(path: path, reason: error.description)
        }
        var failure: ErrorNumber?
        PcapFormat.fileHeader().withUnsafeBytes { bytes in
            do throws(ErrorNumber) { try SystemCall.writeAll(fd, bytes) } catch { failure = error }
        }
        if let failure {
            SystemCall.close(fd)
            throw .cannotCreate(path: path, reason: failure.description)
        }
        self.path = path
        self.fileDescriptor = fd
    }

    deinit { close() }

    /// Appends the record for `frame`, seen at `time`. The corresponding C function is `writev`.
    public func capture(_ frame: PacketBuffer, at time: WallTime) {
        guard fileDescriptor >= 0 else { return }
        let captured = PcapFormat.capturedLength(ofFrameLength: frame.count)
        let header = PcapFormat.recordHeader(at: time, capturedLength: captured, originalLength: frame.count)
        var failure: ErrorNumber?
        header.withUnsafeBytes { headerBytes in
            frame.withUnsafeBytes { frameBytes in
                do throws(ErrorNumber) {
                    try Self.writeAll(fileDescriptor, headerBytes, UnsafeRawBufferPointer(rebasing: frameBytes.prefix(captured)))
                } catch {
                    failure = error
                }
            }
        }
        if let failure {
            writeError = failure.code
            close()
        } else {
            frameCount += 1
        }
    }

    /// Closes the file; frames captured later are ignored. Closing twice does nothing.
    /// The corresponding C function is `close`.
    public func close() {
        guard fileDescriptor >= 0 else { return }
        SystemCall.close(fileDescriptor)
        fileDescriptor = -1
    }

    /// Writes `first` then `second` to `fd` with `writev`, finishing a short write with `write`.
    static func writeAll(_ fd: Int32, _ first: UnsafeRawBufferPointer, _ second: UnsafeRawBufferPointer) throws(ErrorNumber) {
        var vectors = [
            iovec(iov_base: UnsafeMutableRawPointer(mutating: first.baseAddress), iov_len: first.count),
            iovec(iov_base: UnsafeMutableRawPointer(mutating: second.baseAddress), iov_len: second.count),
        ]
        let written = try SystemCall.writev(fd, &vectors, count: 2)
        // A short write (the disk filling up, mostly): write the rest, or learn why not.
        try SystemCall.writeAll(fd, UnsafeRawBufferPointer(rebasing: first[min(written, first.count)...]))
        try SystemCall.writeAll(fd, UnsafeRawBufferPointer(rebasing: second[max(0, written - first.count)...]))
    }
}
