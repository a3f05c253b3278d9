#if canImport(Glibc)
import Glibc
#endif
import CLinux

/// The guest's physical memory as the tender sees it: a host buffer whose byte `n` is guest-physical
/// address `n`, with every access checked against its bounds.
///
/// This is the only way the tender reads or writes guest memory. Every address and length the guest
/// hands over (hypercall arguments, buffers to print or to fill) and every address the image asks
/// for goes through these checks, so a hostile guest or image cannot make the tender touch host
/// memory outside the buffer. Each accessor refuses the whole access (returns `nil` or `false`,
/// and touches nothing) when any of its bytes lies outside; the checks cannot overflow, so an
/// `address + length` that wraps around 64 bits is refused too.
///
/// `GuestMemory` does not own its buffer: the tender maps it (`mmap`) and unmaps it after the last
/// use, and tests lend one of their own.
public struct GuestMemory {
    /// The host buffer behind guest-physical addresses `0..<size`.
    private let bytes: UnsafeMutableRawBufferPointer

    /// Bytes of guest memory: valid addresses are `0..<size`.
    public var size: UInt64 { UInt64(bytes.count) }

    /// Guest memory backed by `bytes`, which must stay valid while this value is used.
    public init(bytes: UnsafeMutableRawBufferPointer) {
        self.bytes = bytes
    }

    /// Whether `length` bytes from `address` all lie in guest memory, without computing
    /// `address + length` (which may wrap).
    public func contains(address: UInt64, length: UInt64) -> Bool {
        address <= size && length <= size - address
    }

    /// The host bytes behind guest addresses `address..<address + length`.
    ///
    /// A zero-length range is valid anywhere up to and including `size`.
    /// - Returns: the bytes, or `nil` when any of them is outside guest memory.
    public func range(at address: UInt64, length: UInt64) -> UnsafeMutableRawBufferPointer? {
        guard contains(address: address, length: length) else { return nil }
        // Both fit in `bytes.count`, an `Int`, so the conversions are exact.
        let start = Int(address)
        return UnsafeMutableRawBufferPointer(rebasing: bytes[start..<start + Int(length)])
    }

    /// Reads a little-endian integer at `address`, which need not be aligned.
    /// - Returns: the value, or `nil` when any of its bytes is outside guest memory.
    public func load<T: FixedWidthInteger>(_: T.Type, at address: UInt64) -> T? {
        let width = (T.bitWidth + 7) / 8
        guard let source = range(at: address, length: UInt64(width)) else { return nil }
        var value: T = 0
        for index in 0..<width {
            value |= T(truncatingIfNeeded: source[index]) << (8 * index)
        }
        return value
    }

    /// Writes `value` little-endian at `address`, which need not be aligned.
    /// - Returns: whether it was written; `false` (and nothing written) when any of its bytes is
    ///   outside guest memory.
    @discardableResult
    public func store<T: FixedWidthInteger>(_ value: T, at address: UInt64) -> Bool {
        let width = (T.bitWidth + 7) / 8
        guard let target = range(at: address, length: UInt64(width)) else { return false }
        for index in 0..<width {
            target[index] = UInt8(truncatingIfNeeded: value >> (8 * index))
        }
        return true
    }

    /// Copies `source` to guest memory at `address`; `source` may itself lie in guest memory and
    /// overlap the target.
    /// - Returns: whether it was copied; `false` (and nothing written) when any target byte is
    ///   outside guest memory.
    @discardableResult
    public func copy(_ source: UnsafeRawBufferPointer, to address: UInt64) -> Bool {
        guard let target = range(at: address, length: UInt64(source.count)) else { return false }
        if let from = source.baseAddress, let to = target.baseAddress {
            memmove(to, from, source.count)
        }
        return true
    }

