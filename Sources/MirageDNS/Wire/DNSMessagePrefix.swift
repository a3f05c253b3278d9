/// What can be read from the start of a message that may not decode as a whole: enough for a
/// server to answer a malformed query with FORMERR under the query's id (RFC 1035 section
/// 4.1.1), echoing its question when that much was readable.
public struct DNSMessagePrefix: Hashable, Sendable {
    public var id: UInt16
    public var isResponse: Bool
    public var opcode: DNSOpcode
    public var recursionDesired: Bool
    public var checkingDisabled: Bool
    /// QDCOUNT as the header says.
    public var questionCount: Int
    /// The first question, when the header announces one and its bytes are well-formed.
    public var question: DNSQuestion?

    /// Reads the header and, if it can, the first question; nil when `bytes` is shorter than
    /// a header (12 bytes), which a server can only drop.
    public init?(_ bytes: some Collection<UInt8>) {
        var reader = DNSWireReader(Array(bytes))
        guard reader.remaining >= 12,
              let id = try? reader.readUInt16(),
              let flags = try? reader.readUInt16(),
              let count = try? reader.readUInt16()
        else { return nil }
        reader.offset = 12
        var header = DNSMessage(id: id)
        header.setFlags(flags)
        self.id = id
        isResponse = header.isResponse
        opcode = header.opcode
        recursionDesired = header.recursionDesired
        checkingDisabled = header.checkingDisabled
        questionCount = Int(count)
        question = nil
        if count > 0, let name = try? reader.readName(), let type = try? reader.readUInt16(),
           let recordClass = try? reader.readUInt16() {
            question = DNSQuestion(name: name, type: DNSRecordType(type), recordClass: DNSClass(recordClass))
        }
    }
}
