/// A DNS message (RFC 1035 section 4.1): the header's fields, the four sections and the EDNS
/// information (RFC 6891).
///
/// The OPT pseudo-record is not kept among ``additionals``: the decoder takes it out into
/// ``edns`` and the encoder puts it back as the last additional record.
public struct DNSMessage: Hashable, Sendable {
    /// The query's identifier, which its response repeats.
    public var id: UInt16
    /// QR: whether this is a response.
    public var isResponse: Bool
    public var opcode: DNSOpcode
    /// AA: whether the responding server is an authority for the answer's owner name.
    public var isAuthoritative: Bool
    /// TC: whether the message was truncated to fit the transport.
    public var isTruncated: Bool
    /// RD: whether the client asks for recursion; copied into the response.
    public var recursionDesired: Bool
    /// RA: whether the server offers recursion.
    public var recursionAvailable: Bool
    /// AD: authentic data (RFC 4035 section 3.2.3).
    public var authenticData: Bool
    /// CD: checking disabled (RFC 4035 section 3.2.2).
    public var checkingDisabled: Bool
    /// RCODE with its extended bits: codes above 15 need ``edns`` to be sent.
    public var responseCode: DNSResponseCode
    public var questions: [DNSQuestion]
    public var answers: [DNSRecord]
    public var authorities: [DNSRecord]
    /// The additional records, without the OPT record.
    public var additionals: [DNSRecord]
    /// The OPT record's information, or nil when the message has none.
    public var edns: DNSEDNS?

    public init(
        id: UInt16, isResponse: Bool = false, opcode: DNSOpcode = .query,
        isAuthoritative: Bool = false, isTruncated: Bool = false, recursionDesired: Bool = false,
        recursionAvailable: Bool = false, authenticData: Bool = false, checkingDisabled: Bool = false,
        responseCode: DNSResponseCode = .noError, questions: [DNSQuestion] = [], answers: [DNSRecord] = [],
        authorities: [DNSRecord] = [], additionals: [DNSRecord] = [], edns: DNSEDNS? = nil
    ) {
        self.id = id
        self.isResponse = isResponse
        self.opcode = opcode
        self.isAuthoritative = isAuthoritative
        self.isTruncated = isTruncated
        self.recursionDesired = recursionDesired
        self.recursionAvailable = recursionAvailable
        self.authenticData = authenticData
        self.checkingDisabled = checkingDisabled
        self.responseCode = responseCode
        self.questions = questions
        self.answers = answers
        self.authorities = authorities
        self.additionals = additionals
        self.edns = edns
    }

    /// The one question of a query, or nil when there is not exactly one.
    public var question: DNSQuestion? {
        questions.count == 1 ? questions[0] : nil
    }

    /// The header's third and fourth bytes (RFC 1035 section 4.1.1), with the low bits of the
    /// response code. The Z bit is sent as zero.
    var flags: UInt16 {
        var flags = UInt16(opcode.rawValue) << 11 | UInt16(responseCode.headerBits)
        if isResponse { flags |= 0x8000 }
        if isAuthoritative { flags |= 0x0400 }
        if isTruncated { flags |= 0x0200 }
        if recursionDesired { flags |= 0x0100 }
        if recursionAvailable { flags |= 0x0080 }
        if authenticData { flags |= 0x0020 }
        if checkingDisabled { flags |= 0x0010 }
        return flags
    }
}
