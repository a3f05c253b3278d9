#if canImport(Glibc)
import Glibc
#endif
import CLinux
#if !hasFeature(Embedded)  // the tender's Embedded build compiles MirageHostSystem's files in
import MirageHostSystem
#endif

/// `mirage-hvt --serve=SOCKET [--mem=MiB]`: keeps a virtual machine ready for the next guest, so
/// that a boot through it (`mirage-hvt --via=SOCKET ... IMAGE`, ``ReadyClient``) skips the
/// kernel's share of making one (``ReadyVM``).
///
/// The server listens on SOCKET, a Unix socket only its user may connect to (mode 0600, and the
/// peer's user checked, `SO_PEERCRED`), and forks a child that makes a VM and then takes one
/// request; as soon as the child has its request, the server forks the next. The child becomes
/// that request's tender: it takes the client's standard descriptors and working directory,
/// parses its arguments as `mirage-hvt` would, runs the guest in the ready VM (or, for another
/// `--mem`, in a VM made then) and sends the exit status back; the client exits with it. Each VM
/// serves one guest and goes with its child: no guest sees another's memory or state.
///
/// A client that goes (or is stopped: it passes SIGINT and SIGTERM on by hanging up) stops its
/// guest as SIGTERM stops a tender's. SIGINT or SIGTERM ends the server and the child waiting for
/// a request (which also goes with a server that is killed), and removes the socket; guests
/// already running keep on to their end.
enum ReadyServer {
    /// The connections waiting for a child: more clients than that at once are refused by `connect`.
    static let backlog: Int32 = 64

    /// Serves at `path` until SIGINT or SIGTERM; returns the server's exit status.
    static func serve(at path: String, memoryMiB: UInt64) throws(TenderError) -> Int32 {
        // Before the socket appears: a signal from then on stops the server in order.
        let signals = mirage_signalfd_for_stop_signals()
        guard signals >= 0 else { throw VirtualMachine.hostFailure("cannot read stop signals") }
        let listener = try listen(at: path)
        defer {
            SystemCall.close(listener)
            unlink(path)
        }
        let server = getpid()
        // Children are reaped by the kernel: the server never waits for one's status.
        signal(SIGCHLD, mirage_ignore_signal_handler())
        while true {
            var ends: [Int32] = [-1, -1]
            guard mirage_pipe_close_on_exec(&ends) == 0 else { throw VirtualMachine.hostFailure("pipe failed") }
            let child = fork()
            guard child >= 0 else { throw VirtualMachine.hostFailure("fork failed") }
            if child == 0 {
                // The child holds nothing of the server's but the socket and its pipe (not the
                // descriptors the server's own parent gave it), and goes with the server until
                // it takes a request.
                _ = mirage_close_descriptors_except(listener, ends[1])
                guard mirage_set_parent_death_signal(SIGKILL) == 0, getppid() == server else { exit(0) }
                exit(serveOne(listener: listener, taken: ends[1], memoryMiB: memoryMiB))
            }
            SystemCall.close(ends[1])
            defer { SystemCall.close(ends[0]) }
            switch waitForTaking(ends[0], signals: signals) {
            case .taken: continue
            case .stopRequested:
                kill(child, SIGKILL)
                return 0
            case .childEnded:
                throw TenderError("the process making a ready VM ended before it took a request (its reason above)",
                                  status: TenderExitStatus.hostFailure)
            }
        }
    }

    enum Waited { case taken, stopRequested, childEnded }

    /// Waits until the child says it took a request (a byte on `taken`), it ends (the pipe's end)
    /// or a stop signal comes.
    static func waitForTaking(_ taken: Int32, signals: Int32) -> Waited {
        if waitForEither(taken, signals).signalled { return .stopRequested }
        var byte: UInt8 = 0
        let read = withUnsafeMutableBytes(of: &byte) { try? SystemCall.read(taken, into: $0) }
        return read == 1 ? .taken : .childEnded
    }

