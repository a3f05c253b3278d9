import MirageCore
@testable import MirageRuntime
import Testing

/// Boot arguments: the forms accepted, typed values, the log filter, every refusal with its message,
/// and the `--help` text.
@Suite("BootArguments")
struct BootArgumentsTests {

    /// The keys of a small application: one of each value type, and one without a default.
    static let keys: [BootKey] = [
        BootKey("hello", of: String.self, default: "Hello World!", documentation: "How to say hello."),
        BootKey("count", of: Int.self, default: 4, documentation: "How many times to say it."),
        BootKey("port", of: UInt16.self, default: 8080, documentation: "The TCP port to listen on."),
        BootKey("verbose", of: Bool.self, default: false, documentation: "Say more."),
        BootKey("name", of: String.self, documentation: "Who to greet."),
    ]

    /// A device key that must be given.
    static let disk = BootKey(
        "block:storage", of: String.self, required: true, form: "FILE",
        documentation: "The disk image.", group: .device)

    /// The arguments parsed from `arguments`, failing the test when parsing does not succeed.
    func parse(_ arguments: [String], keys: [BootKey] = keys) throws -> BootArguments {
        switch BootArguments.parse(arguments, keys: keys) {
        case let .success(parsed):
            return parsed
        case .help:
            Issue.record("\(arguments) asked for help")
        case let .failure(error):
            Issue.record("\(arguments) failed: \(error)")
        }
        throw Refused()
    }

    @Test("wasGiven tells a value from the command line from a default")
    func wasGiven() throws {
        let parsed = try parse(["--count=4", "--name", "Ada"])
        #expect(parsed.wasGiven("count") && parsed.wasGiven("name"))
        #expect(!parsed.wasGiven("hello") && !parsed.wasGiven("port"))
        #expect(parsed.value("hello", as: String.self) == "Hello World!")
        #expect(!parsed.wasGiven("unknown"))
    }

    /// The error parsing `arguments` gives, or nil (and a recorded issue) when it does not fail.
    func error(_ arguments: [String], keys: [BootKey] = keys) -> BootArgumentError? {
        switch BootArguments.parse(arguments, keys: keys) {
        case let .failure(error):
            return error
        case .success, .help:
            Issue.record("\(arguments) did not fail")
            return nil
        }
    }

    struct Refused: Error {}

    // MARK: - Forms of a key and its value

    @Test("a value is given as --key=value or as --key value",
          arguments: [["--hello=Bonjour"], ["--hello", "Bonjour"]])
    func keyAndValue(arguments: [String]) throws {
        let parsed = try parse(arguments)
        #expect(parsed.value("hello", as: String.self) == "Bonjour")
        #expect(parsed.texts["hello"] == "Bonjour")
    }

    @Test("in --key=value the value is everything after the first '=', and may be empty",
          arguments: [("--hello=a=b", "a=b"), ("--hello=", ""), ("--hello= spaced out ", " spaced out ")])
    func valueAfterFirstEquals(argument: String, value: String) throws {
        #expect(try parse([argument]).value("hello", as: String.self) == value)
    }

    @Test("in --key value the next argument is the value, even when it starts with a single '-'")
    func separateValueStartingWithDash() throws {
        let parsed = try parse(["--count", "-3"])
        #expect(parsed.value("count", as: Int.self) == -3)
    }

    @Test("in --key value a next argument starting with '--' is another key: the value is missing")
    func separateValueIsAnotherKey() throws {
        #expect(error(["--hello", "--verbose"]) == .missingValue(key: "--hello"))
        #expect(try parse(["--hello=--verbose"]).value("hello", as: String.self) == "--verbose")
    }

    @Test("a bare --flag sets a boolean key to true")
    func bareFlag() throws {
        let parsed = try parse(["--verbose"])
        #expect(parsed.value("verbose", as: Bool.self) == true)
        #expect(parsed.texts["verbose"] == "true")
    }

    @Test("a boolean key takes true, yes, on, 1 and false, no, off, 0 after '='",
          arguments: [
              ("true", true), ("yes", true), ("on", true), ("1", true),
              ("false", false), ("no", false), ("off", false), ("0", false),
          ])
    func booleanSpellings(text: String, value: Bool) throws {
        #expect(try parse(["--verbose=\(text)"]).value("verbose", as: Bool.self) == value)
    }

