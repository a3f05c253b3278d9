extension DNSAuthority {
    /// The responses to AXFR (RFC 5936) or IXFR (RFC 1995).
    ///
    /// Refused (REFUSED) over UDP for AXFR (RFC 5936 section 4.2) and for clients the caller
    /// does not allow; NOTAUTH for a name that is not the origin of one of the zones (RFC 5936
    /// section 2.2.1). An allowed IXFR over UDP gets the SOA alone, which tells the client to
    /// come back over TCP or that it is current (RFC 1995 section 2); over TCP it gets the
    /// whole zone, as RFC 1995 section 4 permits.
    func zoneTransfer(
        question: DNSQuestion, response: DNSMessage, transport: DNSTransport, allowed: Bool
    ) -> [DNSResponse] {
        var response = response
        guard allowed, transport == .tcp || question.type == .ixfr else {
            response.responseCode = .refused
            return [DNSResponse(message: response)]
        }
        guard let zone = zone(at: question.name, recordClass: question.recordClass) else {
            response.responseCode = .notAuthoritative
            return [DNSResponse(message: response)]
        }
        response.isAuthoritative = true
        if transport == .udp {
            response.answers = zone.soa.records()
            return [DNSResponse(message: response)]
        }
        return zoneTransferMessages(of: zone, first: response).map { DNSResponse(message: $0) }
    }

    /// The messages of a transfer of `zone` (RFC 5936 section 2.2): the SOA first, every
    /// record, the SOA again last, in as many messages as ``transferMessageSize`` needs. The
    /// first message is `first` with the question; the later ones repeat its header without
    /// the question (section 2.2.1 allows either). Each carries the OPT record if the query had
    /// one.
    ///
    /// Records are counted at their uncompressed size, so every message fits once compressed.
    public func zoneTransferMessages(of zone: DNSZone, first: DNSMessage) -> [DNSMessage] {
        var records = zone.records
        records += zone.soa.records()
        var messages: [DNSMessage] = []
        var message = first
        message.answers = []
        let overhead = 12 + (first.edns?.wireLength ?? 0)
        var size = overhead + first.questions.reduce(0) { $0 + $1.name.wireLength + 4 }
        for record in records {
            let recordSize = record.name.wireLength + 10 + record.data.wireBytes.count
            if size + recordSize > transferMessageSize, !message.answers.isEmpty {
                messages.append(message)
                message.questions = []
                message.answers = []
                size = overhead
            }
            message.answers.append(record)
            size += recordSize
        }
        messages.append(message)
        return messages
    }
}
