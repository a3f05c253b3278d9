import MirageCore

/// Writes a message head (RFC 9112 sections 2.1 and 5) into one packet buffer sized once: the
/// start line, field lines each ended by CRLF, the empty line, and then a small body behind them,
/// so a response costs no intermediate strings and goes on the connection as it was written.
struct HTTPHeadEncoder {
    /// The head and whatever was appended after it, as one buffer for the connection.
    private(set) var buffer: PacketBuffer

    /// Starts with room for `capacity` bytes (more are allocated when needed).
    init(capacity: Int) {
        buffer = PacketBuffer(capacity: capacity)
    }

    /// What was written, as an array (a copy).
    var bytes: [UInt8] { buffer.bytes }

    /// `HTTP/1.x CODE REASON` and CRLF (RFC 9112 section 4).
    mutating func statusLine(version: HTTPVersion, status: HTTPStatus) {
        if (0..<10).contains(version.major), (0..<10).contains(version.minor) {
            write("HTTP/".utf8)
            buffer.append(UInt8(48 + version.major))
            buffer.append(46) // "."
            buffer.append(UInt8(48 + version.minor))
        } else {
            write(version.description.utf8)
        }
        buffer.append(32)
        decimal(status.code)
        buffer.append(32)
        write(status.reason.utf8)
        crlf()
    }

    /// A start line given whole (a request line), and CRLF.
    mutating func startLine(_ line: String) {
        write(line.utf8)
        crlf()
    }

    /// `name: value` and CRLF.
    /// - Precondition: `name` is a token and `value` holds no CR, LF or NUL (RFC 9110 sections
    ///   5.1 and 5.5): anything else would let the value write fields or a body of its own.
    mutating func field(_ name: String, _ value: String) {
        fieldName(name)
        let written = append(value) { $0 != 13 && $0 != 10 && $0 != 0 }
        precondition(written, "a field value that cannot be written")
        crlf()
    }

    /// `name: N` and CRLF, for a number that is not negative.
    mutating func field(_ name: String, decimal value: Int) {
        precondition(value >= 0, "a negative field value")
        fieldName(name)
        decimal(value)
        crlf()
    }

    /// `Content-Length: N` and CRLF (RFC 9110 section 8.6), the name written from bytes kept
    /// once: nearly every response has one.
    mutating func contentLength(_ value: Int) {
        precondition(value >= 0, "a negative field value")
        Self.contentLengthName.withUnsafeBytes { buffer.append(bytesOf: $0) }
        decimal(value)
        crlf()
    }

    private static let contentLengthName = Array("Content-Length: ".utf8)

    /// Each of `headers` as a field line (``field(_:_:)``), then the empty line that ends the
    /// header section.
    mutating func fields(_ headers: HTTPHeaders) {
        for field in headers.fields { self.field(field.name, field.value) }
        end()
    }

    /// The empty line that ends the header section.
    mutating func end() {
        crlf()
    }

    /// Bytes behind the head: a body, or a chunk's framing.
    mutating func append(_ more: [UInt8]) {
        write(more)
    }

    /// A body held in a packet buffer.
    mutating func append(_ body: PacketBuffer) {
        body.withUnsafeBytes { buffer.append(bytesOf: $0) }
    }

    /// `name: `, the name checked to be a token (RFC 9110 section 5.1).
    private mutating func fieldName(_ name: String) {
        let written = !name.isEmpty && append(name, where: HTTPText.isTokenCharacter)
        precondition(written, "a field name that cannot be written")
        buffer.append(58) // ":"
        buffer.append(32)
    }

    /// Appends `text` when every byte of it passes `allowed`, in one copy.
    /// - Returns: whether it did.
    private mutating func append(_ text: String, where allowed: (UInt8) -> Bool) -> Bool {
        var text = text
        return text.withUTF8 { utf8 in
            for byte in utf8 where !allowed(byte) { return false }
            buffer.append(bytesOf: UnsafeRawBufferPointer(utf8))
            return true
        }
    }

    private mutating func decimal(_ value: Int) {
        guard value >= 0 else {
            write(String(value).utf8)
            return
        }
        // The digits from the last, on the stack, then appended in one copy.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var start = 20, rest = value
            repeat {
                start -= 1
                digits[start] = UInt8(48 + rest % 10)
                rest /= 10
            } while rest > 0
            buffer.append(bytesOf: UnsafeRawBufferPointer(rebasing: UnsafeMutableRawBufferPointer(digits)[start...]))
        }
    }

    /// Appends `bytes` in one copy when they are contiguous (arrays, native strings' UTF-8).
    private mutating func write(_ bytes: some Collection<UInt8>) {
        let copied: Void? = bytes.withContiguousStorageIfAvailable { buffer.append(bytesOf: UnsafeRawBufferPointer($0)) }
        if copied == nil { buffer.append(contentsOf: bytes) }
    }

    private mutating func crlf() {
        withUnsafeBytes(of: Self.crlfBytes) { buffer.append(bytesOf: $0) }
    }

    /// CR and LF, as they lie in memory.
    private static var crlfBytes: (UInt8, UInt8) { (13, 10) }
}
