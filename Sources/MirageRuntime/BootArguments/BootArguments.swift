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
    public var texts: [String: String] {
        var texts: [String: String] = [:]
        for value in values { texts[value.name] = value.text }
        return texts
    }
    /// The log filter built from the `-l` arguments.
    public private(set) var logFilter: LogFilter

    /// The values, each key at most once. Keys are matched byte for byte
    /// (``Swift/StringProtocol/hasSameSpelling(as:)``): parsing the command line then hashes
    /// and normalises no strings, which keeps Unicode tables out of Embedded images.
    private var values: [(name: String, text: String)]
    /// How many of ``values``, from the first, were given on the command line: the defaults come
    /// after them.
    private var givenCount: Int

    /// Creates arguments directly, as a test does.
    public init(texts: [String: String] = [:], logFilter: LogFilter = LogFilter()) {
        self.init(values: texts.map { ($0.key, $0.value) }, logFilter: logFilter)
    }

    private init(values: [(name: String, text: String)], logFilter: LogFilter) {
        self.values = values
        givenCount = values.count
        self.logFilter = logFilter
    }

    /// The text given or defaulted for key `name`.
    private func text(of name: String) -> String? {
        values.first { $0.name.hasSameSpelling(as: name) }?.text
    }

    /// Whether `name` was given on the command line, rather than taking its default: for a
    /// default that depends on the machine (a cap scaled to the guest's memory) where the key's
    /// declared default is only typical.
    public func wasGiven(_ name: String) -> Bool {
        values[..<givenCount].contains { $0.name.hasSameSpelling(as: name) }
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
        guard let text = text(of: name) else { return nil }
        guard let value = Value(bootArgument: text) else {
            preconditionFailure("boot argument '\(name)' was validated as another type")
        }
        return value
    }

    /// Parses `arguments` (the command line without the program name) against `keys`.
    public static func parse(_ arguments: [String], keys: [BootKey]) -> Outcome {
        var parsed = BootArguments(values: [], logFilter: LogFilter())
        var index = 0

        func takeValue(for spelled: String, inline: String?) throws(BootArgumentError) -> String {
            if let inline { return inline }
            // The next argument is the value, unless it is another key: `--hello --verbose` is a
            // forgotten value, not the greeting "--verbose" (write `--hello=--verbose` for that).
            index += 1
            guard index < arguments.count, !arguments[index].startsWithSpelling(of: "--") else { throw .missingValue(key: spelled) }
            return arguments[index]
        }

        do throws(BootArgumentError) {
            while index < arguments.count {
                let argument = arguments[index]
                if argument.hasSameSpelling(as: "-h") || argument.hasSameSpelling(as: "--help") { return .help }
                if argument.startsWithSpelling(of: "-l") && !argument.startsWithSpelling(of: "--")
                    || argument.hasSameSpelling(as: "--logs") || argument.startsWithSpelling(of: "--logs=") {
                    let (spelled, inline) = splitLogArgument(argument)
                    guard spelled.hasSameSpelling(as: "-l") || spelled.hasSameSpelling(as: "--logs") else {
                        throw .unknownKey(argument, suggestion: nil)
                    }
                    let setting = try takeValue(for: spelled, inline: inline)
                    do { try parsed.logFilter.apply(setting) } catch {
                        throw .malformedValue(key: spelled, value: setting, expected: "SOURCE:LEVEL (\(error))")
                    }
                    index += 1
                    continue
                }
                guard argument.startsWithSpelling(of: "--"), argument.utf8.count > 2 else {
                    throw .unexpectedArgument(argument)
                }
                let (name, inline) = splitKeyArgument(argument)
                let spelled = "--" + name
                guard let key = keys.last(where: { $0.name.hasSameSpelling(as: name) }) else {
                    throw .unknownKey(spelled, suggestion: closestName(to: name, among: keys.map { $0.name }))
                }
                guard parsed.text(of: name) == nil else { throw .repeatedKey(spelled) }
                let value = key.isFlag && inline == nil ? "true" : try takeValue(for: spelled, inline: inline)
                guard key.accepts(value) else {
                    throw .malformedValue(key: spelled, value: value, expected: key.expectation)
                }
                parsed.values.append((name, value))
                index += 1
            }
            parsed.givenCount = parsed.values.count
            for key in keys where parsed.text(of: key.name) == nil {
                if let text = key.defaultText {
                    parsed.values.append((key.name, text))
                } else if key.isRequired {
                    throw .missingRequiredKey(key.name)
                }
            }
        } catch {
            return .failure(error)
        }
        return .success(parsed)
    }

    /// Splits `--NAME=VALUE` into `NAME` and `VALUE` (everything after the first `=`), and
    /// `--NAME` into `NAME` and nil.
    private static func splitKeyArgument(_ argument: String) -> (String, String?) {
        let body = argument.utf8.dropFirst(2)
        guard let equals = body.firstIndex(of: UInt8(ascii: "=")) else { return (String(decoding: body, as: UTF8.self), nil) }
        return (String(decoding: body[..<equals], as: UTF8.self),
                String(decoding: body[body.index(after: equals)...], as: UTF8.self))
    }

    /// Splits `-lSETTING`, `-l=SETTING`, `--logs=SETTING` into the spelling and the inline value.
    private static func splitLogArgument(_ argument: String) -> (String, String?) {
        let bytes = argument.utf8
        if argument.startsWithSpelling(of: "--") {
            guard let equals = bytes.firstIndex(of: UInt8(ascii: "=")) else { return (argument, nil) }
            return (String(decoding: bytes[..<equals], as: UTF8.self),
                    String(decoding: bytes[bytes.index(after: equals)...], as: UTF8.self))
        }
        let rest = bytes.dropFirst(2)
        if rest.isEmpty { return ("-l", nil) }
        return ("-l", String(decoding: rest.first == UInt8(ascii: "=") ? rest.dropFirst() : rest, as: UTF8.self))
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
