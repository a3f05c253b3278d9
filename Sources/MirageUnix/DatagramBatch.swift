import CLinux
import Glibc
import MirageHostSystem
import MirageCore

/// The datagrams one `recvmmsg` brought in for a ``SocketUDPSocket``, handed out one at a time:
/// a burst of datagrams costs one system call per ``capacity`` instead of one each.
///
/// Each slot has room for the largest UDP datagram (65,535 bytes), so nothing is truncated. The
/// slots (1 MiB) are address space reserved once per socket; the kernel backs with memory only the
/// pages datagrams were written to (one per small datagram), so a socket holds at most 1 MiB
/// here, whatever a sender does. Each datagram is copied out into a buffer of its own size.
final class DatagramReceiveBatch {
    /// The most datagrams one call receives.
    static let capacity = 16
    /// Room for one datagram.
    static let slotSize = 65_536

    private let slots: UnsafeMutableRawPointer
    private let messages = UnsafeMutablePointer<mirage_message>.allocate(capacity: capacity)
    private let vectors = UnsafeMutablePointer<iovec>.allocate(capacity: capacity)
    private let addresses = UnsafeMutablePointer<sockaddr_in6>.allocate(capacity: capacity)
    /// How many datagrams the last call received, and the next to hand out. Touched only on the
    /// scheduler's thread, no access enclosing another: no run-time exclusivity check (as
    /// `SocketConnection`'s buffers).
    @exclusivity(unchecked) private var received = 0
    @exclusivity(unchecked) private var nextIndex = 0

    init() {
        let size = Self.capacity * Self.slotSize
        let mapped = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0)
        precondition(mapped != MAP_FAILED && mapped != nil, "cannot reserve \(size) bytes for received datagrams")
        slots = mapped!
        for index in 0..<Self.capacity {
            vectors[index] = iovec(iov_base: slots + index * Self.slotSize, iov_len: Self.slotSize)
        }
    }

    deinit {
        munmap(slots, Self.capacity * Self.slotSize)
        messages.deallocate()
        vectors.deallocate()
        addresses.deallocate()
    }

    /// Whether every datagram received has been handed out.
    var isEmpty: Bool { nextIndex >= received }

    /// Receives the datagrams waiting at `fd`, up to ``capacity``, without waiting. The
    /// corresponding C function is `recvmmsg`.
    /// - Throws: the error number, `EAGAIN` when none was waiting.
    func receive(from fd: Int32) throws(ErrorNumber) {
        precondition(isEmpty, "received datagrams are still waiting to be handed out")
        for index in 0..<Self.capacity {
            messages[index] = mirage_message(address: addresses + index, vector: vectors + index)
        }
        var count: Int32
        repeat {
            count = mirage_receive_messages(fd, messages, UInt32(Self.capacity))
        } while count < 0 && errno == EINTR
        guard count >= 0 else { throw ErrorNumber(code: errno) }
        received = Int(count)
        nextIndex = 0
    }

    /// The next datagram received, as a copy of its bytes, and its sender; nil when all have been
    /// handed out.
    func next() -> (payload: PacketBuffer, source: SocketAddress)? {
        guard nextIndex < received else { return nil }
        let index = nextIndex
        nextIndex += 1
        return (PacketBuffer(bytes(at: index)), SocketAddress(storage: addresses[index]))
    }

    /// Runs `body` on the next datagram received, its bytes where `recvmmsg` put them, and its
    /// sender; false, and `body` not run, when all have been handed out. The datagram counts as
    /// handed out before `body` runs.
    @inline(__always)
    func withNext(_ body: (UnsafeRawBufferPointer, SocketAddress) -> Void) -> Bool {
        guard nextIndex < received else { return false }
        let index = nextIndex
        nextIndex += 1
        body(bytes(at: index), SocketAddress(storage: addresses[index]))
        return true
    }

    /// The bytes of the datagram in slot `index`.
    private func bytes(at index: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: slots + index * Self.slotSize, count: min(Int(messages[index].length), Self.slotSize))
    }
}

/// Datagrams a ``SocketUDPSocket`` has accepted to send and not yet handed to the kernel, sent
/// together by one `sendmmsg`: up to ``capacity`` of them, each held by its own buffer until then,
/// or written in place into one of the batch's slots (``append(count:to:writing:)``).
///
/// The slots (``capacity`` times ``slotSize`` bytes, 64 KiB) are allocated by the first datagram
/// written in place.
final class DatagramSendBatch {
    /// The most datagrams kept before they must be sent.
    static let capacity = 16
    /// The longest datagram written in place: a DNS response within the EDNS payload size most
    /// servers offer (RFC 6891 section 6.2.5); a longer one needs a buffer of its own.
    static let slotSize = 4096

