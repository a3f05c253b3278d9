extension DNSMessage {
    /// The message in wire form, names compressed (RFC 1035 section 4.1.4), with no size limit.
    ///
    /// - Precondition: a response code above 15 comes with ``edns`` (RFC 6891 section 6.1.3).
    public func encoded() -> [UInt8] {
        encoded(maximumSize: Int.max)
    }

    /// The message in wire form in at most `maximumSize` bytes, records left out as needed
    /// (RFC 1035 section 4.2.1; RFC 2181 section 9).
    ///
    /// Records go in whole RRsets (consecutive records of the same owner, type and class) in
    /// section order. Room for the OPT record is kept first, since a truncated answer still
    /// carries it (RFC 6891 section 7). When an RRset of the answer or authority section does
    /// not fit, it and every later record are left out and TC is set. When an RRset of the
    /// additional section does not fit, it is left out without TC and later ones are still
    /// tried; but a record among the first `requiredAdditionalCount` additionals (glue for
    /// in-domain name servers, RFC 9471 section 3) that does not fit sets TC.
    ///
    /// The header and question always go in, even past the limit.
    ///
    /// - Precondition: a response code above 15 comes with ``edns`` (RFC 6891 section 6.1.3).
    public func encoded(maximumSize: Int, requiredAdditionalCount: Int = 0) -> [UInt8] {
        encoded(maximumSize: maximumSize, questions: questions,
                records: Sections(message: self, requiredAdditionalCount: requiredAdditionalCount))
    }

    /// A message's own sections as a ``DNSSectionsSource``, an RRset at a time.
    private struct Sections: DNSSectionsSource {
        let message: DNSMessage
        let requiredAdditionalCount: Int

        func write(into sections: inout DNSSectionsWriter) {
            for range in DNSMessage.rrsetRanges(message.answers) { sections.append(message.answers[range], in: .answer) }
            for range in DNSMessage.rrsetRanges(message.authorities) { sections.append(message.authorities[range], in: .authority) }
            for range in DNSMessage.rrsetRanges(message.additionals) {
                sections.append(message.additionals[range], in: .additional, required: range.lowerBound < requiredAdditionalCount)
            }
        }
    }

    /// The message in wire form in at most `maximumSize` bytes, with `questions` and the
    /// records `records` writes instead of those of its sections: the header and OPT record are
    /// this message's, the counts and TC those of what was written.
    ///
    /// - Precondition: a response code above 15 comes with ``edns`` (RFC 6891 section 6.1.3).
    func encoded(
        maximumSize: Int, questions: some Collection<DNSQuestion>, records: borrowing some DNSSectionsSource
    ) -> [UInt8] {
        var writer = DNSWireWriter()
        encode(into: &writer, maximumSize: maximumSize, questions: questions, records: records)
        return writer.finish()
    }

    /// ``encoded(maximumSize:questions:records:)`` written by `writer`, which has written
    /// nothing yet (``DNSWireWriter/reset()``).
    func encode(
        into writer: inout DNSWireWriter, maximumSize: Int, questions: some Collection<DNSQuestion>,
        records: borrowing some DNSSectionsSource
    ) {
        Self.encode(into: &writer, id: id, flags: flags, responseCode: responseCode, edns: edns,
                    maximumSize: maximumSize, questions: questions, records: records)
    }

    /// ``encode(into:maximumSize:questions:records:)`` for a message of these header fields,
    /// with no message made: `flags` as ``flags`` gives them (TC is set as well when records
    /// are left out), the high bits of `responseCode` in the OPT record.
    static func encode(
        into writer: inout DNSWireWriter, id: UInt16, flags: UInt16, responseCode: DNSResponseCode, edns: DNSEDNS?,
        maximumSize: Int, questions: some Collection<DNSQuestion>, records: borrowing some DNSSectionsSource
    ) {
        precondition(responseCode.extendedBits == 0 || edns != nil, "an extended response code needs EDNS")
        precondition(writer.count == 0, "a writer that has written already")
        writer.write(id)
        writer.write(UInt16(0))  // the flags, written last for TC
        for _ in 0..<4 { writer.write(UInt16(0)) }
        for question in questions {
            writer.writeName(question.name, compressing: true)
            writer.write(question.type.rawValue)
            writer.write(question.recordClass.rawValue)
        }
        // The writer moves into the sections' writer and back, never shared: a shared buffer
        // would be copied at the next write. An empty writer, which allocates nothing, stands in.
        var moved = DNSWireWriter(capacity: 0)
        swap(&moved, &writer)
        var sections = DNSSectionsWriter(consume moved, limit: maximumSize - (edns?.wireLength ?? 0))
        records.write(into: &sections)
        let (answerCount, authorityCount, truncated) = (sections.answerCount, sections.authorityCount, sections.truncated)
        var additionalCount = sections.additionalCount
        writer = (consume sections).finish()
        if let edns {
            encodeOPT(edns, responseCode: responseCode, into: &writer)
            additionalCount += 1
        }
        writer.patch(truncated ? flags | 0x0200 : flags, at: 2)
        writer.patch(UInt16(questions.count), at: 4)
        writer.patch(UInt16(answerCount), at: 6)
        writer.patch(UInt16(authorityCount), at: 8)
        writer.patch(UInt16(additionalCount), at: 10)
    }

    /// The index ranges of consecutive records with the same owner, type and class.
    static func rrsetRanges(_ records: [DNSRecord]) -> [Range<Int>] {
        var ranges: [Range<Int>] = []
        var start = 0
        for index in records.indices.dropFirst() {
            let previous = records[index - 1]
            let record = records[index]
            if record.type != previous.type || record.recordClass != previous.recordClass || record.name != previous.name {
                ranges.append(start..<index)
                start = index
            }
        }
        if !records.isEmpty { ranges.append(start..<records.count) }
        return ranges
    }

    /// Writes one record (RFC 1035 section 4.1.3), its RDLENGTH filled in after the data.
    ///
    /// - Precondition: the RDATA is at most 65535 bytes.
    static func encode(_ record: DNSRecord, into writer: inout DNSWireWriter) {
        encode(owner: record.name, type: record.type, recordClass: record.recordClass, ttl: record.ttl, data: record.data, into: &writer)
    }

    /// Writes one record of `owner`, `type`, `recordClass`, `ttl` and `data` (RFC 1035 section
    /// 4.1.3), its RDLENGTH filled in after the data.
    ///
    /// - Precondition: the RDATA is at most 65535 bytes.
    static func encode(
        owner: DNSName, type: DNSRecordType, recordClass: DNSClass, ttl: UInt32, data: DNSRecordData,
        into writer: inout DNSWireWriter
    ) {
        writer.writeName(owner, compressing: true)
        let lengthOffset = writer.writeRecordFields(type: type.rawValue, recordClass: recordClass.rawValue, ttl: ttl)
        data.encode(into: &writer)
        let length = writer.count - lengthOffset - 2
        precondition(length <= 0xffff, "RDATA longer than 65535 bytes")
        writer.patch(UInt16(length), at: lengthOffset)
    }

    /// Writes the OPT record (RFC 6891 section 6.1.2), with the high bits of the response code.
    private static func encodeOPT(_ edns: DNSEDNS, responseCode: DNSResponseCode, into writer: inout DNSWireWriter) {
        writer.write(UInt8(0))
        writer.write(DNSRecordType.opt.rawValue)
        writer.write(edns.udpPayloadSize)
        var ttl = UInt32(responseCode.extendedBits) << 24 | UInt32(edns.version) << 16 | UInt32(edns.otherFlags & 0x7fff)
        if edns.dnssecOK { ttl |= 0x8000 }
        writer.write(ttl)
        writer.write(UInt16(edns.options.reduce(0) { $0 + 4 + $1.data.count }))
        for option in edns.options {
            writer.write(option.code)
            writer.write(UInt16(option.data.count))
            writer.write(bytes: option.data)
        }
    }
}
