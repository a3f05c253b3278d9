/// Writes a message's answer, authority and additional records in at most a size limit, an RRset
/// at a time, leaving out what does not fit (RFC 1035 section 4.2.1; RFC 2181 section 9).
///
/// RRsets go in whole and in section order. When an RRset of the answer or authority section
/// does not fit, it and every later RRset are left out and the message is truncated (TC). When
/// an RRset of the additional section does not fit, it is left out without TC and later ones are
/// still tried, unless it is required (glue for in-domain name servers, RFC 9471 section 3):
/// then TC is set.
struct DNSSectionsWriter: ~Copyable {
    private(set) var writer: DNSWireWriter
    /// The most bytes the message may take with its records (room for an OPT record already
    /// taken off).
    let limit: Int
    private(set) var answerCount = 0
    private(set) var authorityCount = 0
    private(set) var additionalCount = 0
    /// Whether a record that had to go in was left out: the message's TC bit.
    private(set) var truncated = false
    /// Whether an RRset of the answer or authority section was left out, which leaves out
    /// everything after it.
    private var stopped = false

    init(_ writer: consuming DNSWireWriter, limit: Int) {
        self.writer = writer
        self.limit = limit
    }

    /// The wire writer, with everything written, given back.
    consuming func finish() -> DNSWireWriter {
        writer
    }

    /// Writes one RRset of `count` records in `section` with `write`, or leaves it out, as the
    /// type's documentation says.
    mutating func append(count: Int, in section: DNSSection, required: Bool = false, _ write: (inout DNSWireWriter) -> Void) {
        guard !stopped else { return }
        let checkpoint = writer.checkpoint
        write(&writer)
        guard writer.count <= limit else {
            writer.rollBack(to: checkpoint)
            if section != .additional { stopped = true }
            if section != .additional || required { truncated = true }
            return
        }
        switch section {
        case .answer: answerCount += count
        case .authority: authorityCount += count
        default: additionalCount += count
        }
    }

    /// Writes `records`, one RRset, in `section`.
    mutating func append(_ records: ArraySlice<DNSRecord>, in section: DNSSection, required: Bool = false) {
        append(count: records.count, in: section, required: required) { writer in
            for record in records { DNSMessage.encode(record, into: &writer) }
        }
    }

    /// Writes the records of `rrset`, owned by `owner`, in `section`.
    mutating func append(_ rrset: DNSRRSet, owner: DNSName, in section: DNSSection, required: Bool = false) {
        append(count: rrset.data.count, in: section, required: required) { writer in
            for data in rrset.data {
                DNSMessage.encode(owner: owner, type: rrset.type, recordClass: rrset.recordClass, ttl: rrset.ttl, data: data, into: &writer)
            }
        }
    }
}

/// What writes a message's records into a ``DNSSectionsWriter``: a response's answer plan, or a
/// message's own sections. Passed to ``DNSMessage/encoded(maximumSize:questions:records:)``
/// borrowed, where a closure would hold a copy of what it writes (a retain and a release for
/// each of its arrays).
protocol DNSSectionsSource {
    func write(into sections: inout DNSSectionsWriter)
}
