extension DNSMessage {
    /// Decodes a whole message (RFC 1035 section 4.1; RFC 6891 section 6.1).
    ///
    /// Every read is bounds-checked and every count checked against the bytes left, so any
    /// input either decodes or throws. The OPT record, if any, must be in the additional section,
    /// owned by the root and alone (RFC 6891 section 6.1.1); it becomes ``edns`` and its high
    /// response-code bits join ``responseCode``.
    ///
    /// - Parameters:
    ///   - bytes: the message, without the two-byte length a TCP stream puts in front.
    ///   - allowingTrailingBytes: whether bytes after the last record are ignored. By default
    ///     they are an error (``DNSWireError/trailingBytes(count:)``).
    /// - Throws: a ``DNSWireError`` saying what is wrong and where.
    public static func decode(
        _ bytes: some Collection<UInt8>, allowingTrailingBytes: Bool = false
    ) throws(DNSWireError) -> DNSMessage {
        var reader = DNSWireReader(Array(bytes))
        guard reader.remaining >= 12 else { throw .truncatedHeader }
        let id = try reader.readUInt16()
        let flags = try reader.readUInt16()
        let questionCount = Int(try reader.readUInt16())
        let answerCount = Int(try reader.readUInt16())
        let authorityCount = Int(try reader.readUInt16())
        let additionalCount = Int(try reader.readUInt16())
        // The smallest question is 5 bytes (the root and two numbers), the smallest record 11.
        guard questionCount * 5 <= reader.remaining else { throw .countTooLarge(.question, count: questionCount) }
        let recordRoom = reader.remaining - questionCount * 5
        guard answerCount * 11 <= recordRoom else { throw .countTooLarge(.answer, count: answerCount) }
        guard (answerCount + authorityCount) * 11 <= recordRoom else {
            throw .countTooLarge(.authority, count: authorityCount)
        }
        guard (answerCount + authorityCount + additionalCount) * 11 <= recordRoom else {
            throw .countTooLarge(.additional, count: additionalCount)
        }

        var message = DNSMessage(id: id)
        message.setFlags(flags)
        for _ in 0..<questionCount {
            let name = try reader.readName()
            let type = DNSRecordType(try reader.readUInt16())
            let recordClass = DNSClass(try reader.readUInt16())
            message.questions.append(DNSQuestion(name: name, type: type, recordClass: recordClass))
        }
        var opt: (edns: DNSEDNS, extendedBits: UInt8)?
        for (section, count) in [(DNSSection.answer, answerCount), (.authority, authorityCount), (.additional, additionalCount)] {
            for _ in 0..<count {
                let start = reader.offset
                let name = try reader.readName()
                let type = DNSRecordType(try reader.readUInt16())
                let recordClass = try reader.readUInt16()
                let ttl = try reader.readUInt32()
                let length = Int(try reader.readUInt16())
                if type == .opt {
                    guard section == .additional, opt == nil, name.isRoot else { throw .badOPT(offset: start) }
                    opt = try readOPT(payloadSize: recordClass, ttl: ttl, length: length, from: &reader)
                    continue
                }
                let data = try DNSRecordData.decode(type: type, length: length, from: &reader)
                let record = DNSRecord(name: name, recordClass: DNSClass(recordClass), ttl: ttl, data: data)
                switch section {
                case .answer: message.answers.append(record)
                case .authority: message.authorities.append(record)
                default: message.additionals.append(record)
                }
            }
        }
        if let opt {
            message.edns = opt.edns
            message.responseCode = DNSResponseCode(rawValue: UInt16(opt.extendedBits) << 4 | message.responseCode.rawValue)
        }
        if reader.remaining > 0 && !allowingTrailingBytes { throw .trailingBytes(count: reader.remaining) }
        return message
    }

    /// Sets the header fields from the header's flag bytes (RFC 1035 section 4.1.1).
    mutating func setFlags(_ flags: UInt16) {
        isResponse = flags & 0x8000 != 0
        opcode = DNSOpcode(rawValue: UInt8(flags >> 11 & 0xf))
        isAuthoritative = flags & 0x0400 != 0
        isTruncated = flags & 0x0200 != 0
        recursionDesired = flags & 0x0100 != 0
        recursionAvailable = flags & 0x0080 != 0
        authenticData = flags & 0x0020 != 0
        checkingDisabled = flags & 0x0010 != 0
        responseCode = DNSResponseCode(rawValue: flags & 0xf)
    }

    /// The OPT record's fields (RFC 6891 section 6.1.2 and 6.1.3): CLASS is the payload size;
    /// TTL holds the extended response code, the version, DO and the other flags; RDATA the
    /// options.
    private static func readOPT(
        payloadSize: UInt16, ttl: UInt32, length: Int, from reader: inout DNSWireReader
    ) throws(DNSWireError) -> (edns: DNSEDNS, extendedBits: UInt8) {
        let start = reader.offset
        guard length <= reader.remaining else { throw .truncated(offset: start) }
        let end = start + length
        var options: [DNSEDNSOption] = []
        while reader.offset < end {
            guard end - reader.offset >= 4 else { throw .badOPT(offset: reader.offset) }
            let code = try reader.readUInt16()
            let optionLength = Int(try reader.readUInt16())
            guard optionLength <= end - reader.offset else { throw .badOPT(offset: reader.offset - 4) }
            options.append(DNSEDNSOption(code: code, data: try reader.readBytes(optionLength)))
        }
        let edns = DNSEDNS(
            udpPayloadSize: payloadSize, version: UInt8(truncatingIfNeeded: ttl >> 16),
            dnssecOK: ttl & 0x8000 != 0, otherFlags: UInt16(truncatingIfNeeded: ttl) & 0x7fff, options: options)
        return (edns, UInt8(truncatingIfNeeded: ttl >> 24))
    }
}
