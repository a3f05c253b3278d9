/// A type a key's value can have.
public protocol KeyValue {
    /// The Swift type name the wiring uses.
    static var typeName: String { get }
    /// The value as written on a command line.
    var commandLineText: String { get }
}

extension String: KeyValue {
    public static var typeName: String { "String" }
    public var commandLineText: String { self }
}
extension Int: KeyValue {
    public static var typeName: String { "Int" }
    public var commandLineText: String { String(self) }
}
extension UInt16: KeyValue {
    public static var typeName: String { "UInt16" }
    public var commandLineText: String { String(self) }
}
extension Bool: KeyValue {
    public static var typeName: String { "Bool" }
    public var commandLineText: String { self ? "true" : "false" }
}

/// A key of any value type, as ``Main`` takes them.
public protocol AnyKey {
    var description: KeyDescription { get }
}

/// A configuration value the application receives in its initialiser, labelled by the key's name
/// in lower camel case (`--block-size` is `blockSize:`).
///
/// A *configure-time* key is compiled into the image (`swift-mirage configure --NAME=VALUE`); a
/// *boot-time* key is given when the unikernel starts (`./dist/hello --NAME=VALUE`) and listed by
/// `--help`. MirageOS keeps the same two stages.
public struct Key<Value: KeyValue>: AnyKey {
    public let description: KeyDescription

    init(_ name: String, stage: KeyDescription.Stage, default: Value?, documentation: String, file: String, line: Int) {
        description = KeyDescription(
            name: name, stage: stage, type: Value.typeName, defaultValue: `default`?.commandLineText,
            documentation: documentation, location: SourceLocation(file: file, line: line))
    }

    /// A key given at boot; without a default the unikernel refuses to start without it.
    public static func boot(_ name: String, default: Value? = nil, documentation: String,
                            file: String = #filePath, line: Int = #line) -> Key {
        Key(name, stage: .boot, default: `default`, documentation: documentation, file: file, line: line)
    }

    /// A key fixed when the unikernel is configured; `swift-mirage configure --NAME=VALUE` sets it.
    public static func configure(_ name: String, default: Value, documentation: String,
                                 file: String = #filePath, line: Int = #line) -> Key {
        Key(name, stage: .configure, default: `default`, documentation: documentation, file: file, line: line)
    }
}