    @Test("a bare --flag never takes the next argument as its value")
    func bareFlagDoesNotTakeTheNextArgument() {
        #expect(error(["--verbose", "false"]) == .unexpectedArgument("false"))
    }

    @Test("keys not given take their defaults; a key without a default is absent")
    func defaults() throws {
        let parsed = try parse([])
        #expect(parsed.texts == ["hello": "Hello World!", "count": "4", "port": "8080", "verbose": "false"])
        #expect(parsed.value("hello", as: String.self) == "Hello World!")
        #expect(parsed.value("count", as: Int.self) == 4)
        #expect(parsed.value("port", as: UInt16.self) == 8080)
        #expect(parsed.value("verbose", as: Bool.self) == false)
        #expect(parsed.optionalValue("name", as: String.self) == nil)
    }

    @Test("values come back as the key's type")
    func typedValues() throws {
        let parsed = try parse(["--hello=hi", "--count=-12", "--port", "53", "--verbose=yes", "--name=world"])
        #expect(parsed.value("hello", as: String.self) == "hi")
        #expect(parsed.value("count", as: Int.self) == -12)
        #expect(parsed.value("port", as: UInt16.self) == 53)
        #expect(parsed.value("verbose", as: Bool.self) == true)
        #expect(parsed.optionalValue("name", as: String.self) == "world")
        #expect(parsed.value("name", as: String.self) == "world")
        // The text is kept as written; the typed value is parsed from it.
        #expect(parsed.texts["verbose"] == "yes")
    }

    @Test("UInt16 keys accept 0 through 65535",
          arguments: [("0", 0), ("65535", 65535), ("443", 443)] as [(String, UInt16)])
    func portRange(text: String, port: UInt16) throws {
        #expect(try parse(["--port=\(text)"]).value("port", as: UInt16.self) == port)
    }

    @Test("a required key that is given satisfies the requirement")
    func requiredKeyGiven() throws {
        let parsed = try parse(["--block:storage=disk.img"], keys: Self.keys + [Self.disk])
        #expect(parsed.value("block:storage", as: String.self) == "disk.img")
    }

    @Test("a key is matched by its bytes: a name equal by Unicode equivalence but spelled otherwise is unknown")
    func keysMatchByBytes() throws {
        let keys = [BootKey("caf\u{E9}", of: String.self, default: "", documentation: "Precomposed.")]
        #expect(try parse(["--caf\u{E9}=au lait"], keys: keys).value("caf\u{E9}", as: String.self) == "au lait")
        #expect(error(["--cafe\u{301}=au lait"], keys: keys) == .unknownKey("--cafe\u{301}", suggestion: nil))
    }

    @Test("arguments made directly hold the texts and filter given")
    func directInit() {
        let arguments = BootArguments(texts: ["count": "7"], logFilter: LogFilter(defaultThreshold: .debug))
        #expect(arguments.value("count", as: Int.self) == 7)
        #expect(arguments.logFilter == LogFilter(defaultThreshold: .debug))
        #expect(BootArguments().texts == [:])
        #expect(BootArguments().logFilter == LogFilter())
    }

    // MARK: - Logs

    @Test("-l and --logs settings build the log filter, in every spelling",
          arguments: [
              ([], LogFilter()),
              (["-l", "debug"], LogFilter(defaultThreshold: .debug)),
              (["-ldebug"], LogFilter(defaultThreshold: .debug)),
              (["-l=net:debug"], LogFilter(defaultThreshold: .info, thresholds: ["net": .debug])),
              (["-lnet:debug"], LogFilter(defaultThreshold: .info, thresholds: ["net": .debug])),
              (["--logs=*:warning"], LogFilter(defaultThreshold: .warning)),
              (["--logs", "net:debug"], LogFilter(defaultThreshold: .info, thresholds: ["net": .debug])),
              (["-l", "quiet"], LogFilter(defaultThreshold: nil)),
              (["-l", "*:warning,net:debug"], LogFilter(defaultThreshold: .warning, thresholds: ["net": .debug])),
          ] as [([String], LogFilter)])
    func logSettings(arguments: [String], filter: LogFilter) throws {
        #expect(try parse(arguments).logFilter == filter)
    }

