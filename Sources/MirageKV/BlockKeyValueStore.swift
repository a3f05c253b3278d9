import MirageCore
import MirageRuntime

/// A small writable store on a block device (MirageOS's `Mirage_kv.RW`, as chamelon serves it,
/// for what a unikernel must keep across restarts: DHCP leases, counters, a few settings).
///
/// The whole store lives in memory and is written whole, as one snapshot, at each change: the
/// device is two halves, and each snapshot goes to the half the last one did not, followed by a
/// flush. A snapshot carries a sequence number and a CRC-32C, so that at ``open(_:now:)`` the
/// newest whole one wins and one torn by a crash is passed over: a change is either all there
/// after a restart or not at all. A store holds at most what one half takes, less a sector
/// (``capacity``); past it ``set(_:_:)`` throws ``KeyValueError/full(_:)`` and nothing changes.
/// Made for small stores: each change costs a write of the whole store.
public final class BlockKeyValueStore<Device: BlockDevice>: WritableKeyValueStore {
    struct Value: Equatable {
        var bytes: [UInt8]
        var modified: WallTime
    }

    public let device: Device
    /// The bytes a snapshot may take: half the device, less its header sector.
    public let capacity: Int
    /// Snapshots written since the store was opened, and the sequence number of the newest.
    public private(set) var writes = 0
    public private(set) var sequence: UInt64 = 0
    var values: [KeyValueKey: Value] = [:]
    private let now: () -> WallTime
    private var writing = false
    private let writeFinished = WaitQueue()

    init(device: Device, now: @escaping () -> WallTime) {
        self.device = device
        self.now = now
        let half = Int(device.info.sectorCount / 2)
        capacity = Swift.max(half - 1, 0) * device.info.sectorSize
    }

    /// Connects a block device with `connect` and opens the store on it (the wiring's form).
    public static func open(_ connect: () async throws(BlockError) -> Device,
                            now: @escaping () -> WallTime) async throws(KeyValueError) -> BlockKeyValueStore {
        let device: Device
        do { device = try await connect() } catch { throw .storage(error) }
        return try await open(device, now: now)
    }

    /// Reads the newest whole snapshot on `device`; a device with none (all zeros, new) is an
    /// empty store.
    /// - Parameter now: the wall clock, for the times values were last modified.
    /// - Throws: ``KeyValueError/storage(_:)`` when the device fails or is read-only.
    public static func open(_ device: Device, now: @escaping () -> WallTime) async throws(KeyValueError) -> BlockKeyValueStore {
        guard device.info.isWritable else { throw .storage(.readOnly) }
        let store = BlockKeyValueStore(device: device, now: now)
        var newest: (sequence: UInt64, values: [KeyValueKey: Value])?
        for half in 0..<2 {
            guard let snapshot = try await store.readSnapshot(half: half) else { continue }
            if newest == nil || snapshot.sequence > newest!.sequence { newest = snapshot }
        }
        if let newest {
            store.sequence = newest.sequence
            store.values = newest.values
        }
        return store
    }

    // MARK: Reading

    public func exists(_ key: KeyValueKey) async throws(KeyValueError) -> KeyValueEntryKind? {
        if values[key] != nil { return .value }
        return key == .root || values.keys.contains { $0.isBelow(key) } ? .dictionary : nil
    }

    public func get(_ key: KeyValueKey) async throws(KeyValueError) -> [UInt8] { try value(key).bytes }

    public func get(_ key: KeyValueKey, offset: UInt64, length: Int) async throws(KeyValueError) -> [UInt8] {
        let bytes = try value(key).bytes
        guard offset < UInt64(bytes.count), length > 0 else { return [] }
        let start = Int(offset)
        return Array(bytes[start..<start + Swift.min(length, bytes.count - start)])
    }

    public func list(_ key: KeyValueKey) async throws(KeyValueError) -> [(key: KeyValueKey, kind: KeyValueEntryKind)] {
        if values[key] != nil { throw .dictionaryExpected(key) }
        var children: [KeyValueKey: KeyValueEntryKind] = [:]
        for stored in values.keys where stored.isBelow(key) {
            let child = KeyValueKey.root.appendingSegments(stored.segments.prefix(key.segments.count + 1))
            children[child] = child == stored ? .value : .dictionary
        }
        guard !children.isEmpty || key == .root else { throw .notFound(key) }
        return children.sorted { $0.key.description < $1.key.description }.map { ($0.key, $0.value) }
    }

