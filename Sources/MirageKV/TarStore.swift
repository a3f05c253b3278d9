import MirageCore
import MirageRuntime

/// A read-only store over a tar archive on a block device (MirageOS's `tar` KV store): the
/// headers are read and indexed once, at ``open(_:)``; values are read from the device when asked
/// for. ustar, pax and GNU archives (long names, large sizes and times from pax records or GNU
/// long-name entries) are read; a corrupt archive fails ``open(_:)`` with a ``TarError`` naming
/// where. Small values are kept in memory after their first read (``cacheCapacity``), as a web
/// server's file cache does: the archive does not change while it is open, and on hvt every
/// device read is a VM exit.
public final class TarStore<Device: BlockDevice>: KeyValueStore {
    struct Entry {
        var offset: UInt64
        var size: UInt64
        var modified: Int64
    }

    public let device: Device
    private var values: [KeyValueKey: Entry] = [:]
    private var dictionaries: [KeyValueKey: [KeyValueKey]] = [:]

    /// The most bytes of values kept in memory, each charged ``cacheEntryOverhead`` more; the
    /// oldest go first. 128 KiB by default: the pages and styles of a small site.
    public let cacheCapacity: Int
    public static var defaultCacheCapacity: Int { 128 * 1024 }
    /// The largest value kept (a bigger one is read from the device each time, in the ranges asked).
    public static var cachedValueLimit: Int { 16 * 1024 }
    public static var cacheEntryOverhead: Int { 64 }
    private var cache: [KeyValueKey: [UInt8]] = [:]
    /// The cached keys, oldest first.
    private var cacheOrder: [KeyValueKey] = []
    /// The bytes the cache holds, as charged.
    public private(set) var cachedBytes = 0

    private init(device: Device, cacheCapacity: Int) {
        self.device = device
        self.cacheCapacity = cacheCapacity
    }

    /// Connects a block device with `connect` and opens the archive on it (the wiring's form: the
    /// device's own failure becomes ``TarError/storage(_:)``).
    public static func open(_ connect: () async throws(BlockError) -> Device) async throws(TarError) -> TarStore {
        let device: Device
        do { device = try await connect() } catch { throw .storage(error) }
        return try await open(device)
    }

    /// Reads every header of the archive on `device` and indexes its files and folders.
    public static func open(_ device: Device, cacheCapacity: Int = TarStore.defaultCacheCapacity) async throws(TarError) -> TarStore {
        let store = TarStore(device: device, cacheCapacity: cacheCapacity)
        var children: [KeyValueKey: Set<KeyValueKey>] = [KeyValueKey.root: []]
        var offset: UInt64 = 0
        var pax: [String: String] = [:]
        let end = device.info.byteCount
        while offset + UInt64(TarHeader.blockSize) <= end {
            let block = try await store.read(offset: offset, length: TarHeader.blockSize)
            guard let header = try TarHeader.parse(block[...], at: offset) else { break }
            let size = pax["size"].flatMap { UInt64($0) } ?? header.size
            let dataStart = offset + UInt64(TarHeader.blockSize)
            // Not `dataStart + size <= end`: a pax size can be anything up to UInt64.max.
            guard size <= end - dataStart else { throw .truncated(offset: offset) }
            switch header.kind {
            case .extendedHeader:
                guard size <= 64 * 1024 else { throw .malformed(offset: offset, "a pax header over 64 KiB") }
                pax = try TarHeader.paxRecords(try await store.read(offset: dataStart, length: Int(size)), at: offset)
            case .longName:
                guard size <= 64 * 1024 else { throw .malformed(offset: offset, "a long name over 64 KiB") }
                pax["path"] = TarHeader.string(try await store.read(offset: dataStart, length: Int(size))[...])
            case .file, .directory:
                let name = pax["path"] ?? header.name
                let modified = pax["mtime"].flatMap { Int64($0.split(separator: ".").first ?? "") } ?? header.modified
                let key = Self.key(name)
                if let key, key != .root {
                    if header.kind == .file {
                        store.values[key] = Entry(offset: dataStart, size: size, modified: modified)
                    } else {
                        children[key, default: []] = children[key] ?? []
                    }
                    var child = key
                    while let parent = child.parent {
                        children[parent, default: []].insert(child)
                        child = parent
                    }
                }
                pax = [:]
            case .other:
                pax = [:]
            }
            offset = dataStart + (size + 511) / 512 * 512
        }
        for (key, keys) in children where store.values[key] == nil {
            store.dictionaries[key] = keys.sorted { $0.description < $1.description }
        }
        return store
    }

