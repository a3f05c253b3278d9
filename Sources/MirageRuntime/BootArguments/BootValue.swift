/// A type a boot argument's value can have: parsed from the command line, printed for `--help`.
public protocol BootValue {
    /// Parses a value as written on the command line; nil when malformed.
    init?(bootArgument text: String)
    /// The value as it would be written on the command line.
    var bootArgumentText: String { get }
    /// A word for the value's form in `--help` and in errors: `STRING`, `INT`, `BOOL`, `IPV4/PREFIX`.
    static var bootArgumentForm: String { get }
    /// What a well-formed value looks like, for error messages: "an integer".
    static var bootArgumentExpectation: String { get }
}

extension String: BootValue {
    public init?(bootArgument text: String) { self = text }
    public var bootArgumentText: String { self }
    public static var bootArgumentForm: String { "STRING" }
    public static var bootArgumentExpectation: String { "a string" }
}

extension Int: BootValue {
    public init?(bootArgument text: String) {
        guard let value = Int(text) else { return nil }
        self = value
    }
    public var bootArgumentText: String { String(self) }
    public static var bootArgumentForm: String { "INT" }
    public static var bootArgumentExpectation: String { "an integer" }
}

extension UInt16: BootValue {
    public init?(bootArgument text: String) {
        guard let value = UInt16(text) else { return nil }
        self = value
    }
    public var bootArgumentText: String { String(self) }
    public static var bootArgumentForm: String { "0-65535" }
    public static var bootArgumentExpectation: String { "an integer from 0 to 65535" }
}

extension UInt32: BootValue {
    public init?(bootArgument text: String) {
        guard let value = UInt32(text) else { return nil }
        self = value
    }
    public var bootArgumentText: String { String(self) }
    public static var bootArgumentForm: String { "COUNT" }
    public static var bootArgumentExpectation: String { "an integer from 0 to 4294967295" }
}

extension Bool: BootValue {
    public init?(bootArgument text: String) {
        if ["true", "yes", "on", "1"].contains(where: text.hasSameSpelling(as:)) {
            self = true
        } else if ["false", "no", "off", "0"].contains(where: text.hasSameSpelling(as:)) {
            self = false
        } else {
            return nil
        }
    }
    public var bootArgumentText: String { self ? "true" : "false" }
    public static var bootArgumentForm: String { "BOOL" }
    public static var bootArgumentExpectation: String { "true or false" }
}
