import MirageCore
import MirageRuntime

extension StackCore {
    /// What the shell must look at after a call: the queues of the tasks waiting for connections
    /// that changed (each taken from the connection's entry, ``waitQueue(of:making:)``; one may
    /// come more than once), and the listeners and UDP ports whose waiters should wake.
    public struct Changes {
        public var connectionWaiters: [WaitQueue] = []
        public var listeners: Set<UInt16> = []
        /// Each once, in the order first noted (``noteUDPPort(_:)``): a list, as a stack has
        /// few ports and a set hashed each datagram's.
        public private(set) var udpPorts: [UInt16] = []
        public var isEmpty: Bool { connectionWaiters.isEmpty && listeners.isEmpty && udpPorts.isEmpty }

        /// Notes that `port`'s waiters should wake.
        mutating func noteUDPPort(_ port: UInt16) {
            if !udpPorts.contains(port) { udpPorts.append(port) }
        }

        /// Forgets the UDP ports noted, keeping the list's storage.
        mutating func forgetUDPPorts() {
            udpPorts.emptyFromEnd()
        }
    }
}
