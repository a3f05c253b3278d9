/// The versioned description of a unikernel that `config.swift` produces when run: what
/// `swift-mirage` reads to validate the manifest, describe it and generate the wiring.
///
/// Version 1. A change that old readers would misread bumps ``UnikernelDescription/currentVersion``.
public struct UnikernelDescription: Codable, Equatable, Sendable {
    /// The format version this library writes.
    public static let currentVersion = 1

    public var version: Int
    /// The unikernel's name: the executable is `dist/<name>`.
    public var name: String
    /// The application type and what it is given.
    public var main: MainDescription
    /// Every device in the graph, dependencies before the devices that use them.
    public var devices: [DeviceDescription]
    /// Every key the manifest declares.
    public var keys: [KeyDescription]
    /// Where `register` was called.
    public var location: SourceLocation

    public init(name: String, main: MainDescription, devices: [DeviceDescription], keys: [KeyDescription], location: SourceLocation) {
        version = Self.currentVersion
        self.name = name
        self.main = main
        self.devices = devices
        self.keys = keys
        self.location = location
    }
}

/// The application: its type name, and the devices and keys its initialiser takes, in order.
public struct MainDescription: Codable, Equatable, Sendable {
    /// The Swift type that conforms to `Unikernel`, such as `Hello`.
    public var typeName: String
    /// The device signatures the type declares it needs, in initialiser order.
    public var signatures: [String]
    /// The ids of the devices passed, in initialiser order.
    public var devices: [String]
    /// The names of the keys passed, after the devices, by label.
    public var keys: [String]
    public var location: SourceLocation

    public init(typeName: String, signatures: [String], devices: [String], keys: [String], location: SourceLocation) {
        self.typeName = typeName
        self.signatures = signatures
        self.devices = devices
        self.keys = keys
        self.location = location
    }
}

/// A device: what it is (`kind`), which signature it satisfies, its parameters and dependencies.
/// The target decides how to implement each kind.
public struct DeviceDescription: Codable, Equatable, Sendable {
    /// Unique in the graph: `kind:name`, such as `block:storage`.
    public var id: String
    /// What the device is: `block`, `console`, `entropy`, `monotonic-clock`, `wall-clock`, `network`.
    public var kind: String
    /// The signature it satisfies: `Block`, `Console`, ...
    public var signature: String
    /// The name the user gave it, used in boot arguments (`--block:storage=FILE`).
    public var name: String
    /// Kind-specific parameters, such as a block device's default image and size.
    public var parameters: [String: String]
    /// Ids of the devices this one is built on.
    public var dependencies: [String]
    public var location: SourceLocation

    public init(id: String, kind: String, signature: String, name: String, parameters: [String: String], dependencies: [String], location: SourceLocation) {
        self.id = id
        self.kind = kind
        self.signature = signature
        self.name = name
        self.parameters = parameters
        self.dependencies = dependencies
        self.location = location
    }
}

/// A key: a configuration value fixed at configure time or given at boot.
public struct KeyDescription: Codable, Equatable, Sendable {
    public enum Stage: String, Codable, Sendable {
        /// Compiled in: set with `swift-mirage configure --NAME=VALUE`.
        case configure
        /// Given when the unikernel starts: `--NAME=VALUE`.
        case boot
    }

    public var name: String
    public var stage: Stage
    /// The Swift type of the value: `String`, `Int`, `Bool`, `UInt16`.
    public var type: String
    /// The default, as written on a command line; nil when the key is required.
    public var defaultValue: String?
    public var documentation: String
    public var location: SourceLocation

    public init(name: String, stage: Stage, type: String, defaultValue: String?, documentation: String, location: SourceLocation) {
        self.name = name
        self.stage = stage
        self.type = type
        self.defaultValue = defaultValue
        self.documentation = documentation
        self.location = location
    }
}

/// A place in `config.swift`.
public struct SourceLocation: Codable, Equatable, Hashable, Sendable, CustomStringConvertible {
    public var file: String
    public var line: Int

    public init(file: String, line: Int) {
        self.file = file
        self.line = line
    }

    public var description: String { "\(file):\(line)" }
}
