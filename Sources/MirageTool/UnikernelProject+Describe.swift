import MirageConfig

/// `swift-mirage describe`: the device graph, with what implements each device on a target.
extension UnikernelProject {
    /// The unikernel's device graph on `target` (by default the configured one, else unix), with
    /// the choices configured for it when it is the configured target (`--net`, `--kv`, keys).
    /// - Parameter dot: whether to print it in Graphviz's dot language rather than as text.
    public func describe(target: Target? = nil, dot: Bool = false) throws(ToolError) -> String {
        let wiring = try configuredGenerator(target: target ?? readRecord()?.target ?? .unix)
        return dot ? GraphPrinter.dot(wiring) : GraphPrinter.text(wiring)
    }
}
