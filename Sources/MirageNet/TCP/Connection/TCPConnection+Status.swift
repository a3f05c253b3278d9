import MirageCore

extension TCPConnection {
    /// The few facts a socket reads before each read, write or wait: small enough to copy,
    /// where copying the connection itself would retain every buffer it holds.
    public struct Status: Sendable {
        public var state: State
        public var error: FlowError?
        /// In-order octets the application may read now.
        public var readableCount: Int
        /// Whether the peer closed its side and everything before its FIN has been read.
        public var isAtEndOfStream: Bool
        /// Octets a write would accept now.
        public var sendSpace: Int
        /// Whether the handshake is over (the connection may have closed since).
        public var isSynchronized: Bool
    }

    public var status: Status {
        Status(state: state, error: error, readableCount: readableCount, isAtEndOfStream: isAtEndOfStream,
               sendSpace: sendSpace, isSynchronized: isSynchronized)
    }
}
