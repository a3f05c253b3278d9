#if hasFeature(Embedded)
import CLinux

// What Glibc's Swift overlay gives hosted Swift, for the host programs built in Embedded Swift
// (the tender, the containerd shim, mirage-runc), which import the C library through CLinux:
// `errno` as a variable, `MAP_FAILED`, and the variadic `open` and `fcntl`. Public so that the
// `@inlinable` system calls may use them; they exist only in those builds, where each program is
// one module.

/// The calling thread's `errno`.
public var errno: Int32 {
    get { mirage_errno() }
    set { mirage_set_errno(newValue) }
}

/// What `mmap(2)` returns on failure (a macro, `(void *) -1`, in C).
public let MAP_FAILED = UnsafeMutableRawPointer(bitPattern: -1)

/// `open(2)`.
public func open(_ path: UnsafePointer<CChar>, _ flags: Int32, _ mode: mode_t = 0) -> Int32 {
    mirage_open(path, flags, mode)
}

/// `fcntl(2)` with an integer argument.
public func fcntl(_ descriptor: Int32, _ command: Int32, _ argument: Int32) -> Int32 {
    mirage_fcntl(descriptor, command, argument)
}
#endif
