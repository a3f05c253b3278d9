/// The messages of containerd's shim API (`containerd.task.v2.Task`, containerd 1.6
/// `runtime/v2/task/shim.proto`) that a shim of unikernels answers, with their field numbers.
/// Requests are decoded, responses encoded; fields a message has that we do not use are skipped.
public enum TaskMessages {
    /// A task's state (`containerd.v1.types.Status`).
    public enum Status: UInt64, Sendable {
        case unknown = 0
        case created = 1
        case running = 2
        case stopped = 3
    }

    /// A point in time (`google.protobuf.Timestamp`: seconds 1, nanos 2).
    public struct Timestamp: Equatable, Sendable {
        public var seconds: Int64
        public var nanoseconds: Int32

        public init(seconds: Int64, nanoseconds: Int32) {
            self.seconds = seconds
            self.nanoseconds = nanoseconds
        }

        var encoded: ProtobufWriter {
            var writer = ProtobufWriter()
            writer.signedInteger(1, seconds)
            writer.signedInteger(2, Int64(nanoseconds))
            return writer
        }
    }

    /// A file system to mount for the task's root (`containerd.types.Mount`: type 1, source 2,
    /// options 4).
    public struct Mount: Equatable, Sendable {
        public var type: String
        public var source: String
        public var options: [String]

        public init(type: String, source: String, options: [String]) {
            self.type = type
            self.source = source
            self.options = options
        }
    }

    /// `CreateTaskRequest`: id 1, bundle 2, rootfs 3, terminal 4, stdin 5, stdout 6, stderr 7,
    /// checkpoint 8 (and parent_checkpoint 9, options 10, unused).
    public struct Create: Equatable, Sendable {
        public var id = ""
        public var bundle = ""
        public var rootfs: [Mount] = []
        public var terminal = false
        public var stdin = ""
        public var stdout = ""
        public var stderr = ""
        public var checkpoint = ""

        public init() {}

        public init(decoding bytes: [UInt8]) throws(ProtobufReader.Malformed) {
            try ProtobufReader.fields(of: bytes[...]) { field, value throws(ProtobufReader.Malformed) in
                switch field {
                case 1: id = value.string ?? ""
                case 2: bundle = value.string ?? ""
                case 3:
                    guard let body = value.bytes else { return }
                    var mount = Mount(type: "", source: "", options: [])
                    try ProtobufReader.fields(of: body) { field, value throws(ProtobufReader.Malformed) in
                        switch field {
                        case 1: mount.type = value.string ?? ""
                        case 2: mount.source = value.string ?? ""
                        case 4: if let option = value.string { mount.options.append(option) }
                        default: break
                        }
                    }
                    rootfs.append(mount)
                case 4: terminal = value.integer.map { $0 != 0 } ?? false
                case 5: stdin = value.string ?? ""
                case 6: stdout = value.string ?? ""
                case 7: stderr = value.string ?? ""
                case 8: checkpoint = value.string ?? ""
                default: break
                }
            }
        }
    }

    /// The requests that name a task and maybe a process of it: `StartRequest`, `DeleteRequest`,
    /// `StateRequest`, `WaitRequest`, `PidsRequest`, `ConnectRequest`, `StatsRequest`,
    /// `CloseIORequest`, `UpdateTaskRequest`, `ShutdownRequest` (id 1, exec_id 2); `KillRequest`
    /// (id 1, exec_id 2, signal 3, all 4).
    public struct TaskReference: Equatable, Sendable {
        public var id = ""
        public var execID = ""
        public var signal: Int32 = 0

        public init(id: String, execID: String = "", signal: Int32 = 0) {
            self.id = id
            self.execID = execID
            self.signal = signal
        }

        public init(decoding bytes: [UInt8]) throws(ProtobufReader.Malformed) {
            try ProtobufReader.fields(of: bytes[...]) { field, value throws(ProtobufReader.Malformed) in
                switch field {
                case 1: id = value.string ?? ""
                case 2: execID = value.string ?? ""
                case 3: signal = Int32(truncatingIfNeeded: value.integer ?? 0)
                default: break
                }
            }
        }
    }

    /// `CreateTaskResponse` and `StartResponse`: pid 1.
    public static func pid(_ pid: Int32) -> [UInt8] {
        var writer = ProtobufWriter()
        writer.integer(1, UInt64(UInt32(bitPattern: pid)))
        return writer.bytes
    }

