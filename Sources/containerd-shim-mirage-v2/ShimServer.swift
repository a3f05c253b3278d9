#if canImport(Glibc)
import Glibc
#endif
import CLinux
#if !hasFeature(Embedded)  // the shim's Embedded build compiles these modules' files in
import MirageHostSystem
import MirageOCI
#endif

/// The shim server: one thread, `poll` over the listening socket, a signalfd (children's exits,
/// SIGTERM) and containerd's ttrpc connections; each request is answered at once but `Wait`,
/// which is answered when its task's process exits.
final class ShimServer {
    static let service = "containerd.task.v2.Task"
    /// Connections at once (containerd opens one for each task it runs here, and a few more).
    static let maximumConnections = 2 * ShimTaskTable.maximumTasks

    let flags: ShimFlags
    let listener: Int32
    var signals: Int32 = -1
    var table = ShimTaskTable()
    var tenders: [String: Tender] = [:]
    var connections: [Int32: TTRPCFrameReader] = [:]
    /// The `Wait` requests not answered yet, by task: the connection and stream to answer on.
    var waiters: [String: [(connection: Int32, stream: UInt32)]] = [:]
    var publisher: EventPublisher
    var shutdownRequested = false
    /// Where each read from a connection lands (one buffer for all: the server has one thread).
    var readBuffer = [UInt8](repeating: 0, count: 65536)

    init(flags: ShimFlags, listener: Int32) {
        self.flags = flags
        self.listener = listener
        publisher = EventPublisher(binary: flags.publishBinary, address: flags.address, namespace: flags.namespace)
    }

    func run() -> Never {
        _ = chdir("/") // tenders start there
        signal(SIGPIPE, mirage_ignore_signal_handler())
        var mask = sigset_t()
        sigemptyset(&mask)
        sigaddset(&mask, SIGCHLD)
        sigaddset(&mask, SIGTERM)
        sigprocmask(SIG_BLOCK, &mask, nil)
        signals = signalfd(-1, &mask, Int32(SFD_CLOEXEC | SFD_NONBLOCK))
        guard signals >= 0 else { log("cannot make a signalfd: \(ErrorNumber.last)"); exit(1) }
        while true {
            var descriptors = [pollfd(fd: listener, events: Int16(POLLIN), revents: 0), pollfd(fd: signals, events: Int16(POLLIN), revents: 0)]
            descriptors += connections.keys.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            let ready = descriptors.withUnsafeMutableBufferPointer { buffer in (try? SystemCall.poll(buffer, timeout: -1)) ?? nil }
            guard ready != nil else { continue }
            if descriptors[1].revents != 0 { readSignals() }
            if descriptors[0].revents != 0 { accept() }
            // A connection dropped meanwhile (its descriptor closed, perhaps reused) is skipped.
            for descriptor in descriptors.dropFirst(2) where descriptor.revents != 0 && connections[descriptor.fd] != nil {
                receive(on: descriptor.fd)
            }
            if shutdownRequested, table.tasks.isEmpty { exit(0) }
        }
    }

    func log(_ message: String) {
        fputs("containerd-shim-mirage-v2[\(getpid())]: \(message)\n", stderr)
    }

    func accept() {
        let fd = CLinux.accept(listener, nil, nil)
        guard fd >= 0 else { return }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        guard connections.count < Self.maximumConnections else { close(fd); return }
        connections[fd] = TTRPCFrameReader()
    }

    func receive(on fd: Int32) {
        let count = readBuffer.withUnsafeMutableBytes { bytes in SystemCall.retryingInterrupts { read(fd, bytes.baseAddress, bytes.count) } }
        guard count > 0, var reader = connections[fd] else { drop(fd); return }
        let frames: [TTRPCFrame]
        do { frames = try reader.receive(readBuffer[..<count]) } catch { log("\(error)"); drop(fd); return }
        connections[fd] = reader
        for frame in frames where frame.kind == TTRPCFrame.Kind.request.rawValue {
            guard connections[fd] != nil else { return } // a failed send dropped it
            let response: TTRPCResponse?
            do {
                let request = try TTRPCRequest(decoding: frame.payload)
                response = request.service == Self.service ? handle(request, connection: fd, stream: frame.stream)
                    : .failure(.unimplemented, "service \(request.service) is not served here")
            } catch {
                response = .failure(.invalidArgument, "malformed ttrpc request: \(error)")
            }
            if let response { send(response, on: fd, stream: frame.stream) }
        }
    }

