extension StackCore {
    /// What the shell must look at after a call: the connections, listeners and UDP ports whose
    /// waiters should wake.
    public struct Changes {
        public var connections: Set<ConnectionID> = []
        public var listeners: Set<UInt16> = []
        public var udpPorts: Set<UInt16> = []
        public var isEmpty: Bool { connections.isEmpty && listeners.isEmpty && udpPorts.isEmpty }
    }
}
