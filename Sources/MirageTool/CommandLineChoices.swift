import MirageConfig

extension Target {
    /// Parses a target name, with an error listing the targets there are.
    public static func named(_ name: String) throws(ToolError) -> Target {
        guard let target = Target(rawValue: name) else {
            let known = Target.allCases.map(\.rawValue).joined(separator: ", ")
            throw ToolError("unknown target '\(name)' (available: \(known))", exitCode: 64)
        }
        return target
    }
}

extension NetworkMode {
    /// Parses a mode name (`--net=`), with an error listing the modes there are.
    public static func named(_ name: String) throws(ToolError) -> NetworkMode {
        guard let mode = NetworkMode(rawValue: name) else {
            throw ToolError("unknown network mode '\(name)' (available: socket, direct)", exitCode: 64)
        }
        return mode
    }
}

extension KeyValueMode {
    /// Parses a mode name (`--kv=`), with an error listing the modes there are.
    public static func named(_ name: String) throws(ToolError) -> KeyValueMode {
        guard let mode = KeyValueMode(rawValue: name) else {
            throw ToolError("unknown key-value store kind '\(name)' for --kv (available: crunch, tar)", exitCode: 64)
        }
        return mode
    }
}
