/// One container the shim runs: a unikernel (its tender is the task's process) or a pod's sandbox,
/// which a unikernel pod needs no process for (its network namespace is pinned by the CRI and
/// kept by the shim for the pod's containers).
public struct ShimTask: Equatable, Sendable {
    public enum Kind: Equatable, Sendable {
        case unikernel
        /// A pod's sandbox, with the network namespace its containers join (nil: the host's).
        case sandbox(networkNamespace: String?)
    }

    public struct Exit: Equatable, Sendable {
        /// The exit code, or 128 plus the signal that ended the process (as runc reports it).
        public var status: UInt32
        public var at: TaskMessages.Timestamp

        public init(status: UInt32, at: TaskMessages.Timestamp) {
            self.status = status
            self.at = at
        }
    }

    public let id: String
    public let bundle: String
    public let kind: Kind
    public var pid: Int32 = 0
    public var status: TaskMessages.Status = .created
    public var exit: Exit?
    public var stdin = "", stdout = "", stderr = ""

    public init(id: String, bundle: String, kind: Kind) {
        self.id = id
        self.bundle = bundle
        self.kind = kind
    }
}

/// The shim's tasks and their lifecycle (containerd's task states: created, running, stopped,
/// deleted), without the processes: the server starts and signals those and reports their exits
/// here. Errors carry the ttrpc status containerd turns into its own (not found, already exists,
/// failed precondition).
public struct ShimTaskTable: Sendable {
    public struct Refusal: Error, Equatable, CustomStringConvertible {
        public var code: TTRPCResponse.Code
        public var description: String

        public init(code: TTRPCResponse.Code, description: String) {
            self.code = code
            self.description = description
        }
    }

    /// At most this many tasks at once: each holds a process, a tap and a mount.
    public static let maximumTasks = 4096

    public private(set) var tasks: [String: ShimTask] = [:]

    public init() {}

    public func task(_ id: String) throws(Refusal) -> ShimTask {
        guard let task = tasks[id] else { throw Refusal(code: .notFound, description: "task \(id) not found") }
        return task
    }

    public mutating func add(_ task: ShimTask) throws(Refusal) {
        guard tasks[task.id] == nil else { throw Refusal(code: .alreadyExists, description: "task \(task.id) already exists") }
        guard tasks.count < Self.maximumTasks else {
            throw Refusal(code: .failedPrecondition, description: "this shim runs \(Self.maximumTasks) tasks already")
        }
        tasks[task.id] = task
    }

    /// The task is to start; throws unless it is created.
    public func checkStartable(_ id: String) throws(Refusal) -> ShimTask {
        let task = try task(id)
        guard task.status == .created else { throw Refusal(code: .failedPrecondition, description: "task \(id) is \(task.status), not created") }
        return task
    }

    public mutating func started(_ id: String, pid: Int32) {
        tasks[id]?.pid = pid
        tasks[id]?.status = .running
    }

    /// Records that the task's process ended (or a sandbox was stopped); returns the task, nil
    /// when it had ended already.
    public mutating func exited(_ id: String, status: UInt32, at time: TaskMessages.Timestamp) -> ShimTask? {
        guard var task = tasks[id], task.exit == nil else { return nil }
        task.status = .stopped
        task.exit = ShimTask.Exit(status: status, at: time)
        tasks[id] = task
        return task
    }

    /// The task whose process is `pid`.
    public func task(withPID pid: Int32) -> ShimTask? {
        tasks.values.first { $0.pid == pid && $0.kind == .unikernel && $0.exit == nil }
    }

    /// Removes the task; a running one stays (containerd kills it first).
    public mutating func remove(_ id: String) throws(Refusal) -> ShimTask {
        let task = try task(id)
        guard task.status != .running else { throw Refusal(code: .failedPrecondition, description: "task \(id) is running: kill it first") }
        tasks[id] = nil
        return task
    }

    /// The network namespace of the sandbox `id`, when this shim has it.
    public func sandboxNamespace(_ id: String) -> String?? {
        guard case let .sandbox(namespace)? = tasks[id]?.kind else { return nil }
        return .some(namespace)
    }
}

extension TaskMessages.Status: CustomStringConvertible {
    public var description: String {
        switch self {
        case .unknown: "unknown"
        case .created: "created"
        case .running: "running"
        case .stopped: "stopped"
        }
    }
}
