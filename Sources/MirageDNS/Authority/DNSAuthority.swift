/// An authoritative name server's core: zones in, responses out (RFC 1034 section 4.3.2; RFC
/// 1035 section 4). Pure: it never does I/O; a server shell reads a datagram or a framed TCP
/// message, calls ``respond(to:transport:maximumSize:)`` or
/// ``responses(to:transport:maximumSize:allowingZoneTransfer:)``, and sends what comes back.
///
/// The policies, in one place:
/// - a message with QR set is dropped, never answered: answering responses lets two servers
///   loop; a message shorter than a header is dropped too;
/// - a message that does not decode gets FORMERR with its id and, when readable, its question;
///   one with an opcode other than QUERY gets NOTIMP;
/// - a query for a name in none of the zones gets REFUSED;
/// - ANY gets one RRset (RFC 8482 section 4.1), see ``DNSZone/lookup(_:type:)``;
/// - CNAMEs are followed within the zone of the query name, at most 16 and never twice;
/// - zone transfers only over TCP, only when the caller allows them (it knows the client);
///   IXFR is answered with the whole zone (RFC 1995 section 4), and over UDP with the SOA alone;
/// - the authority section has the SOA in negative answers and the NS RRset in referrals, and
///   nothing in positive answers (as NSD and Knot with minimal responses).
public struct DNSAuthority: Sendable {
    /// The zones, by origin.
    private var zonesByOrigin: [DNSName: DNSZone] = [:]
    /// The zones in the order given.
    public private(set) var zones: [DNSZone] = []
    /// The UDP payload size advertised in OPT records, and the most a UDP response may take
    /// however large the client's (RFC 6891 section 6.2.5; 1232 avoids IP fragmentation, as
    /// DNS Flag Day 2020 recommends).
    public var udpPayloadSize: UInt16 = 1232
    /// The most bytes a message of a zone transfer takes.
    public var transferMessageSize = 16384
    /// The longest chain of CNAMEs followed in one answer.
    public static let maximumCNAMEChain = 16

    /// - Precondition: no two zones have the same origin.
    public init(zones: [DNSZone]) {
        for zone in zones {
            precondition(zonesByOrigin[zone.origin] == nil, "two zones with one origin")
            zonesByOrigin[zone.origin] = zone
            self.zones.append(zone)
        }
    }

    /// Up to this many zones, ``zone(for:recordClass:)`` compares the name with each origin
    /// rather than hashing the name and each of its ancestors.
    static let zonesCompared = 8

    /// The zone with the longest origin at or above `name`, of class `recordClass` (or any
    /// class, for QCLASS ANY).
    public func zone(for name: DNSName, recordClass: DNSClass = .in) -> DNSZone? {
        if zones.count <= Self.zonesCompared {
            // A few zones: compare the name's end with each origin, nothing hashed or made.
            var best: Int? = nil
            for index in zones.indices where zones[index].recordClass == recordClass || recordClass == .any {
                guard name.isSubdomain(of: zones[index].origin) else { continue }
                if let current = best, zones[current].origin.wireLength >= zones[index].origin.wireLength { continue }
                best = index
            }
            return best.map { zones[$0] }
        }
        var candidate: DNSName? = name
        while let current = candidate {
            if let zone = zonesByOrigin[current], zone.recordClass == recordClass || recordClass == .any { return zone }
            candidate = current.parent
        }
        return nil
    }

    /// The zone whose origin is exactly `name`, for zone transfers.
    func zone(at name: DNSName, recordClass: DNSClass) -> DNSZone? {
        guard let zone = zonesByOrigin[name], zone.recordClass == recordClass || recordClass == .any else { return nil }
        return zone
    }

    // MARK: Bytes in, bytes out