    /// Has the host allocate the pages of `length` bytes from `address` now, in one system call
    /// (`madvise` with `MADV_POPULATE_WRITE`), rather than in one page fault each when they are
    /// first written: under this project's virtualised hosts a fault costs about 3.5 µs, a page
    /// populated about 2 µs. Best effort: nothing happens for a range that is not wholly inside
    /// guest memory (pages rounded outwards) or on a kernel without it (before Linux 5.14).
    public func populate(at address: UInt64, length: UInt64) {
        let page = UInt64(sysconf(Int32(_SC_PAGESIZE)))
        let start = address / page * page
        let end = (address + length + page - 1) / page * page
        guard length > 0, end > start, let range = range(at: start, length: end - start), let base = range.baseAddress,
              UInt(bitPattern: base) % UInt(page) == 0 else { return }
        _ = madvise(base, range.count, MADV_POPULATE_WRITE)
    }

    /// Sets `length` bytes from `address` to zero.
    /// - Returns: whether they were zeroed; `false` (and nothing written) when any of them is
    ///   outside guest memory.
    @discardableResult
    public func zero(at address: UInt64, length: UInt64) -> Bool {
        guard let target = range(at: address, length: length) else { return false }
        if let start = target.baseAddress {
            memset(start, 0, target.count)
        }
        return true
    }

    /// Calls `body` with a typed pointer to the `T` at guest address `address`, such as a
    /// hypercall's argument structure.
    ///
    /// The access is refused when any byte of the `T` (`MemoryLayout<T>.size` bytes) is outside
    /// guest memory, or when `address` is not a multiple of `MemoryLayout<T>.alignment`: a
    /// misaligned guest pointer is an error in the guest, not something to work around. The pointer
    /// is valid only during `body`.
    ///
    /// - Precondition: `T` is a plain-data type (a C structure, integers): the guest can write any
    ///   bytes there, which must never be taken as references. A type with references is a bug in
    ///   the tender and traps, whatever the guest does.
    /// - Returns: what `body` returns, or `nil` (without calling it) when the access is refused.
    public func withStruct<T, R>(
        _ type: T.Type, at address: UInt64, _ body: (UnsafeMutablePointer<T>) -> R
    ) -> R? {
        precondition(_isPOD(T.self), "GuestMemory.withStruct needs a plain-data type, not \(T.self)")
        let alignment = UInt64(MemoryLayout<T>.alignment)
        guard address % alignment == 0,
              let target = range(at: address, length: UInt64(MemoryLayout<T>.size)),
              let start = target.baseAddress,
              UInt(bitPattern: start) % UInt(alignment) == 0  // the host buffer too, for tests' buffers
        else { return nil }
        return body(start.bindMemory(to: T.self, capacity: 1))
    }

    /// Puts `length` bytes of the file `fd` from `offset` at guest address `address` as a private
    /// mapping (`mmap` with `MAP_FIXED | MAP_PRIVATE`, readable and writable: a write copies the
    /// page, the file never changes), in place of what was there, so that every guest of the same
    /// file shares those pages through the page cache until it writes one.
    /// - Returns: whether it was mapped; `false` (and nothing changed) when the range is outside
    ///   guest memory or not whole pages, or the kernel refuses.
    public func map(file fd: Int32, offset: UInt64, at address: UInt64, length: UInt64) -> Bool {
        let page = UInt64(sysconf(Int32(_SC_PAGESIZE)))
        guard length > 0, address % page == 0, length % page == 0, offset % page == 0,
              let target = range(at: address, length: length), let start = target.baseAddress,
              UInt(bitPattern: start) % UInt(page) == 0 else { return false }
        // Populated while read-only, so that the page cache's pages are in the page tables from
        // the start (the guest's first run over its code takes no host page faults) without
        // copying them, which populating a writable private mapping would; then made writable.
        let mapped = mmap(start, Int(length), PROT_READ, MAP_FIXED | MAP_PRIVATE | MAP_POPULATE, fd, off_t(offset))
        guard mapped == start else { return false }
        return mprotect(start, Int(length), PROT_READ | PROT_WRITE) == 0
    }
}
