/// A key in a key-value store: a path of non-empty segments, `/a/b/c` (MirageOS's `Mirage_kv.Key`).
public struct KeyValueKey: Hashable, Sendable, CustomStringConvertible {
    /// The path's segments, none of them empty or containing `/`.
    public private(set) var segments: [String]

    /// The root of the store, `/`.
    public static let root = KeyValueKey(segments: [])

    /// Creates a key from `path`, ignoring empty segments: `"a//b/"` is `/a/b`.
    public init(_ path: String) {
        segments = path.split(separator: "/").map(String.init)
    }

    init(segments: [String]) { self.segments = segments }

    /// The key one segment below this one.
    public func appending(_ segment: String) -> KeyValueKey {
        if !segment.isEmpty, !segment.utf8.contains(UInt8(ascii: "/")) { return KeyValueKey(segments: segments + [segment]) }
        return KeyValueKey(segments: segments + KeyValueKey(segment).segments)
    }

    /// The key one segment up, or nil for the root.
    public var parent: KeyValueKey? {
        segments.isEmpty ? nil : KeyValueKey(segments: Array(segments.dropLast()))
    }

    /// The last segment, or nil for the root.
    public var basename: String? { segments.last }

    public var description: String {
        var text = ""
        for segment in segments { text += "/" + segment }
        return text.isEmpty ? "/" : text
    }
}

/// What a key names in a store.
public enum KeyValueEntryKind: Hashable, Sendable {
    /// A value: bytes.
    case value
    /// A dictionary: a key with keys below it.
    case dictionary
}

/// Why a key-value operation failed.
public enum KeyValueError: Error, Hashable, Sendable, CustomStringConvertible {
    case notFound(KeyValueKey)
    /// The key names a dictionary where a value was wanted.
    case valueExpected(KeyValueKey)
    /// The key names a value where a dictionary was wanted.
    case dictionaryExpected(KeyValueKey)
    /// The store's backing device failed.
    case storage(BlockError)
    /// The store has no room for the value at this key (a writable store's capacity).
    case full(KeyValueKey)

    public var description: String {
        switch self {
        case let .notFound(key): "\(key) is not in the store"
        case let .valueExpected(key): "\(key) is a dictionary, not a value"
        case let .dictionaryExpected(key): "\(key) is a value, not a dictionary"
        case let .storage(error): "storage error: \(error)"
        case let .full(key): "no room in the store for \(key)"
        }
    }
}

/// A read-only key-value store (MirageOS's `Mirage_kv.RO`): files compiled into the image, a tar
/// archive on a block device, and so on.
public protocol KeyValueStore: AnyObject {
    /// What `key` names, or nil when it is absent.
    func exists(_ key: KeyValueKey) async throws(KeyValueError) -> KeyValueEntryKind?
    /// The whole value at `key`.
    func get(_ key: KeyValueKey) async throws(KeyValueError) -> [UInt8]
    /// Up to `length` bytes of the value at `key`, from `offset`.
    func get(_ key: KeyValueKey, offset: UInt64, length: Int) async throws(KeyValueError) -> [UInt8]
    /// The entries directly below the dictionary `key`, sorted by key.
    func list(_ key: KeyValueKey) async throws(KeyValueError) -> [(key: KeyValueKey, kind: KeyValueEntryKind)]
    /// The size in bytes of the value at `key`.
    func size(_ key: KeyValueKey) async throws(KeyValueError) -> UInt64
    /// When the value at `key` was last modified.
    func lastModified(_ key: KeyValueKey) async throws(KeyValueError) -> WallTime
    /// A digest of the value at `key` that changes whenever the value does (for ETags).
    func digest(_ key: KeyValueKey) async throws(KeyValueError) -> [UInt8]
    /// Whether nothing in the store ever changes while it is open (files compiled into the image,
    /// a read-only archive): then what is learnt of a key can be kept. False unless a store says.
    var isImmutable: Bool { get }
}

extension KeyValueStore {
    public var isImmutable: Bool { false }
}

/// A key-value store that can be written (MirageOS's `Mirage_kv.RW`): a value set is on the
/// device when ``set(_:_:)`` returns, and survives a restart.
public protocol WritableKeyValueStore: KeyValueStore {
    /// Sets the value at `key`, creating the dictionaries above it.
    /// - Throws: ``KeyValueError/dictionaryExpected(_:)`` when a key above it is a value,
    ///   ``KeyValueError/valueExpected(_:)`` when `key` is a dictionary,
    ///   ``KeyValueError/full(_:)`` when the store has no room for it.
    func set(_ key: KeyValueKey, _ value: [UInt8]) async throws(KeyValueError)
    /// Removes the value or the whole dictionary at `key`; nothing when it is absent.
    func remove(_ key: KeyValueKey) async throws(KeyValueError)
}
