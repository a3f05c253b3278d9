import MirageCore

/// The presentation form of names (RFC 1035 section 5.1; RFC 4343 section 2.1): labels
/// separated by `.`, `\c` for a character `c` taken literally and `\DDD` for the byte of
/// decimal value `DDD`.
extension DNSName: CustomStringConvertible, LosslessStringConvertible {
    /// Reads a name in presentation form.
    ///
    /// `.` alone is the root. A name ending in an unescaped `.` is absolute. Any other name is
    /// relative and is completed with `origin`; `@` stands for `origin` itself. Without an
    /// origin, a relative name is taken as absolute, so that `DNSName(parsing: "example.org")`
    /// and `DNSName(parsing: "example.org.")` are the same name.
    ///
    /// - Parameters:
    ///   - text: the name's bytes, escapes included.
    ///   - origin: the name that relative names are relative to, or nil.
    ///   - requiresOrigin: whether a relative name without an origin, or `@` without one, fails
    ///     with ``DNSNameError/missingOrigin`` instead of being taken as absolute.
    /// - Throws: ``DNSNameError`` for an empty label, a bad escape or a label or name too long.
    public init(
        parsing text: some Collection<UInt8>, origin: DNSName? = nil, requiresOrigin: Bool = false
    ) throws(DNSNameError) {
        let bytes = Array(text)
        if bytes == [UInt8(ascii: "@")] {
            guard let origin else { throw .missingOrigin }
            self = origin
            return
        }
        if bytes == [UInt8(ascii: ".")] {
            self = .root
            return
        }
        guard !bytes.isEmpty else { throw .emptyLabel }
        var labels: [[UInt8]] = []
        var label: [UInt8] = []
        var isAbsolute = false
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            if byte == UInt8(ascii: ".") {
                guard !label.isEmpty else { throw .emptyLabel }
                labels.append(label)
                label = []
                if index == bytes.count { isAbsolute = true }
                continue
            }
            if byte == UInt8(ascii: "\\") {
                label.append(try Self.unescape(bytes, at: &index))
            } else {
                label.append(byte)
            }
            guard label.count <= Self.maximumLabelLength else { throw .labelTooLong(length: label.count) }
        }
        if !label.isEmpty { labels.append(label) }
        let name = try DNSName(labels: labels)
        if isAbsolute {
            self = name
        } else if let origin {
            self = try name.appending(origin)
        } else {
            guard !requiresOrigin else { throw .missingOrigin }
            self = name
        }
    }

    /// Reads a name in presentation form; see ``init(parsing:origin:requiresOrigin:)``.
    public init(parsing text: some StringProtocol, origin: DNSName? = nil) throws(DNSNameError) {
        try self.init(parsing: text.utf8, origin: origin)
    }

    /// Reads an absolute name in presentation form, with or without its final `.`, or returns
    /// nil; see ``init(parsing:origin:requiresOrigin:)``.
    public init?(_ description: String) {
        guard let name = try? DNSName(parsing: description.utf8) else { return nil }
        self = name
    }

    /// The byte that an escape stands for, reading after its backslash (RFC 1035 section 5.1):
    /// `\DDD` with three decimal digits, or `\c` for any other character `c`.
    ///
    /// - Parameter index: the index after the backslash; moved past the escape.
    static func unescape(_ bytes: [UInt8], at index: inout Int) throws(DNSNameError) -> UInt8 {
        guard index < bytes.count else { throw .badEscape }
        guard ASCIIDigit.isDecimal(bytes[index]) else {
            index += 1
            return bytes[index - 1]
        }
        guard index + 3 <= bytes.count, let value = ASCIIDigit.decimalNumber(bytes[index..<index + 3], maximum: 255) else {
            throw .badEscape
        }
        index += 3
        return UInt8(value)
    }

    /// The absolute presentation form, ending in `.`, with `\c` for the characters special in
    /// master files and `\DDD` for bytes that are not printable ASCII.
    public var description: String {
        if isRoot { return "." }
        var text: [UInt8] = []
        for label in labels {
            Self.appendEscaped(label, to: &text, escapingDot: true)
            text.append(UInt8(ascii: "."))
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// The presentation form relative to `origin`: `@` for the origin itself, the leading labels
    /// without a final dot for a name below it, and the absolute form for any other name.
    public func description(relativeTo origin: DNSName) -> String {
        guard let relative = labels(relativeTo: origin) else { return description }
        if relative.isEmpty { return "@" }
        var text: [UInt8] = []
        for (index, label) in relative.enumerated() {
            if index > 0 { text.append(UInt8(ascii: ".")) }
            Self.appendEscaped(label, to: &text, escapingDot: true)
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// Appends `bytes` in presentation form: printable ASCII as it is, except the characters
    /// special in master files (RFC 1035 section 5.1) as `\c`, and other bytes as `\DDD`.
    static func appendEscaped(_ bytes: some Collection<UInt8>, to text: inout [UInt8], escapingDot: Bool) {
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "."):
                if escapingDot { text.append(UInt8(ascii: "\\")) }
                text.append(byte)
            case UInt8(ascii: "\\"), UInt8(ascii: "\""), UInt8(ascii: "("), UInt8(ascii: ")"),
                 UInt8(ascii: ";"), UInt8(ascii: "@"), UInt8(ascii: "$"):
                text.append(UInt8(ascii: "\\"))
                text.append(byte)
            case 0x21...0x7e:
                text.append(byte)
            default:
                DNSText.appendDecimalEscape(byte, to: &text)
            }
        }
    }
}
