/// A word of a master file (RFC 1035 section 5.1): a run of characters between blanks, or a
/// quoted string. Escapes are kept as written (`\.` stays two bytes), since what they mean
/// depends on whether the word is read as a name or as a character-string.
struct DNSZoneToken: Equatable {
    var bytes: [UInt8]
    /// Whether it was written between `"` quotes.
    var isQuoted: Bool

    /// The bytes as text, for error messages.
    var text: String { String(decoding: bytes, as: UTF8.self) }

    /// Whether this is the unquoted word `word`, in any ASCII case.
    func isWord(_ word: String) -> Bool {
        !isQuoted && DNSText.equalIgnoringCase(bytes, word.utf8)
    }
}

/// One entry of a master file: a line, or several joined by parentheses (RFC 1035 section 5.1).
struct DNSZoneEntry {
    /// The line the entry starts on.
    var line: Int
    /// Whether the entry starts with an owner name or directive; an entry whose line starts
    /// with a blank takes the previous owner.
    var startsWithOwner: Bool
    var tokens: [DNSZoneToken]
}

/// Splits a master file into entries (RFC 1035 section 5.1): `;` starts a comment to the end of
/// the line, `(` and `)` let an entry go on over line ends, `"` quotes a string with blanks in
/// it, `\` escapes the next character.
enum DNSZoneLexer {
    static func entries(_ text: [UInt8]) throws(DNSZoneError) -> [DNSZoneEntry] {
        var entries: [DNSZoneEntry] = []
        var line = 1
        var index = 0
        var depth = 0
        var openedOnLine = 0
        var atLineStart = true
        var entry = DNSZoneEntry(line: 1, startsWithOwner: false, tokens: [])

        func isBlank(_ byte: UInt8) -> Bool {
            byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\r")
        }

        while index < text.count {
            let byte = text[index]
            if byte == UInt8(ascii: "\n") {
                line += 1
                index += 1
                if depth == 0 {
                    if !entry.tokens.isEmpty { entries.append(entry) }
                    entry.tokens = []
                    atLineStart = true
                }
                continue
            }
            if atLineStart {
                entry = DNSZoneEntry(line: line, startsWithOwner: !isBlank(byte), tokens: [])
                atLineStart = false
            }
            switch byte {
            case _ where isBlank(byte):
                index += 1
            case UInt8(ascii: ";"):
                while index < text.count, text[index] != UInt8(ascii: "\n") { index += 1 }
            case UInt8(ascii: "("):
                if depth == 0 { openedOnLine = line }
                depth += 1
                index += 1
            case UInt8(ascii: ")"):
                guard depth > 0 else { throw DNSZoneError(line: line, .unbalancedParentheses) }
                depth -= 1
                index += 1
            case UInt8(ascii: "\""):
                index += 1
                var bytes: [UInt8] = []
                while true {
                    guard index < text.count, text[index] != UInt8(ascii: "\n") else {
                        throw DNSZoneError(line: line, .unterminatedString)
                    }
                    let character = text[index]
                    index += 1
                    if character == UInt8(ascii: "\"") { break }
                    bytes.append(character)
                    if character == UInt8(ascii: "\\"), index < text.count, text[index] != UInt8(ascii: "\n") {
                        bytes.append(text[index])
                        index += 1
                    }
                }
                entry.tokens.append(DNSZoneToken(bytes: bytes, isQuoted: true))
            default:
                var bytes: [UInt8] = []
                while index < text.count {
                    let character = text[index]
                    if isBlank(character) || character == UInt8(ascii: "\n") || character == UInt8(ascii: ";")
                        || character == UInt8(ascii: "(") || character == UInt8(ascii: ")") || character == UInt8(ascii: "\"") {
                        break
                    }
                    bytes.append(character)
                    index += 1
                    if character == UInt8(ascii: "\\"), index < text.count, text[index] != UInt8(ascii: "\n") {
                        bytes.append(text[index])
                        index += 1
                    }
                }
                entry.tokens.append(DNSZoneToken(bytes: bytes, isQuoted: false))
            }
        }
        guard depth == 0 else { throw DNSZoneError(line: openedOnLine, .unbalancedParentheses) }
        if !entry.tokens.isEmpty { entries.append(entry) }
        return entries
    }
}
