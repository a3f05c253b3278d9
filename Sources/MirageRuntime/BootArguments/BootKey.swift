/// A boot argument the unikernel accepts: `--NAME=VALUE` or `--NAME VALUE` on its command line.
///
/// Applications declare theirs in the manifest (`config.swift`); devices add theirs
/// (`--block:storage=FILE`); the runtime adds `-l`/`--logs` and `--help`.
public struct BootKey {
    /// What the key configures, for grouping in `--help`.
    public enum Group: Int, Comparable, Sendable {
        case application, device, network, runtime

        public static func < (lhs: Group, rhs: Group) -> Bool { lhs.rawValue < rhs.rawValue }

        var title: String {
            switch self {
            case .application: "Application"
            case .device: "Devices"
            case .network: "Network"
            case .runtime: "Runtime"
            }
        }
    }

    /// The name after `--`.
    public let name: String
    /// The value's form for `--help`: `STRING`, `INT`, `FILE`.
    public let form: String
    /// What a well-formed value looks like, for errors.
    public let expectation: String
    /// The default as written on the command line; nil when the key has none.
    public let defaultText: String?
    /// Whether the unikernel refuses to start without the key (only for keys without default).
    public let isRequired: Bool
    /// One sentence for `--help`.
    public let documentation: String
    /// Where `--help` lists the key.
    public let group: Group
    let isFlag: Bool
    let accepts: (String) -> Bool

    /// Declares a key whose values are `Value`s.
    ///
    /// - Parameters:
    ///   - name: the name after `--`; letters, digits, `-`, `_`, `.` and `:`.
    ///   - default: the value when the key is absent; nil for none.
    ///   - required: with no default, whether the key must be given.
    ///   - form: overrides the value's form in `--help` (for example `FILE` for a path).
    public init<Value: BootValue>(
        _ name: String, of type: Value.Type, default: Value? = nil, required: Bool = false,
        form: String? = nil, documentation: String, group: Group = .application
    ) {
        self.name = name
        self.form = form ?? Value.bootArgumentForm
        expectation = Value.bootArgumentExpectation
        defaultText = `default`?.bootArgumentText
        isRequired = required && `default` == nil
        self.documentation = documentation
        self.group = group
        isFlag = Value.self == Bool.self
        accepts = { Value(bootArgument: $0) != nil }
    }
}
