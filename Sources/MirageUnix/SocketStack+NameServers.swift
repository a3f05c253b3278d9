import Glibc
import MirageCore
import MirageHostSystem

extension SocketStack: NameServerSource {
    /// The host's resolvers: the `nameserver` lines of `/etc/resolv.conf` (resolv.conf(5)),
    /// read at each call so that a change on the host is seen; addresses with a zone are skipped.
    public var nameServers: [IPAddress] {
        guard let text = Self.readSmallFile("/etc/resolv.conf") else { return [] }
        return Self.nameServers(inResolverConfiguration: text)
    }

    /// The first 64 KiB of the file at `path` as text, or nil when it cannot be read.
    static func readSmallFile(_ path: String) -> String? {
        guard let fd = try? SystemCall.open(path, O_RDONLY | O_CLOEXEC) else { return nil }
        defer { SystemCall.close(fd) }
        var bytes = [UInt8](repeating: 0, count: 65536)
        var count = 0
        while count < bytes.count {
            let read = bytes.withUnsafeMutableBytes { buffer in
                try? SystemCall.read(fd, into: UnsafeMutableRawBufferPointer(rebasing: buffer[count...]))
            }
            guard let read, read > 0 else { break }
            count += read
        }
        return String(decoding: bytes[..<count], as: UTF8.self)
    }

    /// The addresses of the `nameserver` lines of a resolv.conf text, in order.
    static func nameServers(inResolverConfiguration text: String) -> [IPAddress] {
        var servers: [IPAddress] = []
        for line in text.split(whereSeparator: \.isNewline) {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard fields.count >= 2, fields[0] == "nameserver" else { continue }
            if let address = IPv4Address(fields[1]) {
                servers.append(.v4(address))
            } else if let address = IPv6Address(fields[1]) {
                servers.append(.v6(address))
            }
        }
        return servers
    }
}
