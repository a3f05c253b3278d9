/// A SACK block: the sequence numbers `left ..< right` the receiver holds (RFC 2018 section 3).
public struct SACKBlock: Hashable, Sendable {
    public var left: UInt32
    public var right: UInt32
    public init(left: UInt32, right: UInt32) {
        self.left = left
        self.right = right
    }
}