    /// The response to one message as bytes, or nil when it is to be dropped: the form a UDP
    /// server uses. Zone transfers are refused here; a TCP server calls
    /// ``responses(to:transport:maximumSize:allowingZoneTransfer:)`` instead.
    ///
    /// - Parameters:
    ///   - bytes: the message (over TCP, without its two-byte length).
    ///   - transport: what it came over, which bounds the response's size.
    ///   - maximumSize: a lower bound the transport imposes, if any (a path MTU, a buffer).
    public func respond(to bytes: some Collection<UInt8>, transport: DNSTransport, maximumSize: Int? = nil) -> [UInt8]? {
        // The plain way first, without the array of responses a zone transfer needs.
        if let response = plainResponse(toContiguous: bytes, transport: transport, maximumSize: maximumSize) { return response }
        return fullResponses(to: bytes, transport: transport, maximumSize: maximumSize, allowingZoneTransfer: false).first
    }

    /// The responses to one message as bytes, in order: none when it is to be dropped, one for
    /// a query, several for a zone transfer over TCP.
    ///
    /// - Parameters:
    ///   - bytes: the message (over TCP, without its two-byte length).
    ///   - transport: what it came over, which bounds the responses' size.
    ///   - maximumSize: a lower bound the transport imposes, if any.
    ///   - allowingZoneTransfer: whether this client may have AXFR and IXFR; otherwise they get
    ///     REFUSED.
    public func responses(
        to bytes: some Collection<UInt8>, transport: DNSTransport, maximumSize: Int? = nil,
        allowingZoneTransfer: Bool = false
    ) -> [[UInt8]] {
        if let response = plainResponse(toContiguous: bytes, transport: transport, maximumSize: maximumSize) { return [response] }
        return fullResponses(to: bytes, transport: transport, maximumSize: maximumSize, allowingZoneTransfer: allowingZoneTransfer)
    }

    /// ``plainResponse(to:transport:maximumSize:)`` for bytes that are contiguous (a datagram's,
    /// a framed TCP message's), read in place; nil otherwise too.
    private func plainResponse(toContiguous bytes: some Collection<UInt8>, transport: DNSTransport, maximumSize: Int?) -> [UInt8]? {
        bytes.withContiguousStorageIfAvailable {
            plainResponse(to: UnsafeRawBufferPointer($0), transport: transport, maximumSize: maximumSize)
        } ?? nil
    }

    /// ``responses(to:transport:maximumSize:allowingZoneTransfer:)`` the way that decodes the
    /// message in full, for what the plain way does not answer.
    private func fullResponses(
        to bytes: some Collection<UInt8>, transport: DNSTransport, maximumSize: Int?, allowingZoneTransfer: Bool
    ) -> [[UInt8]] {
        let bytes = Array(bytes)
        // Shorter than a header, or a response (QR, the first bit of the flags): dropped.
        guard bytes.count >= 12, bytes[2] & 0x80 == 0 else { return [] }
        return decodedResponses(to: bytes, transport: transport, maximumSize: maximumSize, allowingZoneTransfer: allowingZoneTransfer)
    }

    /// The responses to `bytes` by way of a ``DNSMessage`` decoded in full and responses made
    /// of records: what ``plainResponse(to:transport:maximumSize:)`` gives for the queries it
    /// answers, and the only way for the others.
    func decodedResponses(
        to bytes: [UInt8], transport: DNSTransport, maximumSize: Int?, allowingZoneTransfer: Bool
    ) -> [[UInt8]] {
        let query: DNSMessage
        do {
            query = try DNSMessage.decode(bytes)
        } catch {
            // What can be read of a message that does not decode, for its FORMERR or NOTIMP.
            guard let prefix = DNSMessagePrefix(bytes) else { return [] }
            let failure = Self.failure(to: prefix, code: prefix.opcode == .query ? .formatError : .notImplemented)
            return [failure.encoded(maximumSize: Swift.min(512, maximumSize ?? 512))]
        }
        let limit = Swift.min(sizeLimit(for: query, transport: transport), maximumSize ?? Int.max)
        return responses(to: query, transport: transport, allowingZoneTransfer: allowingZoneTransfer).map {
            $0.message.encoded(maximumSize: limit, requiredAdditionalCount: $0.requiredAdditionalCount)
        }
    }

