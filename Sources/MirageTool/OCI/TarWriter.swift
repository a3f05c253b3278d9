/// A POSIX ustar archive (POSIX.1-2001 `pax` format's ustar header, IEEE Std 1003.1
/// "pax" section "ustar Interchange Format") written reproducibly: entries in the order given,
/// every time stamp the same, owner root, no user or group names, so the same files always make
/// the same bytes (and an OCI layer the same digest).
struct TarWriter {
    private(set) var bytes: [UInt8] = []
    /// The modification time of every entry, seconds since 1970 (`SOURCE_DATE_EPOCH`'s role).
    let modificationTime: Int

    init(modificationTime: Int = 0) {
        self.modificationTime = modificationTime
    }

    /// Adds a directory; `path` without a leading or trailing slash.
    mutating func addDirectory(_ path: String, mode: Int = 0o755) throws(ToolError) {
        try addHeader(path + "/", size: 0, mode: mode, type: UInt8(ascii: "5"))
    }

    /// Adds a regular file with `contents`.
    mutating func addFile(_ path: String, contents: [UInt8], mode: Int = 0o644) throws(ToolError) {
        try addHeader(path, size: contents.count, mode: mode, type: UInt8(ascii: "0"))
        bytes += contents
        bytes += [UInt8](repeating: 0, count: (512 - contents.count % 512) % 512)
    }

    /// The archive with its end: two zero blocks.
    func finished() -> [UInt8] {
        bytes + [UInt8](repeating: 0, count: 1024)
    }

    private mutating func addHeader(_ path: String, size: Int, mode: Int, type: UInt8) throws(ToolError) {
        var name = Array(path.utf8)
        var prefix: [UInt8] = []
        if name.count > 100 {
            // Split at a slash: up to 155 bytes of prefix, up to 100 of name.
            guard let slash = name.indices.last(where: { name[$0] == UInt8(ascii: "/") && $0 <= 155 && name.count - $0 - 1 <= 100 }) else {
                throw ToolError("the path \(path) is too long for a tar archive")
            }
            prefix = Array(name[..<slash])
            name = Array(name[(slash + 1)...])
        }
        var header = [UInt8](repeating: 0, count: 512)
        func put(_ field: [UInt8], at offset: Int) {
            for (index, byte) in field.enumerated() { header[offset + index] = byte }
        }
        func octal(_ value: Int, width: Int) -> [UInt8] {
            let digits = String(value, radix: 8)
            return Array((String(repeating: "0", count: max(width - 1 - digits.count, 0)) + digits).utf8) + [0]
        }
        put(name, at: 0)
        put(octal(mode, width: 8), at: 100)
        put(octal(0, width: 8), at: 108) // uid
        put(octal(0, width: 8), at: 116) // gid
        put(octal(size, width: 12), at: 124)
        put(octal(modificationTime, width: 12), at: 136)
        put([UInt8](repeating: UInt8(ascii: " "), count: 8), at: 148) // the checksum counts as spaces
        header[156] = type
        put(Array("ustar".utf8) + [0], at: 257)
        put(Array("00".utf8), at: 263)
        put(prefix, at: 345)
        let sum = header.reduce(0) { $0 + Int($1) }
        put(octal(sum, width: 7) + [UInt8(ascii: " ")], at: 148)
        bytes += header
    }
}
