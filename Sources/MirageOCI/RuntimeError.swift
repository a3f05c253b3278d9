/// What `mirage-runc` refuses or fails at, in words for the person who runs the pod: containerd
/// reports it from runc's log.
public struct RuntimeError: Error, Equatable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}
