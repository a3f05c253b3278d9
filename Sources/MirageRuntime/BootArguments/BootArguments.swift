/// The boot arguments a unikernel was started with, checked against the keys it declares
/// (MirageOS's runtime arguments; `config.swift` declares the application's).
///
/// Forms accepted: `--key=value`, `--key value` (unless the value starts with `--`), a bare
/// `--flag` for a boolean key, and for the
/// logs `-l SETTING`, `-lSETTING`, `--logs=SETTING` (repeatable, see ``LogFilter``); `-h` or
/// `--help` asks for the help.
public struct BootArguments: Sendable {
    /// What ``parse(_:keys:)`` found.
    public enum Outcome {
        case success(BootArguments)
        /// `--help` was given.
        case help
        case failure(BootArgumentError)
    }

    /// Values by key name, given or defaulted, as written on the command line.
    public private(set) var texts: [String: String]
    /// The log filter built from the `-l` arguments.
    public private(set) var logFilter: LogFilter

    /// Creates arguments directly, as a test does.
    public init(texts: [String: String] = [:], logFilter: LogFilter = LogFilter()) {
        self.texts = texts
        self.logFilter = logFilter
    }

    /// The value of `name`, which must be a declared key with a default or required.
    public func value<Value: BootValue>(_ name: String, as type: Value.Type = Value.self) -> Value {
        guard let value = optionalValue(name, as: type) else {
            preconditionFailure("boot argument '\(name)' has no value: declare it with a default or as required")
        }
        return value
    }

    /// The value of `name`, or nil when it was not given and has no default.
    public func optionalValue<Value: BootValue>(_ name: String, as type: Value.Type = Value.self) -> Value? {
        guard let text = texts[name] else { return nil }
        guard let value = Value(bootArgument: text) else {
            preconditionFailure("boot argument '\(name)' was validated as another type")
        }
        return value
    }

    /// Parses `arguments` (the command line without the program name) against `keys`.
    public static func parse(_ arguments: [String], keys: [BootKey]) -> Outcome {
        var keysByName: [String: BootKey] = [:]
        for key in keys { keysByName[key.name] = key }
        var texts: [String: String] = [:]
        var logFilter = LogFilter()
        var index = 0

        func takeValue(for spelled: String, inline: String?) throws(BootArgumentError) -> String {
            if let inline { return inline }
            // The next argument is the value, unless it is another key: `--hello --verbose` is a
            // forgotten value, not the greeting "--verbose" (write `--hello=--verbose` for that).
            index += 1
            guard index < arguments.count, !arguments[index].hasPrefix("--") else { throw .missingValue(key: spelled) }
            return arguments[index]
        }

        do throws(BootArgumentError) {
            while index < arguments.count {
                let argument = arguments[index]
                if argument == "-h" || argument == "--help" { return .help }
                if argument.hasPrefix("-l") && !argument.hasPrefix("--")
                    || argument == "--logs" || argument.hasPrefix("--logs=") {
                    let (spelled, inline) = splitLogArgument(argument)
                    guard spelled == "-l" || spelled == "--logs" else {
                        throw .unknownKey(argument, suggestion: nil)
                    }
                    let setting = try takeValue(for: spelled, inline: inline)
                    do { try logFilter.apply(setting) } catch {
                        throw .malformedValue(key: spelled, value: setting, expected: "SOURCE:LEVEL (\(error))")
                    }
                    index += 1
                    continue
                }
                guard argument.hasPrefix("--"), argument.utf8.count > 2 else {
                    throw .unexpectedArgument(argument)
                }
                let body = argument.dropFirst(2)
                let name: String
                let inline: String?
                if let equals = body.firstIndex(of: "=") {
                    name = String(body[..<equals])
                    inline = String(body[body.index(after: equals)...])
                } else {
                    name = String(body)
                    inline = nil
                }
                let spelled = "--" + name
                guard let key = keysByName[name] else {
                    throw .unknownKey(spelled, suggestion: closestName(to: name, among: keys.map { $0.name }))
                }
                guard texts[name] == nil else { throw .repeatedKey(spelled) }
                let value = key.isFlag && inline == nil ? "true" : try takeValue(for: spelled, inline: inline)
                guard key.accepts(value) else {
                    throw .malformedValue(key: spelled, value: value, expected: key.expectation)
                }
                texts[name] = value
                index += 1
            }
            for key in keys where texts[key.name] == nil {
                if let text = key.defaultText {
                    texts[key.name] = text
                } else if key.isRequired {
                    throw .missingRequiredKey(key.name)
                }
            }
        } catch {
            return .failure(error)
        }
        return .success(BootArguments(texts: texts, logFilter: logFilter))
    }

    /// Splits `-lSETTING`, `-l=SETTING`, `--logs=SETTING` into the spelling and the inline value.
    private static func splitLogArgument(_ argument: String) -> (String, String?) {
        if argument.hasPrefix("--") {
            guard let equals = argument.firstIndex(of: "=") else { return (argument, nil) }
            return (String(argument[..<equals]), String(argument[argument.index(after: equals)...]))
        }
        let rest = argument.dropFirst(2)
        if rest.isEmpty { return ("-l", nil) }
        return ("-l", String(rest.hasPrefix("=") ? rest.dropFirst() : rest))
    }

    /// The declared name nearest to `name` by edit distance, when it is near enough to be a typo.
    static func closestName(to name: String, among names: [String]) -> String? {
        var best: (name: String, distance: Int)?
        for candidate in names {
            let distance = editDistance(Array(name.utf8), Array(candidate.utf8))
            if distance <= max(1, candidate.utf8.count / 3), distance < (best?.distance ?? .max) {
                best = (candidate, distance)
            }
        }
        return best?.name
    }

    static func editDistance(_ a: [UInt8], _ b: [UInt8]) -> Int {
        var previous = Array(0...b.count)
        for i in 1...max(a.count, 1) where !a.isEmpty {
            var current = [i] + [Int](repeating: 0, count: b.count)
            for j in 1...max(b.count, 1) where !b.isEmpty {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return a.isEmpty ? b.count : previous[b.count]
    }
}
