import MirageRuntime

extension StackCore {
    /// What the shell must look at after a call: the queues of the tasks waiting for connections
    /// that changed (each taken from the connection's entry, ``waitQueue(of:making:)``; one may
    /// come more than once), and the listeners and UDP ports whose waiters should wake.
    public struct Changes {
        public var connectionWaiters: [WaitQueue] = []
        public var listeners: Set<UInt16> = []
        public var udpPorts: Set<UInt16> = []
        public var isEmpty: Bool { connectionWaiters.isEmpty && listeners.isEmpty && udpPorts.isEmpty }
    }
}