    /// The key of an archive member: its name without `.` segments (`tar -C folder .` makes
    /// `./index.html`); nil for a name that climbs with `..`, which is skipped.
    static func key(_ name: String) -> KeyValueKey? {
        let segments = name.split(separator: "/").filter { $0 != "." }
        guard !segments.contains("..") else { return nil }
        var key = KeyValueKey.root
        for segment in segments { key = key.appending(String(segment)) }
        return key
    }

    /// `length` bytes from byte `offset` of the device, read in whole sectors.
    private func read(offset: UInt64, length: Int) async throws(TarError) -> [UInt8] {
        do {
            return try await readBytes(offset: offset, length: length)
        } catch {
            throw .storage(error)
        }
    }

    private func readBytes(offset: UInt64, length: Int) async throws(BlockError) -> [UInt8] {
        guard length > 0 else { return [] }
        let sectorSize = UInt64(device.info.sectorSize)
        let first = offset / sectorSize
        let last = (offset + UInt64(length) - 1) / sectorSize
        var buffer = [UInt8](repeating: 0, count: Int(last - first + 1) * Int(sectorSize))
        try await device.read(at: first, into: &buffer)
        let skip = Int(offset - first * sectorSize)
        return Array(buffer[skip..<skip + length])
    }

    public func exists(_ key: KeyValueKey) async throws(KeyValueError) -> KeyValueEntryKind? {
        if values[key] != nil { return .value }
        return dictionaries[key] != nil ? .dictionary : nil
    }

    public func get(_ key: KeyValueKey) async throws(KeyValueError) -> [UInt8] {
        let entry = try value(key)
        return try await get(key, offset: 0, length: Int(entry.size))
    }

    public func get(_ key: KeyValueKey, offset: UInt64, length: Int) async throws(KeyValueError) -> [UInt8] {
        let entry = try value(key)
        guard offset < entry.size, length > 0 else { return [] }
        let count = Int(Swift.min(UInt64(length), entry.size - offset))
        let whole = offset == 0 && UInt64(count) == entry.size && count <= Self.cachedValueLimit
        if whole, let cached = cache[key] { return cached }
        let bytes: [UInt8]
        do {
            bytes = try await readBytes(offset: entry.offset + offset, length: count)
        } catch {
            throw .storage(error)
        }
        if whole { keep(bytes, for: key) }
        return bytes
    }

    /// Caches `bytes` as `key`'s value, dropping the oldest values while over ``cacheCapacity``.
    private func keep(_ bytes: [UInt8], for key: KeyValueKey) {
        let cost = bytes.count + Self.cacheEntryOverhead
        guard cost <= cacheCapacity else { return }
        while cachedBytes + cost > cacheCapacity, !cacheOrder.isEmpty {
            let oldest = cacheOrder.removeFirst()
            cachedBytes -= (cache.removeValue(forKey: oldest)?.count ?? 0) + Self.cacheEntryOverhead
        }
        cache[key] = bytes
        cacheOrder.append(key)
        cachedBytes += cost
    }

    public func list(_ key: KeyValueKey) async throws(KeyValueError) -> [(key: KeyValueKey, kind: KeyValueEntryKind)] {
        guard let keys = dictionaries[key] else {
            throw values[key] != nil ? .dictionaryExpected(key) : .notFound(key)
        }
        return keys.map { ($0, values[$0] != nil ? .value : .dictionary) }
    }

    public func size(_ key: KeyValueKey) async throws(KeyValueError) -> UInt64 { try value(key).size }

    public func lastModified(_ key: KeyValueKey) async throws(KeyValueError) -> WallTime {
        WallTime(seconds: try value(key).modified)
    }

    /// The archive is read once, at open, and never written.
    public var isImmutable: Bool { true }

    /// The entry's position, size and time: what changes when its value is replaced in a new
    /// archive (the archive is read-only, so its bytes cannot change under the store).
    public func digest(_ key: KeyValueKey) async throws(KeyValueError) -> [UInt8] {
        let entry = try value(key)
        var bytes: [UInt8] = []
        for field in [entry.offset, entry.size, UInt64(bitPattern: entry.modified)] {
            for shift in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: field >> UInt64(shift))) }
        }
        return bytes
    }

    private func value(_ key: KeyValueKey) throws(KeyValueError) -> Entry {
        if let entry = values[key] { return entry }
        throw dictionaries[key] != nil ? .valueExpected(key) : .notFound(key)
    }
}