    /// Waits until `descriptor` can be read (or has hung up) or `signals`, a signalfd, has a
    /// signal; says which.
    static func waitForEither(_ descriptor: Int32, _ signals: Int32) -> (readable: Bool, signalled: Bool) {
        var descriptors = [pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0), pollfd(fd: signals, events: Int16(POLLIN), revents: 0)]
        while true {
            let count = descriptors.withUnsafeMutableBufferPointer { try? SystemCall.poll($0, timeout: -1) }
            guard let count, count > 0 else { continue }
            return (descriptors[0].revents != 0, descriptors[1].revents != 0)
        }
    }

    /// The listening socket at `path`. A socket file there that no server answers (one that
    /// ended without removing it) is replaced; anything else there is refused.
    static func listen(at path: String) throws(TenderError) -> Int32 {
        guard path.utf8.count <= Int(mirage_unix_socket_path_limit()) else {
            throw TenderError("--serve=\(path): a socket path has at most \(mirage_unix_socket_path_limit()) bytes", status: TenderExitStatus.usage)
        }
        var status = stat()
        if lstat(path, &status) == 0 {
            guard mirage_is_socket(status.st_mode) != 0 else {
                throw TenderError("--serve=\(path): the file exists and is not a socket", status: TenderExitStatus.usage)
            }
            let probe = mirage_unix_socket_connect(path)
            if probe >= 0 {
                SystemCall.close(probe)
                throw TenderError("--serve=\(path): a server already listens there", status: TenderExitStatus.usage)
            }
            unlink(path)
        }
        let listener = mirage_unix_socket_listen(path, backlog)
        guard listener >= 0 else { throw VirtualMachine.hostFailure("--serve=\(path): cannot listen") }
        return listener
    }

    /// The child: makes a VM, takes one request from `listener` (telling the server on `taken`),
    /// runs it and sends its exit status back. Returns the child's own exit status.
    static func serveOne(listener: Int32, taken: Int32, memoryMiB: UInt64) -> Int32 {
        let ready: ReadyVM
        do { ready = try ReadyVM(memorySize: memoryMiB << 20) } catch {
            Tender.report(error.description)
            return error.status
        }
        let connection = accept(listener)
        // From here the child serves its client, whatever becomes of the server.
        _ = mirage_set_parent_death_signal(0)
        SystemCall.close(listener)
        _ = withUnsafeBytes(of: UInt8(1)) { try? SystemCall.write(taken, $0) }
        SystemCall.close(taken)
        guard connection >= 0 else { return TenderExitStatus.hostFailure }
        let status = serve(connection, in: ready)
        // The client's standard descriptors go now, not when this process ends after destroying
        // the VM (~0.8 ms): a reader of the client's output sees its end with the guest's.
        for standard in 0..<Int32(3) { SystemCall.close(standard) }
        // `write`, which the tender's seccomp filter allows (`sendmsg` it does not); a client
        // gone by now makes it end the child with SIGPIPE, as the child ends here anyway.
        _ = withUnsafeBytes(of: status.littleEndian) { try? SystemCall.write(connection, $0) }
        return 0
    }

    /// The next connection from this user; -1 when `accept` fails.
    static func accept(_ listener: Int32) -> Int32 {
        while true {
            let connection = mirage_accept_close_on_exec(listener)
            if connection < 0 {
                if errno == EINTR || errno == ECONNABORTED { continue }
                Tender.report("a ready VM cannot take requests: accept: \(ErrorNumber.last)")
                return -1
            }
            // The socket's mode admits only its owner; a peer of another user is shut out anyway.
            if mirage_unix_socket_peer_user(connection) == Int64(geteuid()) { return connection }
            SystemCall.close(connection)
        }
    }

    /// What is wrong with a received message's shape, as `mirage_unix_socket_receive` reported
    /// it (`truncated`: 1 the bytes did not fit, 2 the descriptors did not) with the number of
    /// descriptors it carried; nil when nothing is.
    static func refusal(truncated: Int32, descriptors: Int) -> String? {
        if truncated & 1 != 0 { return "larger than \(ReadyRequest.maximumSize) bytes" }
        if truncated & 2 != 0 {
            return "more than \(MIRAGE_UNIX_SOCKET_MAX_DESCRIPTORS) descriptors, not its \(ReadyRequest.descriptorCount)"
        }
        if descriptors != ReadyRequest.descriptorCount {
            return "\(descriptors) descriptors, not its \(ReadyRequest.descriptorCount) (standard input, output, error and working directory)"
        }
        return nil
    }

    /// Reads the request on `connection` and runs it as a tender in `ready`; the tender's status.
    static func serve(_ connection: Int32, in ready: ReadyVM) -> Int32 {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: ReadyRequest.maximumSize, alignment: 8)
        defer { buffer.deallocate() }
        var descriptors = [Int32](repeating: -1, count: Int(MIRAGE_UNIX_SOCKET_MAX_DESCRIPTORS))
        var count: Int32 = 0
        var truncated: Int32 = 0
        let received = mirage_unix_socket_receive(connection, buffer.baseAddress, buffer.count, &descriptors, &count, &truncated)
        let carried = descriptors.prefix(Int(max(count, 0)))
        defer { for descriptor in carried { SystemCall.close(descriptor) } }
        let request: ReadyRequest
        do throws(TenderError) {
            guard received > 0 else { throw TenderError("a request to the ready VM: the client hung up", status: TenderExitStatus.usage) }
            if let problem = Self.refusal(truncated: truncated, descriptors: carried.count) {
                throw TenderError("a request to the ready VM: \(problem)", status: TenderExitStatus.usage)
            }
            request = try ReadyRequest(decoding: UnsafeRawBufferPointer(rebasing: buffer[..<Int(received)]))
        } catch {
            Tender.report(error.description)
            return error.status
        }
        // The client's standard descriptors and working directory become the tender's.
        for target in 0..<Int32(3) { dup2(carried[carried.startIndex + Int(target)], target) }
        guard fchdir(carried[carried.startIndex + 3]) == 0 else {
            Tender.report("cannot enter the client's working directory: \(ErrorNumber.last)")
            return TenderExitStatus.hostFailure
        }
        ready.connection = connection
        ready.traceEntered = request.traceEntered
        ready.requested = BootTrace.now()
        return Tender.main(request.arguments, entered: nil, ready: ready)
    }
}
