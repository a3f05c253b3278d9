/// Why the boot arguments were refused. Each case names the argument and what was wrong with it.
public enum BootArgumentError: Error, Hashable, Sendable, CustomStringConvertible {
    /// No key of this name is declared; `suggestion` is a declared key with a similar name.
    case unknownKey(String, suggestion: String?)
    /// The key was last on the line with no value after it.
    case missingValue(key: String)
    /// The value does not parse as the key's type.
    case malformedValue(key: String, value: String, expected: String)
    /// A required key was not given.
    case missingRequiredKey(String)
    /// A key that takes one value was given twice.
    case repeatedKey(String)
    /// An argument that is not a key (`foo` rather than `--foo=...`).
    case unexpectedArgument(String)

    public var description: String {
        switch self {
        case let .unknownKey(key, suggestion):
            "unknown boot argument '\(key)'" + (suggestion.map { " (did you mean '--\($0)'?)" } ?? "")
        case let .missingValue(key):
            "boot argument '\(key)' needs a value"
        case let .malformedValue(key, value, expected):
            "invalid value '\(value)' for boot argument '\(key)': expected \(expected)"
        case let .missingRequiredKey(key):
            "boot argument '--\(key)' is required"
        case let .repeatedKey(key):
            "boot argument '\(key)' is given more than once"
        case let .unexpectedArgument(argument):
            "unexpected argument '\(argument)' (boot arguments are written --key=value or --key value)"
        }
    }
}