    /// Closes a connection once: its descriptor may be reused by the next one opened.
    func drop(_ fd: Int32) {
        guard connections.removeValue(forKey: fd) != nil else { return }
        close(fd)
        for (id, list) in waiters { waiters[id] = list.filter { $0.connection != fd } }
    }

    func send(_ response: TTRPCResponse, on fd: Int32, stream: UInt32) {
        let bytes = TTRPCFrame(stream: stream, kind: .response, payload: response.encoded).encoded
        let written = bytes.withUnsafeBytes { buffer in (try? SystemCall.writeAll(fd, buffer)) != nil }
        if !written { drop(fd) }
    }

    /// Answers one request of the Task service; nil for a `Wait` to be answered later.
    func handle(_ request: TTRPCRequest, connection: Int32, stream: UInt32) -> TTRPCResponse? {
        /// The request's payload as a task reference.
        func reference() throws(Refusal) -> TaskMessages.TaskReference {
            try Refusal.decoding(request.method) { () throws(ProtobufReader.Malformed) in try TaskMessages.TaskReference(decoding: request.payload) }
        }
        do throws(Refusal) {
            // A unikernel's task has one process: containerd asks for an exec's by its ID first
            // (State) and takes NotFound as "no such process".
            if ["State", "Start", "Kill", "Wait", "Delete", "CloseIO", "ResizePty"].contains(request.method),
               let reference = try? TaskMessages.TaskReference(decoding: request.payload), !reference.execID.isEmpty {
                return .failure(.notFound, "process \(reference.execID) of task \(reference.id) not found: unikernels have no exec")
            }
            switch request.method {
            case "Create":
                return try create(Refusal.decoding(request.method) { () throws(ProtobufReader.Malformed) in try TaskMessages.Create(decoding: request.payload) })
            case "Start": return try start(reference())
            case "State": return .success(TaskMessages.state(of: try table.task(reference().id)))
            case "Kill": return try kill(reference())
            case "Wait":
                let task = try table.task(reference().id)
                if let exit = task.exit { return .success(TaskMessages.waited(exitStatus: exit.status, exitedAt: exit.at)) }
                waiters[task.id, default: []].append((connection, stream))
                return nil
            case "Delete": return try delete(reference())
            case "Pids":
                let task = try table.task(reference().id)
                return .success(TaskMessages.pids(task.status == .running ? [task.pid] : []))
            case "Connect":
                let task = try? table.task(reference().id)
                return .success(TaskMessages.connected(shimPID: getpid(), taskPID: task?.pid ?? 0, version: "swift-mirage"))
            case "Shutdown":
                shutdownRequested = true
                return .success([])
            case "Stats":
                let task = try table.task(reference().id)
                let tender = tenders[task.id]
                let usage = tender?.cgroup?.usage() ?? (memory: 0, cpuNanoseconds: 0, pids: 0)
                return .success(TaskMessages.metrics(memoryUsage: usage.memory, memoryLimit: tender?.memoryLimit ?? 0,
                                                     cpuNanoseconds: usage.cpuNanoseconds, pids: usage.pids))
            case "CloseIO", "Update":
                _ = try table.task(reference().id)
                return .success([])
            default:
                return .failure(.unimplemented, "\(request.method) is not supported by containerd-shim-mirage-v2 (unikernels have no exec, pause or checkpoint)")
            }
        } catch {
            return .failure(error.code, error.description)
        }
    }

    func create(_ request: TaskMessages.Create) throws(Refusal) -> TTRPCResponse {
        guard !request.id.isEmpty, !request.bundle.isEmpty else { throw Refusal(RuntimeError("Create names no task or bundle")) }
        // Refused before the work of preparing it (add checks again).
        if table.tasks[request.id] != nil { throw Refusal(code: .alreadyExists, description: "task \(request.id) already exists") }
        let (kind, tender) = try Refusal.failing { () throws(RuntimeError) in
            try Tender.prepare(request) { [table] sandbox in table.sandboxNamespace(sandbox) }
        }
        var task = ShimTask(id: request.id, bundle: request.bundle, kind: kind)
        task.stdin = request.stdin
        task.stdout = request.stdout
        task.stderr = request.stderr
        do {
            try table.add(task)
        } catch {
            var left = tender
            left?.release()
            throw error
        }
        tenders[request.id] = tender
        return .success(TaskMessages.pid(0))
    }

