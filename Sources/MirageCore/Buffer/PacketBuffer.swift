/// A byte buffer for packets: a copy-on-write value over shared storage, with room in front
/// (headroom) for the headers of lower layers and room behind (tailroom) for more payload.
///
/// A received frame is parsed in place: each layer drops its header with
/// ``removeFirst(_:)`` and hands the rest up, and ``slice(_:)`` shares storage instead of copying.
/// On send, a layer reserves its header with ``prepend(_:)`` and fills it in; when the buffer was
/// made with enough headroom (``init(capacity:headroom:)``) that copies nothing.
///
/// Writing through a buffer whose storage is shared (with a slice or a copy) copies it first, so a
/// `PacketBuffer` behaves like any Swift value. Offsets in the accessors are relative to the first
/// readable byte.
// Unchecked: the storage class (a ManagedBuffer, which the standard library marks non-Sendable)
// is only written through a uniquely referenced buffer, as for Array.
public struct PacketBuffer: @unchecked Sendable {
    /// Where a buffer's bytes live and how many there are room for; the header of ``Storage``.
    @usableFromInline
    struct StorageHeader {
        @usableFromInline let base: UnsafeMutableRawPointer
        @usableFromInline let capacity: Int
    }

    /// The bytes, allocated with their object in one allocation (a tail-allocated
    /// `ManagedBuffer`): a packet buffer costs one `malloc`, not two.
    @usableFromInline
    final class Storage: ManagedBuffer<StorageHeader, UInt8> {
        // Read through the header's pointer: `header` is a class's stored `var`, and each access
        // to it from this module would be checked for exclusivity at run time (hosted, about a
        // hundred instructions; a packet's path reads these a few dozen times).
        @usableFromInline var base: UnsafeMutableRawPointer { withUnsafeMutablePointerToHeader { $0.pointee.base } }
        @usableFromInline var byteCapacity: Int { withUnsafeMutablePointerToHeader { $0.pointee.capacity } }

        /// Storage for `capacity` bytes, 16-byte aligned.
        @usableFromInline
        static func make(capacity: Int) -> Storage {
            let object = Storage.create(minimumCapacity: Swift.max(capacity, 1) + 15) { buffer in
                let elements = buffer.withUnsafeMutablePointerToElements { UnsafeMutableRawPointer($0) }
                let aligned = UnsafeMutableRawPointer(bitPattern: (UInt(bitPattern: elements) + 15) & ~UInt(15))!
                return StorageHeader(base: aligned, capacity: capacity)
            }
            return unsafeDowncast(object, to: Storage.self)
        }

        /// The storage every empty buffer starts with, so that making one allocates nothing; the
        /// first write into such a buffer gets storage of its own, as for any shared storage.
        static let empty = Storage.make(capacity: 0)
    }

    @usableFromInline var storage: Storage
    @usableFromInline var lowerBound: Int
    @usableFromInline var upperBound: Int
    /// The checksum and segmentation facts a network device and the stack exchange about this
    /// frame; slices and copies keep them.
    public var offload = FrameOffload()

    /// Creates an empty buffer that can hold `capacity` bytes, the first `headroom` of which are
    /// kept free for ``prepend(_:)``.
    public init(capacity: Int, headroom: Int = 0) {
        precondition(capacity >= 0 && headroom >= 0 && headroom <= capacity, "headroom must fit the capacity")
        storage = capacity == 0 ? Storage.empty : Storage.make(capacity: capacity)
        lowerBound = headroom
        upperBound = headroom
    }

    /// Creates a buffer holding a copy of the bytes `bytes` points to, with `headroom` free bytes
    /// in front: one `memcpy`, inlined into callers in other modules, for which the generic
    /// ``init(_:headroom:)-(some Collection<UInt8>,_)`` is not specialised (a received datagram
    /// was copied through the collection's witnesses).
    @inlinable
    public init(_ bytes: UnsafeRawBufferPointer, headroom: Int = 0) {
        self.init(capacity: headroom + bytes.count, headroom: headroom)
        append(bytesOf: bytes)
    }

    /// Creates a buffer holding a copy of `bytes`, with `headroom` free bytes in front.
    public init(_ bytes: some Collection<UInt8>, headroom: Int = 0) {
        self.init(capacity: headroom + bytes.count, headroom: headroom)
        append(contentsOf: bytes)
    }

    /// The number of readable bytes.
    @inlinable public var count: Int { upperBound - lowerBound }
    /// Whether there are no readable bytes.
    @inlinable public var isEmpty: Bool { upperBound == lowerBound }
    /// Free bytes in front of the readable bytes.
    @inlinable public var headroom: Int { lowerBound }
    /// Free bytes behind the readable bytes.
    @inlinable public var tailroom: Int { storage.byteCapacity - upperBound }

    /// The readable bytes as an array (a copy).
    public var bytes: [UInt8] { withUnsafeBytes { Array($0) } }

    /// The byte at `offset`; traps when out of range, like an array.
    @inlinable
    public subscript(offset: Int) -> UInt8 {
        get {
            precondition(offset >= 0 && offset < count, "offset out of range")
            return storage.base.load(fromByteOffset: lowerBound + offset, as: UInt8.self)
        }
        set {
            precondition(offset >= 0 && offset < count, "offset out of range")
            makeUnique()
            storage.base.storeBytes(of: newValue, toByteOffset: lowerBound + offset, as: UInt8.self)
        }
    }

    /// Calls `body` with the readable bytes.
    @inlinable
    public func withUnsafeBytes<Result, Failure: Error>(
        _ body: (UnsafeRawBufferPointer) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        try body(UnsafeRawBufferPointer(start: storage.base + lowerBound, count: count))
    }