    /// The buffer holding each datagram waiting, nil for one in a slot. Touched only on the
    /// scheduler's thread, no access enclosing another (as `SocketConnection`'s buffers).
    private let held = UnsafeMutablePointer<PacketBuffer?>.allocate(capacity: capacity)
    private var slots: UnsafeMutableRawPointer?
    private let messages = UnsafeMutablePointer<mirage_message>.allocate(capacity: capacity)
    private let vectors = UnsafeMutablePointer<iovec>.allocate(capacity: capacity)
    private let addresses = UnsafeMutablePointer<sockaddr_in6>.allocate(capacity: capacity)
    /// How many datagrams wait, sent or not, and the first not yet sent.
    @exclusivity(unchecked) private var queued = 0
    @exclusivity(unchecked) private var firstUnsent = 0

    init() {
        held.initialize(repeating: nil, count: Self.capacity)
    }

    deinit {
        held.deinitialize(count: Self.capacity)
        held.deallocate()
        slots?.deallocate()
        messages.deallocate()
        vectors.deallocate()
        addresses.deallocate()
    }

    /// How many datagrams wait to be sent.
    var count: Int { queued - firstUnsent }
    var isFull: Bool { queued == Self.capacity }
    /// How many more datagrams it takes before it is full.
    var room: Int { Self.capacity - queued }

    /// Keeps `payload` to be sent to `address` by the next ``send(from:)``.
    func append(_ payload: PacketBuffer, to address: SocketAddress) {
        precondition(!isFull, "the send batch is full")
        // The bytes stay where they are while `held` holds their buffer: a buffer's storage is
        // one heap object that never moves, so the pointer outlives the closure it came from.
        let bytes = payload.withUnsafeBytes { $0 }
        held[queued] = payload
        enqueue(UnsafeMutableRawPointer(mutating: bytes.baseAddress), count: bytes.count, to: address)
    }

    /// Keeps a datagram of `count` bytes (at most ``slotSize``) to be sent to `address` by the
    /// next ``send(from:)``, written by `write` into a slot of the batch: no buffer of its own.
    @inline(__always)
    func append(count: Int, to address: SocketAddress, writing write: (UnsafeMutableRawBufferPointer) -> Void) {
        precondition(!isFull && count <= Self.slotSize, "the send batch is full, or the datagram longer than a slot")
        let slot = (slots ?? allocateSlots()) + queued * Self.slotSize
        write(UnsafeMutableRawBufferPointer(start: slot, count: count))
        enqueue(slot, count: count, to: address)
    }

    private func allocateSlots() -> UnsafeMutableRawPointer {
        let allocated = UnsafeMutableRawPointer.allocate(byteCount: Self.capacity * Self.slotSize, alignment: 16)
        slots = allocated
        return allocated
    }

    @inline(__always)
    private func enqueue(_ bytes: UnsafeMutableRawPointer?, count: Int, to address: SocketAddress) {
        let index = queued
        queued += 1
        addresses[index] = address.storage
        vectors[index] = iovec(iov_base: bytes, iov_len: count)
        messages[index] = mirage_message(address: addresses + index, vector: vectors + index)
    }

    /// Lets go of the datagrams' buffers, sent or dropped, and empties the batch.
    private func clear() {
        for index in 0..<queued where held[index] != nil { held[index] = nil }
        queued = 0
        firstUnsent = 0
    }

    /// What became of the datagrams a ``DatagramSendBatch/send(from:)`` tried.
    struct Outcome {
        /// Datagrams the kernel refused, each with its own error (no route, a broadcast address
        /// on a socket without `SO_BROADCAST`); they are dropped.
        var failed = 0
        /// The error of the last datagram, when it was one of the failed.
        var lastFailure: ErrorNumber?
        /// Whether the kernel's send buffer filled up: the datagrams from there on still wait.
        var wouldBlock = false
    }

    /// Sends the waiting datagrams from `fd`, in order, until all have gone (sent or refused) or
    /// the send buffer is full. The corresponding C function is `sendmmsg`.
    func send(from fd: Int32) -> Outcome {
        var outcome = Outcome()
        while firstUnsent < queued {
            let sent = mirage_send_messages(fd, messages + firstUnsent, UInt32(queued - firstUnsent))
            if sent > 0 {
                firstUnsent += Int(sent)
                continue
            }
            let error = ErrorNumber(code: errno)
            if error.code == EINTR { continue }
            if error.wouldBlock {
                outcome.wouldBlock = true
                return outcome
            }
            outcome.failed += 1
            if firstUnsent == queued - 1 { outcome.lastFailure = error }
            firstUnsent += 1
        }
        clear()
        return outcome
    }

    /// Forgets the datagrams not sent; returns how many there were.
    func dropUnsent() -> Int {
        let dropped = count
        clear()
        return dropped
    }
}

extension mirage_message {
    /// The message of one datagram: its bytes described by `vector`, its peer's address at
    /// `address` (read by `sendmmsg`, written by `recvmmsg`).
    init(address: UnsafeMutablePointer<sockaddr_in6>, vector: UnsafeMutablePointer<iovec>) {
        var header = msghdr()
        header.msg_name = UnsafeMutableRawPointer(address)
        header.msg_namelen = SocketAddress.length
        header.msg_iov = vector
        header.msg_iovlen = 1
        self.init(header: header, length: 0)
    }
}