    func start(_ reference: TaskMessages.TaskReference) throws(Refusal) -> TTRPCResponse {
        let task = try table.checkStartable(reference.id)
        var pid = getpid() // a sandbox has no process of its own: the shim stands for it
        if var tender = tenders[task.id] {
            pid = try Refusal.failing { () throws(RuntimeError) in try tender.spawn() }
            tender.closeOutput()
            tenders[task.id] = tender
        }
        table.started(task.id, pid: pid)
        return .success(TaskMessages.pid(pid))
    }

    func kill(_ reference: TaskMessages.TaskReference) throws(Refusal) -> TTRPCResponse {
        let task = try table.task(reference.id)
        let signal = reference.signal == 0 ? SIGTERM : reference.signal
        switch (task.kind, task.status) {
        case (_, .stopped):
            break
        case (.sandbox, _), (.unikernel, .created):
            ended(task.id, status: 128 + UInt32(signal))
        default:
            if CLinux.kill(task.pid, signal) != 0, errno != ESRCH {
                throw Refusal(RuntimeError("cannot signal the tender of \(task.id): \(ErrorNumber.last)"))
            }
        }
        return .success([])
    }

    func delete(_ reference: TaskMessages.TaskReference) throws(Refusal) -> TTRPCResponse {
        let task = try table.remove(reference.id)
        tenders[task.id]?.release()
        tenders[task.id] = nil
        let exit = task.exit ?? ShimTask.Exit(status: 0, at: ShimClock.now())
        return .success(TaskMessages.deleted(pid: task.pid, exitStatus: exit.status, exitedAt: exit.at))
    }

    /// A task's process ended (or a sandbox was stopped): its waiters are answered and
    /// containerd is told.
    func ended(_ id: String, status: UInt32) {
        guard let task = table.exited(id, status: status, at: ShimClock.now()), let exit = task.exit else { return }
        let answer = TTRPCResponse.success(TaskMessages.waited(exitStatus: exit.status, exitedAt: exit.at))
        for waiter in waiters.removeValue(forKey: id) ?? [] where connections[waiter.connection] != nil {
            send(answer, on: waiter.connection, stream: waiter.stream)
        }
        publisher.publishExit(of: task)
    }

    func readSignals() {
        var information = signalfd_siginfo()
        while withUnsafeMutableBytes(of: &information, { read(signals, $0.baseAddress, $0.count) }) == MemoryLayout<signalfd_siginfo>.size {
            if information.ssi_signo == UInt32(SIGTERM), table.tasks.isEmpty { exit(0) }
        }
        // Every child that ended: tenders and the publisher's processes.
        while true {
            var status: Int32 = 0
            let pid = waitpid(-1, &status, WNOHANG)
            guard pid > 0 else { break }
            if let task = table.task(withPID: pid) {
                ended(task.id, status: UInt32(SystemCall.ExitStatus(waitStatus: status).shellStatus))
            }
        }
    }
}

/// Why a request is refused, with the status containerd gets: the task table's refusals as they
/// are, a failure to do the work as FailedPrecondition, a malformed request as InvalidArgument.
typealias Refusal = ShimTaskTable.Refusal

extension ShimTaskTable.Refusal {
    init(_ failure: RuntimeError) {
        self.init(code: .failedPrecondition, description: "containerd-shim-mirage-v2: " + failure.description)
    }

    /// `body`'s result, its failure refused as FailedPrecondition.
    static func failing<Result>(_ body: () throws(RuntimeError) -> Result) throws(Refusal) -> Result {
        do { return try body() } catch { throw Refusal(error) }
    }

    /// The request `method`'s message that `body` decodes, malformed as InvalidArgument.
    static func decoding<Message>(_ method: String, _ body: () throws(ProtobufReader.Malformed) -> Message) throws(Refusal) -> Message {
        do { return try body() } catch { throw Refusal(code: .invalidArgument, description: "malformed \(method) request: \(error)") }
    }
}