    public func size(_ key: KeyValueKey) async throws(KeyValueError) -> UInt64 { UInt64(try value(key).bytes.count) }

    public func lastModified(_ key: KeyValueKey) async throws(KeyValueError) -> WallTime {
        if let value = values[key] { return value.modified }
        guard try await exists(key) != nil else { throw .notFound(key) }
        return values.filter { $0.key.isBelow(key) }.map(\.value.modified).max { $0.seconds < $1.seconds } ?? WallTime(seconds: 0)
    }

    public func digest(_ key: KeyValueKey) async throws(KeyValueError) -> [UInt8] {
        let value = try value(key)
        let crc = CRC32C.checksum(value.bytes)
        return withUnsafeBytes(of: crc.bigEndian) { Array($0) } + withUnsafeBytes(of: UInt32(truncatingIfNeeded: value.bytes.count).bigEndian) { Array($0) }
    }

    private func value(_ key: KeyValueKey) throws(KeyValueError) -> Value {
        if let value = values[key] { return value }
        throw key == .root || values.keys.contains(where: { $0.isBelow(key) }) ? .valueExpected(key) : .notFound(key)
    }

    // MARK: Writing

    public func set(_ key: KeyValueKey, _ value: [UInt8]) async throws(KeyValueError) {
        guard key != .root else { throw .valueExpected(key) }
        var above = key.parent
        while let parent = above, parent != .root {
            if values[parent] != nil { throw .dictionaryExpected(parent) }
            above = parent.parent
        }
        if values[key] == nil, values.keys.contains(where: { $0.isBelow(key) }) { throw .valueExpected(key) }
        var changed = values
        changed[key] = Value(bytes: value, modified: now())
        try await commit(changed, for: key)
    }

    public func remove(_ key: KeyValueKey) async throws(KeyValueError) {
        let changed = values.filter { $0.key != key && !$0.key.isBelow(key) }
        guard changed.count != values.count else { return }
        try await commit(changed, for: key)
    }

    /// Writes `changed` as the next snapshot, then makes it the store's: one change at a time,
    /// so that each snapshot holds every change before it.
    private func commit(_ changed: [KeyValueKey: Value], for key: KeyValueKey) async throws(KeyValueError) {
        while writing { await writeFinished.wait() }
        writing = true
        defer {
            writing = false
            writeFinished.wakeAll()
        }
        let payload = Self.encode(changed)
        guard payload.count <= capacity else { throw .full(key) }
        let next = sequence + 1
        let sectorSize = device.info.sectorSize
        var image = Self.header(sequence: next, payload: payload, sectorSize: sectorSize) + payload
        image += [UInt8](repeating: 0, count: (sectorSize - image.count % sectorSize) % sectorSize)
        do {
            try await device.write(at: halfStart(Int(next % 2)), from: image)
            try await device.flush()
        } catch {
            throw .storage(error)
        }
        sequence = next
        values = changed
        writes += 1
    }

    private func halfStart(_ half: Int) -> UInt64 { UInt64(half) * (device.info.sectorCount / 2) }

    private func readSnapshot(half: Int) async throws(KeyValueError) -> (sequence: UInt64, values: [KeyValueKey: Value])? {
        let sectorSize = device.info.sectorSize
        guard capacity > 0 else { return nil }
        var first = [UInt8](repeating: 0, count: sectorSize)
        do { try await device.read(at: halfStart(half), into: &first) } catch { throw .storage(error) }
        guard let header = Self.parseHeader(first), header.length <= capacity else { return nil }
        let sectors = (Self.headerSize + header.length + sectorSize - 1) / sectorSize
        var image = [UInt8](repeating: 0, count: sectors * sectorSize)
        do { try await device.read(at: halfStart(half), into: &image) } catch { throw .storage(error) }
        let payload = image[Self.headerSize..<Self.headerSize + header.length]
        guard CRC32C.checksum(payload) == header.crc, let values = Self.decode(payload) else { return nil }
        return (header.sequence, values)
    }
}

extension KeyValueKey {
    /// Whether this key is strictly below `ancestor`.
    func isBelow(_ ancestor: KeyValueKey) -> Bool {
        segments.count > ancestor.segments.count && segments.starts(with: ancestor.segments)
    }

    func appendingSegments(_ more: some Sequence<String>) -> KeyValueKey {
        var key = self
        for segment in more { key = key.appending(segment) }
        return key
    }
}
