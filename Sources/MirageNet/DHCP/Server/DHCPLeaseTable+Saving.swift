import MirageCore

/// The lease table as text a store keeps across restarts (RFC 2131 section 4.3.1 asks a server
/// to remember its bindings), one line per bound or declined address:
///
///     10.0.0.50 bound 1764810000 01525400123456
///     10.0.0.51 declined 1764809400
///     10.0.0.10 bound forever 01525400abcdef
///
/// the address, its use, when it ends in seconds since 1970 (the wall clock, as the monotonic
/// one restarts with the unikernel) and the client's identifier in hex. Offers are not kept: a
/// client whose offer is lost asks again.
extension DHCPLeaseTable {
    /// The bound and declined entries that have not lapsed at `now`, as text.
    public func savedText(now: Instant, wallNow: WallTime) -> String {
        var text = ""
        for entry in entries where !entry.hasLapsed(at: now) {
            var use = "bound", until: Instant?
            switch entry.use {
            case .offered: continue
            case let .bound(end): until = end
            case let .declined(end): (use, until) = ("declined", end)
            }
            text += entry.address.description + " " + use + " "
            text += until.map { String(wallNow.seconds + Int64(($0 - now).components.seconds)) } ?? "forever"
            if !entry.client.isEmpty { text += " " + Self.hex(entry.client) }
            text += "\n"
        }
        return text
    }

    /// Takes back the entries of `text` (from ``savedText(now:wallNow:)``) that have not lapsed
    /// at `wallNow` and whose address `accepts` (the pool and the static leases of the server
    /// now, which may have changed); a line that does not parse is skipped.
    /// - Returns: how many entries were taken and how many lines skipped.
    @discardableResult
    public mutating func restore(savedText text: String, now: Instant, wallNow: WallTime,
                                 accepting accepts: (IPv4Address) -> Bool) -> (restored: Int, skipped: Int) {
        var restored = 0, skipped = 0
        for line in text.utf8.split(separator: UInt8(ascii: "\n")) {
            let fields = line.split(separator: UInt8(ascii: " ")).map { String(decoding: $0, as: UTF8.self) }
            guard fields.count >= 3, let address = IPv4Address(fields[0]), accepts(address), entry(for: address) == nil else {
                skipped += 1
                continue
            }
            var until: Instant?
            if fields[2] != "forever" {
                guard let end = Int64(fields[2]), end > wallNow.seconds else {
                    skipped += 1
                    continue
                }
                until = now + .seconds(end - wallNow.seconds)
            }
            switch (fields[1], fields.count) {
            case ("bound", 4):
                guard let client = Self.bytes(hex: fields[3]), !client.isEmpty,
                      client.count <= DHCPServer.maximumClientIdentifier, self.address(of: client) == nil else {
                    skipped += 1
                    continue
                }
                assign(address, to: client, .bound(until: until))
            case ("declined", 3):
                guard let until else {
                    skipped += 1
                    continue
                }
                decline(address, until: until)
            default:
                skipped += 1
                continue
            }
            restored += 1
        }
        return (restored, skipped)
    }

    private static let digits = Array("0123456789abcdef".utf8)

    static func hex(_ bytes: [UInt8]) -> String {
        var text: [UInt8] = []
        for byte in bytes { text += [digits[Int(byte >> 4)], digits[Int(byte & 15)]] }
        return String(decoding: text, as: UTF8.self)
    }

    static func bytes(hex text: String) -> [UInt8]? {
        let characters = Array(text.utf8)
        guard characters.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        var index = 0
        while index < characters.count {
            guard let high = digits.firstIndex(of: characters[index] | 0x20), let low = digits.firstIndex(of: characters[index + 1] | 0x20)
            else { return nil }
            bytes.append(UInt8(high << 4 | low))
            index += 2
        }
        return bytes
    }
}