    @Test("-l is repeatable, later settings winning, and mixes with other keys")
    func repeatedLogSettings() throws {
        let parsed = try parse(["-l", "*:warning", "--count=2", "-lnet:debug", "--logs=tcp:quiet", "-l", "net:error"])
        #expect(parsed.logFilter == LogFilter(defaultThreshold: .warning, thresholds: ["net": .error, "tcp": nil]))
        #expect(parsed.value("count", as: Int.self) == 2)
        #expect(try parse(["-l", "net:debug", "-l", "*:error"]).logFilter == LogFilter(defaultThreshold: .error))
    }

    @Test("a declared key whose name starts with 'logs' is a key, not a log setting")
    func keyStartingWithLogs() throws {
        let keys = [BootKey("logserver", of: String.self, default: "none", documentation: "Where to send logs.")]
        let parsed = try parse(["--logserver=10.0.0.2", "--logs=debug"], keys: keys)
        #expect(parsed.value("logserver", as: String.self) == "10.0.0.2")
        #expect(parsed.logFilter == LogFilter(defaultThreshold: .debug))
    }

    // MARK: - Help

    @Test("-h and --help ask for the help, wherever they are and whatever follows them",
          arguments: [["-h"], ["--help"], ["--count=2", "--help"], ["-h", "--nonsense"], ["--help", "foo"]])
    func help(arguments: [String]) {
        guard case .help = BootArguments.parse(arguments, keys: Self.keys) else {
            Issue.record("\(arguments) did not ask for help")
            return
        }
    }

    @Test("an error before --help is reported rather than the help")
    func errorBeforeHelp() {
        #expect(error(["--count=x", "--help"]) == .malformedValue(key: "--count", value: "x", expected: "an integer"))
    }

    // MARK: - Errors

    @Test("every refusal names the argument and what was wrong, in its description",
          arguments: [
              (["--helo=x"], BootArgumentError.unknownKey("--helo", suggestion: "hello"),
               "unknown boot argument '--helo' (did you mean '--hello'?)"),
              (["--prot", "80"], .unknownKey("--prot", suggestion: nil),
               "unknown boot argument '--prot'"),
              (["--colour=red"], .unknownKey("--colour", suggestion: nil),
               "unknown boot argument '--colour'"),
              (["--logsx"], .unknownKey("--logsx", suggestion: nil),
               "unknown boot argument '--logsx'"),
              (["--count=2", "--hello"], .missingValue(key: "--hello"),
               "boot argument '--hello' needs a value"),
              (["-l"], .missingValue(key: "-l"),
               "boot argument '-l' needs a value"),
              (["--logs"], .missingValue(key: "--logs"),
               "boot argument '--logs' needs a value"),
              (["--count=abc"], .malformedValue(key: "--count", value: "abc", expected: "an integer"),
               "invalid value 'abc' for boot argument '--count': expected an integer"),
              (["--count", "1.5"], .malformedValue(key: "--count", value: "1.5", expected: "an integer"),
               "invalid value '1.5' for boot argument '--count': expected an integer"),
              (["--verbose=maybe"], .malformedValue(key: "--verbose", value: "maybe", expected: "true or false"),
               "invalid value 'maybe' for boot argument '--verbose': expected true or false"),
              (["--port=70000"], .malformedValue(key: "--port", value: "70000", expected: "an integer from 0 to 65535"),
               "invalid value '70000' for boot argument '--port': expected an integer from 0 to 65535"),
              (["--port=-1"], .malformedValue(key: "--port", value: "-1", expected: "an integer from 0 to 65535"),
               "invalid value '-1' for boot argument '--port': expected an integer from 0 to 65535"),
              (["-l", "loud"],
               .malformedValue(
                   key: "-l", value: "loud",
                   expected: "SOURCE:LEVEL (unknown log level 'loud' "
                       + "(expected quiet, app, error, warning, info or debug))"),
               "invalid value 'loud' for boot argument '-l': expected SOURCE:LEVEL "
                   + "(unknown log level 'loud' (expected quiet, app, error, warning, info or debug))"),
              (["--logs=:debug"],
               .malformedValue(
                   key: "--logs", value: ":debug",
                   expected: "SOURCE:LEVEL (log setting ':debug' has an empty source name "
                       + "(expected SOURCE:LEVEL or *:LEVEL))"),
               "invalid value ':debug' for boot argument '--logs': expected SOURCE:LEVEL "
                   + "(log setting ':debug' has an empty source name (expected SOURCE:LEVEL or *:LEVEL))"),
              (["--hello=a", "--hello", "b"], .repeatedKey("--hello"),
               "boot argument '--hello' is given more than once"),
              (["--verbose", "--verbose=false"], .repeatedKey("--verbose"),
               "boot argument '--verbose' is given more than once"),
              (["foo"], .unexpectedArgument("foo"),
               "unexpected argument 'foo' (boot arguments are written --key=value or --key value)"),
              (["--"], .unexpectedArgument("--"),
               "unexpected argument '--' (boot arguments are written --key=value or --key value)"),
              (["-v"], .unexpectedArgument("-v"),
               "unexpected argument '-v' (boot arguments are written --key=value or --key value)"),
              (["--hello", "a", "b"], .unexpectedArgument("b"),
               "unexpected argument 'b' (boot arguments are written --key=value or --key value)"),
          ] as [([String], BootArgumentError, String)])
    func refusals(arguments: [String], expected: BootArgumentError, description: String) {
        let refusal = error(arguments)
        #expect(refusal == expected)
        #expect(refusal?.description == description)
    }

