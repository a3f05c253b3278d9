/// The ephemeral port range of RFC 6056 section 2.1 (49152 to 65535), searched as its algorithm 3
/// does (section 3.3.3, simplified): from a keyed offset plus a counter, the first free port.
enum EphemeralPorts {
    static let first: UInt32 = 49152
    static let count: UInt32 = 16384

    /// The first port for which `isFree` holds, searching the range from position `start` on.
    /// - Returns: the port and how many were tried before it; nil when none is free.
    static func search(from start: UInt32, isFree: (UInt16) -> Bool) -> (port: UInt16, step: UInt32)? {
        for step in 0..<count {
            let port = UInt16(first + (start &+ step) % count)
            if isFree(port) { return (port, step) }
        }
        return nil
    }
}
