/// A failure the tool reports to the user: a message, and where in `config.swift` when known.
public struct ToolError: Error, CustomStringConvertible, Equatable {
    public var message: String
    public var exitCode: Int32

    public init(_ message: String, exitCode: Int32 = 1) {
        self.message = message
        self.exitCode = exitCode
    }

    public var description: String { message }
}

/// A problem found in a manifest, at a place in `config.swift`.
public struct Diagnostic: Equatable, CustomStringConvertible {
    public var location: SourceLocationText
    public var message: String

    /// `config.swift:12: error: ...`, the form compilers use, so editors can jump to it.
    public var description: String { "\(location): error: \(message)" }
}

/// A `file:line` place, printed relative to the current directory when inside it.
public struct SourceLocationText: Equatable, CustomStringConvertible {
    public var file: String
    public var line: Int

    public var description: String { "\(file):\(line)" }
}