    @Test("a required key that is not given is refused")
    func missingRequiredKey() {
        let refusal = error(["--count=1"], keys: Self.keys + [Self.disk])
        #expect(refusal == .missingRequiredKey("block:storage"))
        #expect(refusal?.description == "boot argument '--block:storage' is required")
    }

    @Test("a required key with a default is not required")
    func requiredWithDefault() throws {
        let key = BootKey("mode", of: String.self, default: "fast", required: true, documentation: "The mode.")
        #expect(!key.isRequired)
        #expect(try parse([], keys: [key]).value("mode", as: String.self) == "fast")
    }

    @Test("the first refusal on the line is the one reported")
    func firstRefusalWins() {
        #expect(error(["foo", "--nonsense"]) == .unexpectedArgument("foo"))
        #expect(error(["--nonsense", "foo"]) == .unknownKey("--nonsense", suggestion: nil))
    }

    // MARK: - Suggestions

    @Test("editDistance counts single-byte insertions, deletions and substitutions",
          arguments: [
              ("", "", 0), ("", "abc", 3), ("abc", "", 3), ("same", "same", 0),
              ("helo", "hello", 1), ("hello", "helo", 1), ("hallo", "hello", 1),
              ("kitten", "sitting", 3), ("prot", "port", 2), ("flaw", "lawn", 2),
          ])
    func editDistance(a: String, b: String, distance: Int) {
        #expect(BootArguments.editDistance(Array(a.utf8), Array(b.utf8)) == distance)
    }

    @Test("closestName suggests the nearest declared name within a third of its length (at least 1)",
          arguments: [
              ("helo", ["count", "hello"], "hello"),
              ("portt", ["port"], "port"),
              ("prot", ["port"], nil),
              ("ipv4-gatway", ["ipv4", "ipv4-gateway"], "ipv4-gateway"),
              ("ipv4-gw", ["ipv4-gateway"], nil),
              ("cut", ["cat", "cut"], "cut"),
              ("bat", ["cat", "hat"], "cat"),
              ("xyz", ["hello"], nil),
              ("hello", [], nil),
          ] as [(String, [String], String?)])
    func closestName(name: String, names: [String], suggestion: String?) {
        #expect(BootArguments.closestName(to: name, among: names) == suggestion)
    }

    // MARK: - The help text

    static let helpKeys: [BootKey] = [
        BootKey("ipv4", of: String.self, default: "10.0.0.2/24", form: "IPV4/PREFIX",
                documentation: "The address of the interface.", group: .network),
        disk,
        BootKey("hello", of: String.self, default: "Hello World!", documentation: "How to say hello."),
        BootKey("greeting-suffix", of: String.self, default: "", documentation: "Text after the greeting."),
        BootKey("name", of: String.self, documentation: "Who to greet."),
        BootKey("port", of: UInt16.self, default: 8080, documentation: "The TCP port to listen on."),
    ]

