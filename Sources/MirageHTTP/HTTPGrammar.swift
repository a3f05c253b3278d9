import MirageCore

/// The grammar of HTTP/1.1 messages (RFC 9112), shared by the request and response parsers: start
/// lines, versions, field lines and chunk sizes. Each function takes one line without its ending.
enum HTTPGrammar {
    /// request-line = method SP request-target SP HTTP-version (RFC 9112 section 3).
    static func parseRequestLine(_ line: ArraySlice<UInt8>) throws(HTTPParseError) -> HTTPRequestHead {
        guard let firstSpace = line.firstIndex(of: 32), let secondSpace = line[(firstSpace + 1)...].firstIndex(of: 32),
              !line[(secondSpace + 1)...].contains(32) else { throw .malformed("a malformed request line") }
        let method = line[..<firstSpace], target = line[(firstSpace + 1)..<secondSpace], version = line[(secondSpace + 1)...]
        guard !method.isEmpty, method.allSatisfy(HTTPText.isTokenCharacter) else { throw .malformed("an invalid method") }
        guard !target.isEmpty, target.allSatisfy({ $0 > 32 && $0 < 127 }) else { throw .malformed("an invalid request-target") }
        return HTTPRequestHead(method: String(decoding: method, as: UTF8.self), target: String(decoding: target, as: UTF8.self),
                               version: try parseVersion(version))
    }

    /// status-line = HTTP-version SP status-code SP [ reason-phrase ] (RFC 9112 section 4). The
    /// space after the code may be missing when the reason is, as some servers send it. A
    /// code is three digits from 100 (RFC 9110 section 15); one past 599 is kept as sent, for the
    /// caller to treat as a 5xx.
    static func parseStatusLine(_ received: ArraySlice<UInt8>) throws(HTTPParseError) -> HTTPResponseHead {
        let line = Array(received)
        guard line.count >= 12, line[8] == 32, line.count == 12 || line[12] == 32 else { throw .malformed("a malformed status line") }
        let version = try parseVersion(line[0..<8])
        let digits = line[9..<12]
        guard digits.first != 48, let code = ASCIIDigit.decimalNumber(digits, maximum: 999).map(Int.init) else {
            throw .malformed("an invalid status code")
        }
        let reason = line.dropFirst(13)
        guard reason.allSatisfy({ $0 == 9 || ($0 >= 32 && $0 != 127) }) else { throw .malformed("a control character in the reason phrase") }
        return HTTPResponseHead(status: HTTPStatus(code: code, reason: String(decoding: reason, as: UTF8.self)), version: version)
    }

    /// HTTP-version = "HTTP/" DIGIT "." DIGIT (RFC 9112 section 2.3). A major version other than
    /// 1 fails with ``HTTPParseError/versionNotSupported``; a later 1.x minor version is read as
    /// 1.1 (RFC 9110 section 2.5).
    static func parseVersion(_ text: ArraySlice<UInt8>) throws(HTTPParseError) -> HTTPVersion {
        let start = text.startIndex
        guard text.count == 8, text[start] == UInt8(ascii: "H"), text[start + 1] == UInt8(ascii: "T"),
              text[start + 2] == UInt8(ascii: "T"), text[start + 3] == UInt8(ascii: "P"), text[start + 4] == UInt8(ascii: "/"),
              text[start + 6] == UInt8(ascii: "."),
              let major = ASCIIDigit.decimalValue(text[start + 5]), let minor = ASCIIDigit.decimalValue(text[start + 7]) else {
            throw .malformed("a malformed HTTP version")
        }
        guard major == 1 else { throw .versionNotSupported }
        return minor == 0 ? .http10 : .http11
    }

    /// field-line = field-name ":" OWS field-value OWS (RFC 9112 section 5; RFC 9110 section
    /// 5.5). Obsolete line folding, whitespace before the colon and control characters in the
    /// value all fail: each lets two recipients read the fields differently (RFC 9112 sections
    /// 5.1, 5.2 and 11.2).
    static func parseFieldLine(_ line: ArraySlice<UInt8>) throws(HTTPParseError) -> (String, String) {
        if line.first == 32 || line.first == 9 { throw .malformed("obsolete line folding") }
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { throw .malformed("a field line without a colon") }
        let name = line[..<colon]
        guard !name.isEmpty else { throw .malformed("an empty field name") }
        guard name.allSatisfy(HTTPText.isTokenCharacter) else {
            throw .malformed(name.last == 32 || name.last == 9 ? "whitespace before a field's colon" : "an invalid field name")
        }
        var value = line[(colon + 1)...]
        while let first = value.first, first == 32 || first == 9 { value = value.dropFirst() }
        while let last = value.last, last == 32 || last == 9 { value = value.dropLast() }
        guard value.allSatisfy({ $0 == 9 || ($0 >= 32 && $0 != 127) }) else { throw .malformed("a control character in a field value") }
        return (String(decoding: name, as: UTF8.self), String(decoding: value, as: UTF8.self))
    }

    /// chunk-size [ chunk-ext ] (RFC 9112 section 7.1): hexadecimal, at most 15 digits.
    static func parseChunkSize(_ line: ArraySlice<UInt8>) throws(HTTPParseError) -> Int {
        var size = 0, digits = 0
        for byte in line {
            guard let value = ASCIIDigit.hexadecimalValue(byte) else {
                // A chunk extension may follow the size; it is ignored (RFC 9112 section 7.1.1).
                guard byte == UInt8(ascii: ";") || byte == 32 || byte == 9, digits > 0 else { throw .malformed("a malformed chunk size") }
                return size
            }
            digits += 1
            guard digits <= 15 else { throw .malformed("a chunk size too large") }
            size = size * 16 + Int(value)
        }
        guard digits > 0 else { throw .malformed("a malformed chunk size") }
        return size
    }
}

extension HTTPMessageBuffer {
    /// Reads the field lines of a header or trailer section (RFC 9112 sections 5 and 7.1.2) into
    /// `headers`, up to the empty line that ends the section.
    /// - Parameters:
    ///   - length: the bytes of the message's sections so far, counted against
    ///     ``HTTPLimits/headerSectionLength``.
    /// - Returns: whether the section is complete; false when more bytes are needed (the fields
    ///   read so far stay in `headers`).
    /// - Throws: ``HTTPParseError/headerFieldsTooLarge`` past the limits, or a malformed line.
    mutating func readFieldSection(into headers: inout HTTPHeaders, length: inout Int,
                                   limits: HTTPLimits) throws(HTTPParseError) -> Bool {
        while true {
            guard let line = try nextLine(limit: limits.headerSectionLength - length, tooLong: .headerFieldsTooLarge) else { return false }
            length += line.count + 2
            if line.isEmpty { return true }
            guard headers.count < limits.headerFieldCount else { throw .headerFieldsTooLarge }
            let (name, value) = try HTTPGrammar.parseFieldLine(line)
            headers.add(name, value)
        }
    }
}