    /// Calls `body` with the readable bytes, to change them in place.
    @inlinable
    public mutating func withUnsafeMutableBytes<Result, Failure: Error>(
        _ body: (UnsafeMutableRawBufferPointer) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        makeUnique()
        return try body(UnsafeMutableRawBufferPointer(start: storage.base + lowerBound, count: count))
    }

    /// The bytes in `range` (offsets from the first readable byte), sharing this buffer's storage.
    public func slice(_ range: Range<Int>) -> PacketBuffer {
        precondition(range.lowerBound >= 0 && range.upperBound <= count, "slice out of range")
        var result = self
        result.lowerBound = lowerBound + range.lowerBound
        result.upperBound = lowerBound + range.upperBound
        return result
    }

    /// Drops `n` bytes from the front, as a layer does with the header it has parsed.
    public mutating func removeFirst(_ n: Int) {
        precondition(n >= 0 && n <= count, "cannot remove more bytes than the buffer holds")
        lowerBound += n
    }

    /// Drops `n` bytes from the end (trailing padding, a checksum trailer).
    public mutating func removeLast(_ n: Int) {
        precondition(n >= 0 && n <= count, "cannot remove more bytes than the buffer holds")
        upperBound -= n
    }

    /// Makes `n` zeroed bytes readable in front of the current ones, for a header to be written at
    /// offsets `0 ..< n`. Uses the headroom when there is enough, and reallocates when not.
    public mutating func prepend(_ n: Int) {
        precondition(n >= 0, "cannot prepend a negative count")
        if n > headroom || !isKnownUniquelyReferenced(&storage) {
            reallocate(headroom: Swift.max(n, headroom), tailroom: tailroom)
        }
        lowerBound -= n
        (storage.base + lowerBound).initializeMemory(as: UInt8.self, repeating: 0, count: n)
    }

    /// Appends a copy of `bytes`, growing the storage when the tailroom is too small. Contiguous
    /// bytes (arrays, slices, buffers, UTF-8 views of native strings) are copied with one
    /// `memcpy`; hosted, this generic function is not specialised for its callers in other
    /// modules, and the element-wise copy goes through value witnesses byte by byte.
    public mutating func append(contentsOf bytes: some Collection<UInt8>) {
        let copied: Void? = bytes.withContiguousStorageIfAvailable { source in
            reserveTailroom(source.count)
            if let base = source.baseAddress { (storage.base + upperBound).copyMemory(from: base, byteCount: source.count) }
            upperBound += source.count
        }
        if copied != nil { return }
        let n = bytes.count
        reserveTailroom(n)
        let destination = UnsafeMutableRawBufferPointer(start: storage.base + upperBound, count: n)
        _ = destination.initializeMemory(as: UInt8.self, from: bytes)
        upperBound += n
    }

    /// Appends one byte, growing the storage when there is no tailroom.
    @inlinable
    public mutating func append(_ byte: UInt8) {
        reserveTailroom(1)
        storage.base.storeBytes(of: byte, toByteOffset: upperBound, as: UInt8.self)
        upperBound += 1
    }

    /// Appends a copy of the bytes `source` points to, with one `memcpy`: for callers in other
    /// modules, for which the generic ``append(contentsOf:)`` is not specialised.
    @inlinable
    public mutating func append(bytesOf source: UnsafeRawBufferPointer) {
        reserveTailroom(source.count)
        if let base = source.baseAddress { (storage.base + upperBound).copyMemory(from: base, byteCount: source.count) }
        upperBound += source.count
    }

    /// Appends `n` zero bytes and returns the offset of the first.
    @discardableResult
    public mutating func appendZeros(_ n: Int) -> Int {
        precondition(n >= 0, "cannot append a negative count")
        reserveTailroom(n)
        (storage.base + upperBound).initializeMemory(as: UInt8.self, repeating: 0, count: n)
        upperBound += n
        return count - n
    }

    /// Lets `body` write up to `maximum` bytes behind the readable ones (into tailroom, grown when
    /// short; not zeroed first) and makes the first `written` of them readable, where `written` is
    /// what `body` returns, clamped to `0...maximum`. For reading from a descriptor straight into
    /// a buffer. - Returns: `body`'s result, unclamped (a negative error code stays visible).
    @discardableResult
    public mutating func append(upTo maximum: Int, writing body: (UnsafeMutableRawBufferPointer) -> Int) -> Int {
        precondition(maximum >= 0, "cannot append a negative count")
        reserveTailroom(maximum)
        let result = body(UnsafeMutableRawBufferPointer(start: storage.base + upperBound, count: maximum))
        upperBound += Swift.min(Swift.max(result, 0), maximum)
        return result
    }

    @inlinable
    mutating func makeUnique() {
        if !isKnownUniquelyReferenced(&storage) { reallocate(headroom: headroom, tailroom: tailroom) }
    }

    @inlinable
    mutating func reserveTailroom(_ n: Int) {
        if n > tailroom || !isKnownUniquelyReferenced(&storage) {
            reallocate(headroom: headroom, tailroom: Swift.max(n, tailroom, count))
        }
    }

    @usableFromInline
    mutating func reallocate(headroom newHeadroom: Int, tailroom newTailroom: Int) {
        let fresh = Storage.make(capacity: newHeadroom + count + newTailroom)
        (fresh.base + newHeadroom).copyMemory(from: storage.base + lowerBound, byteCount: count)
        let length = count
        storage = fresh
        lowerBound = newHeadroom
        upperBound = newHeadroom + length
    }
}

extension PacketBuffer: Equatable {
    /// Buffers are equal when their readable bytes are.
    public static func == (lhs: PacketBuffer, rhs: PacketBuffer) -> Bool {
        lhs.withUnsafeBytes { l in rhs.withUnsafeBytes { r in l.elementsEqual(r) } }
    }
}
