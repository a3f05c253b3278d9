#if canImport(Glibc)
import Glibc
#endif
import CLinux
#if !hasFeature(Embedded)  // the tender's Embedded build compiles MirageHostSystem's files in
import MirageHostSystem
#endif

/// `mirage-hvt --via=SOCKET [OPTIONS] [--] IMAGE [BOOT ARGUMENTS]`: has the server at SOCKET
/// (``ReadyServer``) run the image in the VM it keeps ready, and exits with the guest's status,
/// as the tender would have run it itself.
///
/// The client sends its other arguments, its standard input, output and error and its working
/// directory (``ReadyRequest``), then waits for the status. SIGINT or SIGTERM (and, with
/// `--exit-with-parent`, its parent's end) makes it hang up its side of the connection, which
/// stops the guest as the signal would stop a tender's; it still waits for the status.
enum ReadyClient {
    /// Sends `arguments` (the command line less `--via`) to the server at `path`; the guest's
    /// exit status.
    static func run(at path: String, arguments: [String], exitsWithParent: Bool, traceEntered: UInt64?) throws(TenderError) -> Int32 {
        let signals = mirage_signalfd_for_stop_signals()
        guard signals >= 0 else { throw VirtualMachine.hostFailure("cannot read stop signals") }
        defer { SystemCall.close(signals) }
        if exitsWithParent {
            guard mirage_set_parent_death_signal(SIGTERM) == 0, getppid() != 1 else {
                throw TenderError("--exit-with-parent: the process that started the tender has ended", status: TenderExitStatus.hostFailure)
            }
        }
        let connection = mirage_unix_socket_connect(path)
        guard connection >= 0 else {
            throw VirtualMachine.hostFailure("--via=\(path): no server of ready VMs answers there (mirage-hvt --serve=\(path))")
        }
        defer { SystemCall.close(connection) }
        try send(ReadyRequest(arguments: arguments, traceEntered: traceEntered), on: connection)
        return try waitForStatus(connection, signals: signals, path: path)
    }

    /// Sends `request` with this process's standard descriptors (closed ones as /dev/null) and
    /// working directory.
    static func send(_ request: ReadyRequest, on connection: Int32) throws(TenderError) {
        var descriptors: [Int32] = []
        var opened: [Int32] = []
        defer { for descriptor in opened { SystemCall.close(descriptor) } }
        for standard in 0..<Int32(3) {
            if fcntl(standard, F_GETFD, 0) >= 0 {
                descriptors.append(standard)
            } else if let null = try? SystemCall.open("/dev/null", O_RDWR | O_CLOEXEC) {
                opened.append(null)
                descriptors.append(null)
            } else {
                throw VirtualMachine.hostFailure("cannot open /dev/null")
            }
        }
        let directory = mirage_open_working_directory()
        guard directory >= 0 else {
            throw VirtualMachine.hostFailure("cannot open the working directory")
        }
        opened.append(directory)
        descriptors.append(directory)
        let bytes = request.encoded
        guard bytes.count <= ReadyRequest.maximumSize else {
            throw TenderError("the arguments are longer than a request takes (\(ReadyRequest.maximumSize) bytes)", status: TenderExitStatus.usage)
        }
        let sent = bytes.withUnsafeBytes { mirage_unix_socket_send(connection, $0.baseAddress, $0.count, descriptors, Int32(descriptors.count)) }
        guard sent == bytes.count else { throw VirtualMachine.hostFailure("cannot send the request to the ready VM") }
    }

    /// Waits for the status on `connection`, hanging up its sending side at a stop signal.
    static func waitForStatus(_ connection: Int32, signals: Int32, path: String) throws(TenderError) -> Int32 {
        while true {
            let (readable, signalled) = ReadyServer.waitForEither(connection, signals)
            if signalled {
                var info = signalfd_siginfo()
                while read(signals, &info, MemoryLayout<signalfd_siginfo>.size) > 0 {}
                shutdown(connection, Int32(SHUT_WR))
            }
            guard readable else { continue }
            var status: Int32 = 0
            var carried = [Int32](repeating: -1, count: Int(MIRAGE_UNIX_SOCKET_MAX_DESCRIPTORS))
            var carriedCount: Int32 = 0
            var truncated: Int32 = 0
            let received = withUnsafeMutableBytes(of: &status) {
                mirage_unix_socket_receive(connection, $0.baseAddress, $0.count, &carried, &carriedCount, &truncated)
            }
            for descriptor in carried.prefix(Int(max(carriedCount, 0))) { SystemCall.close(descriptor) }
            guard received == 4, truncated == 0 else {
                throw TenderError("--via=\(path): the ready VM's process ended without the guest's exit status", status: TenderExitStatus.hostFailure)
            }
            return Int32(littleEndian: status)
        }
    }
}
