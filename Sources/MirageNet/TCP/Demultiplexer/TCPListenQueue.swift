/// A listening port's queues (RFC 9293 section 3.5, passive open): the established connections
/// waiting for the application's `accept`, in order, and how many are still half-open
/// (SYN-RECEIVED).
struct TCPListenQueue {
    /// Established connections not yet accepted, oldest first (the listen backlog).
    var acceptQueue: [ConnectionID] = []
    /// Connections in SYN-RECEIVED; past the half-open limit, SYN cookies answer (RFC 4987).
    var halfOpen = 0
}
