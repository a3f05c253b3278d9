import Foundation
import MirageHostSystem

/// Runs programs for the tool.
///
/// Processes are started with `posix_spawn` and waited for with `waitpid`, not with Foundation's
/// `Process`: on Linux that waits through a CoreFoundation run loop whose wake-up sockets need
/// the loopback interface, and in a network namespace whose `lo` is down (`ip netns add` makes
/// one) it never sees the child exit, so `swift-mirage run --create-tap` there hung.
enum Shell {
    struct Result {
        var status: Int32
        var output: String
        var errorOutput: String
    }

    /// The `TMPDIR` the tool's children get: a folder of this run's own in the tool's temporary
    /// one, removed when the tool exits. Swift's compiler driver leaves an empty folder there
    /// each time it runs (`swiftc --version` included): about six a `swift-mirage build`, a
    /// thousand in a test run, which would otherwise pile up in /tmp.
    static let childTemporaryDirectory: String = {
        try? FileManager.default.createDirectory(atPath: childTemporaryPath, withIntermediateDirectories: true)
        atexit { removeChildTemporaryDirectory() }
        return childTemporaryPath
    }()

    /// Where ``childTemporaryDirectory`` is, made or not.
    private static let childTemporaryPath = NSTemporaryDirectory() + "swift-mirage-\(getpid())"

    /// Removes ``childTemporaryDirectory`` (nothing when it was never made): at exit, and before
    /// the tool replaces itself with a unikernel (`execv`), which skips the exit's handlers.
    static func removeChildTemporaryDirectory() {
        try? FileManager.default.removeItem(atPath: childTemporaryPath)
    }

    /// Runs `arguments` (looked up on PATH), capturing its output.
    static func capture(_ arguments: [String], in directory: String? = nil, environment: [String: String] = [:]) throws(ToolError) -> Result {
        var outputPipe: [Int32] = [-1, -1], errorPipe: [Int32] = [-1, -1]
        guard pipe(&outputPipe) == 0 else { throw ToolError("cannot run \(arguments[0]): no pipe: \(String(cString: strerror(errno)))") }
        guard pipe(&errorPipe) == 0 else {
            close(outputPipe[0]); close(outputPipe[1])
            throw ToolError("cannot run \(arguments[0]): no pipe: \(String(cString: strerror(errno)))")
        }
        // Not inherited by the child beyond its standard streams, nor by its children: a pipe a
        // grandchild kept open would hold the read below until that grandchild ended.
        for fd in outputPipe + errorPipe { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        let pid: pid_t
        do {
            pid = try spawn(arguments, in: directory, environment: environment, output: outputPipe[1], errors: errorPipe[1])
        } catch {
            for fd in outputPipe + errorPipe { close(fd) }
            throw error
        }
        close(outputPipe[1])
        close(errorPipe[1])
        // Read both pipes as the process writes, so neither fills up and blocks it.
        var output: [UInt8] = [], errors: [UInt8] = []
        var descriptors = [pollfd(fd: outputPipe[0], events: Int16(POLLIN), revents: 0),
                           pollfd(fd: errorPipe[0], events: Int16(POLLIN), revents: 0)]
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while descriptors.contains(where: { $0.fd >= 0 }) {
            let ready = descriptors.withUnsafeMutableBufferPointer { descriptors -> Int? in
                do throws(ErrorNumber) { return try SystemCall.poll(descriptors, timeout: -1) } catch { return -1 }
            }
            guard let ready else { continue }  // interrupted
            if ready < 0 { break }
            for index in descriptors.indices where descriptors[index].fd >= 0 && descriptors[index].revents != 0 {
                let count = chunk.withUnsafeMutableBytes { (try? SystemCall.read(descriptors[index].fd, into: $0)) ?? 0 }
                if count == 0 {
                    SystemCall.close(descriptors[index].fd)
                    descriptors[index].fd = -1
                } else if index == 0 {
                    output += chunk[0..<count]
                } else {
                    errors += chunk[0..<count]
                }
            }
        }
        for descriptor in descriptors where descriptor.fd >= 0 { SystemCall.close(descriptor.fd) }
        return Result(status: try wait(for: pid, arguments[0])!,
                      output: String(decoding: output, as: UTF8.self),
                      errorOutput: String(decoding: errors, as: UTF8.self))
    }

    /// Runs `arguments` with the tool's own standard output and error, so its progress shows.
    static func stream(_ arguments: [String], in directory: String? = nil, environment: [String: String] = [:]) throws(ToolError) -> Int32 {
        try wait(for: try spawn(arguments, in: directory, environment: environment, output: nil, errors: nil), arguments[0])!
    }

    /// Starts `arguments` through `/usr/bin/env` (which looks the program up on PATH and, with
    /// `-C`, changes to `directory`), with `environment` over the tool's own (`TMPDIR` set to
    /// ``childTemporaryDirectory`` unless `environment` sets it), its standard output
    /// and error going to the given descriptors or the tool's. The corresponding C function is
    /// `posix_spawn`.
    private static func spawn(_ arguments: [String], in directory: String?, environment: [String: String],
                              output: Int32?, errors: Int32?) throws(ToolError) -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if let output { posix_spawn_file_actions_adddup2(&actions, output, STDOUT_FILENO) }
        if let errors { posix_spawn_file_actions_adddup2(&actions, errors, STDERR_FILENO) }
        let variables = ProcessInfo.processInfo.environment.merging(["TMPDIR": childTemporaryDirectory]) { $1 }
            .merging(environment) { $1 }.map { "\($0.key)=\($0.value)" }
        var cEnvironment = variables.map { strdup($0) } + [nil]
        let changeDirectory = directory.map { ["-C", $0] } ?? []
        var cArguments = (["/usr/bin/env"] + changeDirectory + arguments).map { strdup($0) } + [nil]
        defer { for pointer in cEnvironment + cArguments { free(pointer) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, "/usr/bin/env", &actions, nil, &cArguments, &cEnvironment)
        guard result == 0 else { throw ToolError("cannot run \(arguments[0]): \(String(cString: strerror(result)))") }
        return pid
    }

    /// Waits for `pid` to end; returns its exit status, or 128 + the signal that ended it.
    static func wait(for pid: pid_t, _ program: String, blocking: Bool = true) throws(ToolError) -> Int32? {
        do throws(ErrorNumber) {
            return try SystemCall.wait(for: pid, blocking: blocking)?.shellStatus
        } catch {
            throw ToolError("cannot wait for \(program): \(error)")
        }
    }
}