    @Test("help lists each key as --name=FORM with its documentation and default or requirement")
    func helpListsKeys() {
        let text = BootArguments.help(unikernel: "hello", keys: Self.helpKeys)
        #expect(text.hasPrefix("hello: a swift-mirage unikernel\n\nUsage: hello [BOOT ARGUMENTS]\n"))
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)

        func line(starting spelling: String) -> String? {
            lines.first { $0.hasPrefix("  " + spelling + " ") }
        }
        #expect(line(starting: "--hello=STRING")?.hasSuffix(" How to say hello. (default: Hello World!)") == true)
        #expect(line(starting: "--greeting-suffix=STRING")?
            .hasSuffix(" Text after the greeting. (default: \"\")") == true)
        #expect(line(starting: "--name=STRING")?.hasSuffix(" Who to greet.") == true)
        #expect(line(starting: "--port=0-65535")?.hasSuffix(" The TCP port to listen on. (default: 8080)") == true)
        #expect(line(starting: "--block:storage=FILE")?.hasSuffix(" The disk image. (required)") == true)
        #expect(line(starting: "--ipv4=IPV4/PREFIX")?
            .hasSuffix(" The address of the interface. (default: 10.0.0.2/24)") == true)
        #expect(line(starting: "-l, --logs=SOURCE:LEVEL")?.contains("(default: *:info)") == true)
        #expect(line(starting: "-h, --help")?.hasSuffix(" Show this help and exit.") == true)
    }

    @Test("help groups keys under Application, Devices, Network and Runtime, in that order")
    func helpGroupOrder() throws {
        let text = BootArguments.help(unikernel: "hello", keys: Self.helpKeys)
        let headings = text.split(separator: "\n").filter { $0.hasSuffix(":") && !$0.hasPrefix(" ") }
        #expect(headings == ["Application:", "Devices:", "Network:", "Runtime:"])

        let application = try #require(text.firstRange(of: "\nApplication:\n"))
        let devices = try #require(text.firstRange(of: "\nDevices:\n"))
        let runtime = try #require(text.firstRange(of: "\nRuntime:\n"))
        #expect(try #require(text.firstRange(of: "--hello=")).lowerBound > application.upperBound)
        #expect(try #require(text.firstRange(of: "--hello=")).lowerBound < devices.lowerBound)
        #expect(try #require(text.firstRange(of: "--block:storage=")).lowerBound > devices.upperBound)
        #expect(try #require(text.firstRange(of: "-l, --logs=")).lowerBound > runtime.upperBound)
    }

    @Test("help leaves out groups without keys and keeps keys in declaration order within a group")
    func helpWithFewKeys() {
        let keys = [
            BootKey("zeta", of: Int.self, default: 1, documentation: "Last letter."),
            BootKey("alpha", of: Int.self, default: 2, documentation: "First letter."),
        ]
        #expect(BootArguments.help(unikernel: "letters", keys: keys) == """
            letters: a swift-mirage unikernel

            Usage: letters [BOOT ARGUMENTS]

            Application:
              --zeta=INT               Last letter. (default: 1)
              --alpha=INT              First letter. (default: 2)

            Runtime:
              -l, --logs=SOURCE:LEVEL  Show log messages up to LEVEL (quiet, app, error, warning, info, debug) \
            from SOURCE, or from every source with * or no SOURCE; repeatable. (default: *:info)
              -h, --help               Show this help and exit.

            """)
    }

    @Test("help puts the documentation of a spelling longer than 32 characters on the next line")
    func helpWrapsLongSpellings() {
        let keys = [BootKey("a-very-long-key-name-indeed", of: String.self, form: "SOMETHING", documentation: "Long.")]
        let text = BootArguments.help(unikernel: "u", keys: keys)
        let indent = String(repeating: " ", count: 36)
        #expect(text.contains("\n  --a-very-long-key-name-indeed=SOMETHING\n" + indent + "Long.\n"))
    }
}
