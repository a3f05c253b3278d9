#if canImport(Glibc)
import Glibc
#endif
import CLinux
#if !hasFeature(Embedded)  // the shim's Embedded build compiles these modules' files in
import MirageOCI
#endif

/// Where the one shim server of a containerd and namespace listens, and its start: the first
/// `start` binds the socket and spawns the server; every later one finds it answering and gives
/// containerd the same address (containerd connects a ttrpc client per task to it).
enum ShimSocket {
    /// Beside the runc shims' sockets: `/run/containerd/s/mirage-HASH`, HASH from containerd's
    /// address and the namespace (a socket path must fit in 108 bytes).
    static func path(_ flags: ShimFlags) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325 // FNV-1a
        for byte in (flags.address + "\0" + flags.namespace).utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
        }
        let hex = String(hash, radix: 16)
        return "/run/containerd/s/mirage-" + String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// Returns the address for containerd (`unix://PATH`), the server started when none answers.
    /// The address is also written to `address` in the bundle (the working directory), where
    /// containerd finds it again after a restart of its own to reconnect to the task.
    static func start(_ flags: ShimFlags) throws(RuntimeError) -> String {
        let address = try startServer(flags)
        try HostFile.write(Array(address.utf8), to: "address")
        return address
    }

    static func startServer(_ flags: ShimFlags) throws(RuntimeError) -> String {
        let path = path(flags)
        _ = mkdir("/run/containerd", 0o711)
        _ = mkdir("/run/containerd/s", 0o711)
        // One `start` at a time decides whether to start the server.
        let lock = open(path + ".lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard lock >= 0 else { throw RuntimeError("cannot open \(path).lock: \(String(cString: strerror(errno)))") }
        defer { close(lock) }
        mirage_flock(lock, LOCK_EX)
        if answers(path) { return "unix://" + path }
        unlink(path) // a dead server's
        let listener = try listen(at: path)
        defer { close(listener) }
        try spawnServer(flags, listener: listener)
        return "unix://" + path
    }

    /// A unix stream socket for `path`, the `sockaddr_un` filled in.
    static func withAddress<Result>(_ path: String, _ body: (UnsafePointer<sockaddr>, socklen_t) -> Result) -> Result {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            for (index, byte) in bytes.prefix(buffer.count - 1).enumerated() { buffer[index] = byte }
        }
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
    }

    static func answers(_ path: String) -> Bool {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        return withAddress(path) { connect(fd, $0, $1) } == 0
    }

    static func listen(at path: String) throws(RuntimeError) -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw RuntimeError("cannot open a socket: \(String(cString: strerror(errno)))") }
        guard withAddress(path, { bind(fd, $0, $1) }) == 0, CLinux.listen(fd, 128) == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw RuntimeError("cannot listen at \(path): \(reason)")
        }
        return fd
    }

    /// Starts this program as the server (`serve`) in a session of its own, the socket as
    /// descriptor 3, its standard error appended to PATH.log.
    static func spawnServer(_ flags: ShimFlags, listener: Int32) throws(RuntimeError) {
        let log = open(path(flags) + ".log", O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        let null = open("/dev/null", O_RDWR | O_CLOEXEC)
        defer { close(log); close(null) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, null, 0)
        posix_spawn_file_actions_adddup2(&actions, null, 1)
        posix_spawn_file_actions_adddup2(&actions, log >= 0 ? log : null, 2)
        posix_spawn_file_actions_adddup2(&actions, listener, 3)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(&attributes, spawnNewSession)
        let program = selfPath()
        let arguments = [program, "-namespace", flags.namespace, "-address", flags.address, "-publish-binary", flags.publishBinary, "serve"]
        var cArguments = arguments.map { strdup($0) } + [nil]
        defer { for pointer in cArguments { free(pointer) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, program, &actions, &attributes, &cArguments, mirage_environment())
        guard result == 0 else { throw RuntimeError("cannot start the shim server: \(String(cString: strerror(result)))") }
    }

    /// This program's own path.
    static func selfPath() -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        return count > 0 ? String(cString: buffer) : (ProgramArguments.all.first ?? "containerd-shim-mirage-v2")
    }
}

/// glibc's `POSIX_SPAWN_SETSID` (`<spawn.h>` declares it under `_GNU_SOURCE` only): the child
/// starts a session of its own, out of containerd's and the shim's process group.
let spawnNewSession = Int16(0x80)
