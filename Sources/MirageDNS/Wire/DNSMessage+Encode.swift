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
        precondition(responseCode.extendedBits == 0 || edns != nil, "an extended response code needs EDNS")
        var writer = DNSWireWriter()
        var truncated = isTruncated
        writer.write(id)
        writer.write(UInt16(0))  // the flags, written last for TC
        for _ in 0..<4 { writer.write(UInt16(0)) }
        for question in questions {
            writer.writeName(question.name, compressing: true)
            writer.write(question.type.rawValue)
            writer.write(question.recordClass.rawValue)
        }
        let limit = maximumSize - (edns?.wireLength ?? 0)
        var counts = (answers: 0, authorities: 0, additionals: 0)
        var dropped = false
        counts.answers = Self.encode(answers, into: &writer, limit: limit, dropped: &dropped)
        if !dropped {
            counts.authorities = Self.encode(authorities, into: &writer, limit: limit, dropped: &dropped)
        }
        if !dropped {
            counts.additionals = Self.encodeAdditionals(
                additionals, required: requiredAdditionalCount, into: &writer, limit: limit, dropped: &dropped)
        }
        truncated = truncated || dropped
        if let edns {
            encodeOPT(edns, into: &writer)
            counts.additionals += 1
        }
        var flags = self.flags
        if truncated { flags |= 0x0200 }
        writer.patch(flags, at: 2)
        writer.patch(UInt16(questions.count), at: 4)
        writer.patch(UInt16(counts.answers), at: 6)
        writer.patch(UInt16(counts.authorities), at: 8)
        writer.patch(UInt16(counts.additionals), at: 10)
        return writer.bytes
    }

    /// Writes the RRsets of `records` while they fit under `limit`; at the first that does not,
    /// sets `dropped` and stops. Returns how many records were written.
    private static func encode(
        _ records: [DNSRecord], into writer: inout DNSWireWriter, limit: Int, dropped: inout Bool
    ) -> Int {
        var written = 0
        for range in rrsetRanges(records) {
            let checkpoint = writer.checkpoint
            for record in records[range] { encode(record, into: &writer) }
            guard writer.count <= limit else {
                writer.rollBack(to: checkpoint)
                dropped = true
                return written
            }
            written += range.count
        }
        return written
    }

    /// Writes the RRsets of the additional section that fit under `limit`, skipping the others;
    /// sets `dropped` if one of the first `required` records is skipped.
    private static func encodeAdditionals(
        _ records: [DNSRecord], required: Int, into writer: inout DNSWireWriter, limit: Int, dropped: inout Bool
    ) -> Int {
        var written = 0
        for range in rrsetRanges(records) {
            let checkpoint = writer.checkpoint
            for record in records[range] { encode(record, into: &writer) }
            if writer.count <= limit {
                written += range.count
            } else {
                writer.rollBack(to: checkpoint)
                if range.lowerBound < required { dropped = true }
            }
        }
        return written
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
        writer.writeName(record.name, compressing: true)
        writer.write(record.type.rawValue)
        writer.write(record.recordClass.rawValue)
        writer.write(record.ttl)
        let lengthOffset = writer.count
        writer.write(UInt16(0))
        record.data.encode(into: &writer)
        let length = writer.count - lengthOffset - 2
        precondition(length <= 0xffff, "RDATA longer than 65535 bytes")
        writer.patch(UInt16(length), at: lengthOffset)
    }

    /// Writes the OPT record (RFC 6891 section 6.1.2), with the high bits of the response code.
    private func encodeOPT(_ edns: DNSEDNS, into writer: inout DNSWireWriter) {
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
