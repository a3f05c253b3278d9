#if canImport(Glibc)
import Glibc
#endif
import CLinux

extension SystemCall {
    /// Opens `path` with `flags` (and `mode` for a file it creates). The corresponding C function
    /// is `open`.
    @inlinable
    public static func open(_ path: String, _ flags: Int32, mode: mode_t = 0) throws(ErrorNumber) -> Int32 {
        try checked { mirage_open(path, flags, mode) }
    }

    /// Closes `fd`. The corresponding C function is `close`, not retried on EINTR (Linux releases
    /// the descriptor even then) and its result ignored: there is nothing left to do with it.
    @inlinable
    public static func close(_ fd: Int32) {
        _ = CLinux.close(fd)
    }

    /// Reads up to `buffer.count` bytes from `fd`; 0 at its end. The corresponding C function is
    /// `read`.
    @inlinable
    public static func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) throws(ErrorNumber) -> Int {
        try checked { CLinux.read(fd, buffer.baseAddress, buffer.count) }
    }

    /// Writes up to `bytes.count` bytes to `fd`; returns how many it took. The corresponding C
    /// function is `write`.
    @inlinable
    public static func write(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) throws(ErrorNumber) -> Int {
        try checked { CLinux.write(fd, bytes.baseAddress, bytes.count) }
    }

    /// Writes all of `bytes` to `fd`, retrying short writes. The corresponding C function is `write`.
    @inlinable
    public static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) throws(ErrorNumber) {
        var offset = 0
        while offset < bytes.count {
            offset += try write(fd, UnsafeRawBufferPointer(rebasing: bytes[offset...]))
        }
    }

    /// Reads into the `count` buffers at `vectors`, in order; returns the bytes read, 0 at the
    /// end. The corresponding C function is `readv`.
    @inlinable
    public static func readv(_ fd: Int32, _ vectors: UnsafePointer<iovec>, count: Int32) throws(ErrorNumber) -> Int {
        try checked { CLinux.readv(fd, vectors, count) }
    }

    /// Writes the `count` buffers at `vectors`, in order; returns the bytes written. The
    /// corresponding C function is `writev`.
    @inlinable
    public static func writev(_ fd: Int32, _ vectors: UnsafePointer<iovec>, count: Int32) throws(ErrorNumber) -> Int {
        try checked { CLinux.writev(fd, vectors, count) }
    }

    /// Reads or writes all of `bytes` at `offset` in the file `fd`, retrying short transfers.
    /// The corresponding C functions are `pread` and `pwrite`.
    /// - Throws: the error number, or `EIO` when the file ends first.
    @inlinable
    public static func transferAll(_ fd: Int32, _ bytes: UnsafeMutableRawBufferPointer, at offset: off_t,
                                   writing: Bool) throws(ErrorNumber) {
        var done = 0
        while done < bytes.count {
            let start = bytes.baseAddress! + done, count = bytes.count - done, position = offset + off_t(done)
            let moved = try checked { writing ? CLinux.pwrite(fd, start, count, position) : CLinux.pread(fd, start, count, position) }
            if moved == 0 { throw ErrorNumber(code: EIO) }
            done += moved
        }
    }

    /// Flushes what was written to `fd` to its device. The corresponding C function is `fsync`.
    @inlinable
    public static func fsync(_ fd: Int32) throws(ErrorNumber) {
        _ = try checked { CLinux.fsync(fd) }
    }
}

extension SystemCall {
    /// Fills `buffer` with random bytes from the kernel's CSPRNG, waiting until it is seeded. The
    /// corresponding C function is `getrandom`.
    /// - Throws: the error number (`ENOSYS` on a kernel older than 3.17).
    @inlinable
    public static func fillRandom(_ buffer: UnsafeMutableRawBufferPointer) throws(ErrorNumber) {
        var offset = 0
        while offset < buffer.count {
            offset += try checked { getrandom(buffer.baseAddress! + offset, buffer.count - offset, 0) }
        }
    }
}