    /// `DeleteResponse`: pid 1, exit_status 2, exited_at 3.
    public static func deleted(pid: Int32, exitStatus: UInt32, exitedAt: Timestamp) -> [UInt8] {
        var writer = ProtobufWriter()
        writer.integer(1, UInt64(UInt32(bitPattern: pid)))
        writer.integer(2, UInt64(exitStatus))
        writer.message(3, exitedAt.encoded)
        return writer.bytes
    }

    /// `WaitResponse`: exit_status 1, exited_at 2.
    public static func waited(exitStatus: UInt32, exitedAt: Timestamp) -> [UInt8] {
        var writer = ProtobufWriter()
        writer.integer(1, UInt64(exitStatus))
        writer.message(2, exitedAt.encoded)
        return writer.bytes
    }

    /// `StateResponse`: id 1, bundle 2, pid 3, status 4, stdin 5, stdout 6, stderr 7, terminal 8,
    /// exit_status 9, exited_at 10.
    public static func state(of task: ShimTask) -> [UInt8] {
        var writer = ProtobufWriter()
        writer.string(1, task.id)
        writer.string(2, task.bundle)
        writer.integer(3, UInt64(UInt32(bitPattern: task.pid)))
        writer.integer(4, task.status.rawValue)
        writer.string(5, task.stdin)
        writer.string(6, task.stdout)
        writer.string(7, task.stderr)
        if let exit = task.exit {
            writer.integer(9, UInt64(exit.status))
            writer.message(10, exit.at.encoded)
        }
        return writer.bytes
    }

    /// `PidsResponse`: processes 1 (`ProcessInfo`: pid 1).
    public static func pids(_ pids: [Int32]) -> [UInt8] {
        var writer = ProtobufWriter()
        for pid in pids {
            var info = ProtobufWriter()
            info.integer(1, UInt64(UInt32(bitPattern: pid)))
            writer.message(1, info)
        }
        return writer.bytes
    }

    /// `ConnectResponse`: shim_pid 1, task_pid 2, version 3.
    public static func connected(shimPID: Int32, taskPID: Int32, version: String) -> [UInt8] {
        var writer = ProtobufWriter()
        writer.integer(1, UInt64(UInt32(bitPattern: shimPID)))
        writer.integer(2, UInt64(UInt32(bitPattern: taskPID)))
        writer.string(3, version)
        return writer.bytes
    }

    /// A task event for the publish binary (`containerd.events.TaskExit`: container_id 1, id 2,
    /// pid 3, exit_status 4, exited_at 5), wrapped in a `google.protobuf.Any` (type_url 1, value 2).
    public static func exitEvent(id: String, pid: Int32, exitStatus: UInt32, exitedAt: Timestamp) -> [UInt8] {
        var event = ProtobufWriter()
        event.string(1, id)
        event.string(2, id)
        event.integer(3, UInt64(UInt32(bitPattern: pid)))
        event.integer(4, UInt64(exitStatus))
        event.message(5, exitedAt.encoded)
        var any = ProtobufWriter()
        any.string(1, "containerd.events.TaskExit")
        any.bytes(2, event.bytes)
        return any.bytes
    }

    /// `StatsResponse` (stats 1): a `google.protobuf.Any` of cgroup v1 `Metrics`
    /// (`io.containerd.cgroups.v1.Metrics`, containerd/cgroups `stats/v1/metrics.proto`: pids 2
    /// (current 1, limit 2), cpu 3 (usage 1: total 1 in nanoseconds), memory 4 (usage 33: limit 1,
    /// usage 2)), which the CRI reads for `ContainerStats`.
    public static func metrics(memoryUsage: UInt64, memoryLimit: UInt64, cpuNanoseconds: UInt64, pids: UInt64) -> [UInt8] {
        var pidStats = ProtobufWriter()
        pidStats.integer(1, pids)
        var cpuUsage = ProtobufWriter()
        cpuUsage.integer(1, cpuNanoseconds)
        var cpu = ProtobufWriter()
        cpu.message(1, cpuUsage)
        var entry = ProtobufWriter()
        entry.integer(1, memoryLimit)
        entry.integer(2, memoryUsage)
        var memory = ProtobufWriter()
        memory.message(33, entry)
        var metrics = ProtobufWriter()
        metrics.message(2, pidStats)
        metrics.message(3, cpu)
        metrics.message(4, memory)
        var any = ProtobufWriter()
        any.string(1, "io.containerd.cgroups.v1.Metrics")
        any.bytes(2, metrics.bytes)
        var response = ProtobufWriter()
        response.bytes(1, any.bytes, always: true)
        return response.bytes
    }
}
