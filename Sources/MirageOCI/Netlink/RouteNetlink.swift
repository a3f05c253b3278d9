#if canImport(Glibc)
import Glibc
#endif
import CLinux
#if !hasFeature(Embedded)  // the shim's Embedded build compiles these modules' files in
import MirageHostSystem
#endif

/// A route netlink socket (`NETLINK_ROUTE`) of the network namespace the calling thread is in
/// when it is opened: each message is sent and its acknowledgement awaited.
struct RouteNetlink: ~Copyable {
    let fd: Int32
    var sequence: UInt32 = 1

    init() throws(RuntimeError) {
        fd = socket(AF_NETLINK, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0 /* NETLINK_ROUTE */)
        guard fd >= 0 else { throw RuntimeError("cannot open a netlink socket: \(ErrorNumber(code: errno))") }
    }

    deinit { SystemCall.close(fd) }

    /// Sends `message` and waits for the kernel's answer to it.
    /// - Throws: the kernel's error (`NLMSG_ERROR` with a negative errno), as `what` failing.
    mutating func perform(_ message: NetlinkMessage, _ what: String) throws(RuntimeError) {
        let bytes = message.finished(sequence: sequence)
        sequence += 1
        let sent = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
        guard sent == bytes.count else { throw RuntimeError("\(what): cannot send to netlink: \(ErrorNumber(code: errno))") }
        var answer = [UInt8](repeating: 0, count: 8192)
        while true {
            let count = answer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard count >= 0 else {
                if errno == EINTR { continue }
                throw RuntimeError("\(what): no answer from netlink: \(ErrorNumber(code: errno))")
            }
            var offset = 0
            while offset + 20 <= count {
                let length = Int(Self.read(UInt32.self, answer, offset))
                let type = Self.read(UInt16.self, answer, offset + 4)
                let answered = Self.read(UInt32.self, answer, offset + 8)
                guard length >= 16, offset + length <= count else { break }
                if type == 2 /* NLMSG_ERROR */, answered == sequence - 1 {
                    let code = Self.read(Int32.self, answer, offset + 16)
                    guard code == 0 else { throw RuntimeError("\(what): \(ErrorNumber(code: -code))") }
                    return
                }
                offset += (length + 3) & ~3
            }
        }
    }

    static func read<Integer: FixedWidthInteger>(_: Integer.Type, _ bytes: [UInt8], _ offset: Int) -> Integer {
        bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: Integer.self) }
    }
}
