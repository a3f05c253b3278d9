import MirageCore
import MirageRuntime

/// A read-only store of files compiled into the image (MirageOS's `crunch`): the tool turns a
/// folder into a list of ``File``s at configure time, and the store indexes them at start.
/// Dictionaries are the folders implied by the paths.
public final class CrunchStore: KeyValueStore {
    /// One file: its path in the store, its bytes and when it was last modified.
    public struct File: Sendable {
        public var path: String
        public var contents: [UInt8]
        public var lastModified: WallTime

        public init(path: String, contents: [UInt8], lastModified: WallTime = WallTime(seconds: 0)) {
            self.path = path
            self.contents = contents
            self.lastModified = lastModified
        }
    }

    enum Entry {
        case value(File, digest: [UInt8])
        case dictionary([KeyValueKey])
    }

    private var entries: [KeyValueKey: Entry] = [:]

    /// Indexes `files`. A later file with the same path replaces an earlier one; a path that is
    /// also a folder of others keeps its folder.
    public init(files: [File]) {
        var children: [KeyValueKey: Set<KeyValueKey>] = [KeyValueKey.root: []]
        for file in files {
            let key = KeyValueKey(file.path)
            guard key != .root else { continue }
            entries[key] = .value(file, digest: Self.digest(file.contents))
            var child = key
            while let parent = child.parent {
                children[parent, default: []].insert(child)
                child = parent
            }
        }
        for (key, keys) in children {
            entries[key] = .dictionary(keys.sorted { $0.description < $1.description })
        }
    }

    public func exists(_ key: KeyValueKey) async throws(KeyValueError) -> KeyValueEntryKind? {
        switch entries[key] {
        case nil: nil
        case .value?: .value
        case .dictionary?: .dictionary
        }
    }

    public func get(_ key: KeyValueKey) async throws(KeyValueError) -> [UInt8] {
        try file(key).contents
    }

    public func get(_ key: KeyValueKey, offset: UInt64, length: Int) async throws(KeyValueError) -> [UInt8] {
        let contents = try file(key).contents
        guard offset < UInt64(contents.count), length > 0 else { return [] }
        let start = Int(offset)
        return Array(contents[start..<Swift.min(start + length, contents.count)])
    }

    public func list(_ key: KeyValueKey) async throws(KeyValueError) -> [(key: KeyValueKey, kind: KeyValueEntryKind)] {
        switch entries[key] {
        case nil: throw .notFound(key)
        case .value?: throw .dictionaryExpected(key)
        case let .dictionary(keys)?:
            return keys.map { child in
                if case .value? = entries[child] { return (child, .value) }
                return (child, .dictionary)
            }
        }
    }

    public func size(_ key: KeyValueKey) async throws(KeyValueError) -> UInt64 {
        UInt64(try file(key).contents.count)
    }

    public func lastModified(_ key: KeyValueKey) async throws(KeyValueError) -> WallTime {
        try file(key).lastModified
    }

    /// Files compiled into the image never change.
    public var isImmutable: Bool { true }

    public func digest(_ key: KeyValueKey) async throws(KeyValueError) -> [UInt8] {
        guard case let .value(_, digest)? = entries[key] else { _ = try file(key); return [] }
        return digest
    }

    private func file(_ key: KeyValueKey) throws(KeyValueError) -> File {
        switch entries[key] {
        case nil: throw .notFound(key)
        case .dictionary?: throw .valueExpected(key)
        case let .value(file, _)?: return file
        }
    }

    /// 16 bytes that change when the contents do: two 64-bit FNV-1a sums with different offset
    /// bases (not cryptographic: for entity tags, where a collision only costs a stale cache).
    static func digest(_ bytes: [UInt8]) -> [UInt8] {
        var first: UInt64 = 0xcbf2_9ce4_8422_2325, second: UInt64 = 0x84222325_cbf29ce4
        for byte in bytes {
            first = (first ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
            second = (second ^ UInt64(byte ^ 0x5C)) &* 0x0000_0100_0000_01B3
        }
        second ^= UInt64(bytes.count)
        return (0..<8).map { UInt8(truncatingIfNeeded: first >> (8 * $0)) } + (0..<8).map { UInt8(truncatingIfNeeded: second >> (8 * $0)) }
    }
}
