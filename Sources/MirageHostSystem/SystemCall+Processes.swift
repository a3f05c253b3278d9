#if canImport(Glibc)
import Glibc
#endif
import CLinux

extension SystemCall {
    /// Waits up to `timeout` milliseconds (-1: without limit) for the events asked for in
    /// `descriptors`; returns how many have some, or nil when a signal interrupted the wait, so that
    /// the caller can look at what the signal changed and wait again. The corresponding C
    /// function is `poll`.
    @inlinable
    public static func poll(_ descriptors: UnsafeMutableBufferPointer<pollfd>, timeout: Int32) throws(ErrorNumber) -> Int? {
        for index in descriptors.indices { descriptors[index].revents = 0 }  // none after an interruption
        let count = CLinux.poll(descriptors.baseAddress, nfds_t(descriptors.count), timeout)
        if count >= 0 { return Int(count) }
        if errno == EINTR { return nil }
        throw ErrorNumber.last
    }

    /// Waits up to `timeout` milliseconds (-1: without limit) for events on the epoll instance
    /// `epoll`, which it puts in `events`; returns how many, or nil when a signal interrupted the
    /// wait, as ``poll(_:timeout:)`` does. The corresponding C function is `epoll_wait`.
    @inlinable
    public static func waitForEvents(_ epoll: Int32, into events: UnsafeMutableBufferPointer<epoll_event>,
                                     timeout: Int32) throws(ErrorNumber) -> Int? {
        let count = epoll_wait(epoll, events.baseAddress, Int32(events.count), timeout)
        if count >= 0 { return Int(count) }
        if errno == EINTR { return nil }
        throw ErrorNumber.last
    }

    /// How a child process ended.
    public enum ExitStatus: Equatable {
        /// It exited with this status.
        case exited(Int32)
        /// A signal ended it.
        case signalled(Int32)

        /// The status as a shell reports it: the exit status, or 128 + the signal.
        public var shellStatus: Int32 {
            switch self {
            case let .exited(status): status
            case let .signalled(signal): 128 + signal
            }
        }

        /// Decodes a `waitpid` status (`WIFEXITED`, `WEXITSTATUS`, `WTERMSIG`, which do not import
        /// into Swift).
        @inlinable
        public init(waitStatus status: Int32) {
            let signal = status & 0x7F
            self = signal == 0 ? .exited((status >> 8) & 0xFF) : .signalled(signal)
        }
    }

    /// Waits for the child `pid` to end; with `blocking` false, returns nil at once when it has
    /// not. The corresponding C function is `waitpid`.
    @inlinable
    public static func wait(for pid: pid_t, blocking: Bool = true) throws(ErrorNumber) -> ExitStatus? {
        var status: Int32 = 0
        let waited = try checked { waitpid(pid, &status, blocking ? 0 : WNOHANG) }
        return waited == pid ? ExitStatus(waitStatus: status) : nil
    }
}