    /// The response to a plain query answered from a zone, written from the zone's RRsets with
    /// no message of records made; nil when `bytes` is not a plain query (``DNSPlainQuery``) or
    /// is not answered from a zone (an opcode other than QUERY, a meta type, a zone transfer, a
    /// name in no zone): those go the way of ``decodedResponses(to:transport:maximumSize:allowingZoneTransfer:)``,
    /// which gives the same bytes for the queries answered here.
    func plainResponse(to bytes: UnsafeRawBufferPointer, transport: DNSTransport, maximumSize: Int?) -> [UInt8]? {
        var workspace = DNSResponseWorkspace()
        guard writePlainResponse(to: bytes, transport: transport, maximumSize: maximumSize, in: &workspace) else { return nil }
        return workspace.writer.bytes
    }

    /// ``plainResponse(to:transport:maximumSize:)`` written by the writer of `workspace`, which
    /// is reset first: a server's workspace, used for query after query, allocates nothing.
    /// - Returns: whether the query was plain and answered; nothing written otherwise.
    func writePlainResponse(to bytes: UnsafeRawBufferPointer, transport: DNSTransport, maximumSize: Int?,
                            in workspace: inout DNSResponseWorkspace) -> Bool {
        workspace.writer.reset()
        guard let query = DNSPlainQuery(bytes, nameRoom: &workspace.nameRoom), query.flags & 0x8000 == 0,
              query.flags >> 11 & 0xf == 0 else { return false }
        let question = query.question
        guard !question.type.isMetaType || question.type == .any,
              let zone = zone(for: question.name, recordClass: question.recordClass) else { return false }
        self.plan(question, from: zone, into: &workspace.plan)
        // The plan's owners share the name's room: it lets go of them once written (not copied
        // before: a copy would keep its sections from being emptied in place).
        defer { workspace.plan.reset() }
        // The response's header (QR, opcode QUERY, AA as the plan says, RD and CD copied, RFC
        // 1035 section 4.1.1) with no message made; its question is the query's.
        var flags = 0x8000 | UInt16(workspace.plan.responseCode.headerBits) | query.flags & 0x0110
        if workspace.plan.isAuthoritative { flags |= 0x0400 }
        let edns = query.edns.map { DNSEDNS(udpPayloadSize: udpPayloadSize, dnssecOK: $0.dnssecOK) }
        let limit = Swift.min(sizeLimit(clientPayloadSize: query.edns?.udpPayloadSize, transport: transport), maximumSize ?? Int.max)
        DNSMessage.encode(into: &workspace.writer, id: query.id, flags: flags, responseCode: workspace.plan.responseCode, edns: edns,
                          maximumSize: limit, questions: CollectionOfOne(question), records: workspace.plan)
        return true
    }

    /// The largest response the client can take (RFC 1035 section 4.2.1; RFC 6891 section
    /// 6.2.5): over TCP 65535; over UDP 512 without EDNS, and otherwise the smaller of the
    /// client's payload size and ours, never below 512.
    public func sizeLimit(for query: DNSMessage, transport: DNSTransport) -> Int {
        sizeLimit(clientPayloadSize: query.edns?.udpPayloadSize, transport: transport)
    }

    /// ``sizeLimit(for:transport:)`` for a query whose OPT record says `clientPayloadSize`
    /// (nil without one).
    func sizeLimit(clientPayloadSize: UInt16?, transport: DNSTransport) -> Int {
        switch transport {
        case .tcp:
            return 65535
        case .udp:
            guard let clientPayloadSize else { return 512 }
            return Swift.max(512, Int(Swift.min(clientPayloadSize, udpPayloadSize)))
        }
    }

    /// The response to a message that did not decode: its id, opcode, RD and CD, and its
    /// question when that much was readable.
    static func failure(to prefix: DNSMessagePrefix, code: DNSResponseCode) -> DNSMessage {
        var response = DNSMessage(
            id: prefix.id, isResponse: true, opcode: prefix.opcode, recursionDesired: prefix.recursionDesired,
            checkingDisabled: prefix.checkingDisabled, responseCode: code)
        if let question = prefix.question { response.questions.append(question) }
        return response
    }
}
