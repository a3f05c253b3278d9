extension DNSAuthority {
    /// The response to `query`; a zone transfer is refused. See
    /// ``responses(to:transport:allowingZoneTransfer:)``.
    public func answer(_ query: DNSMessage, transport: DNSTransport = .udp) -> DNSMessage {
        responses(to: query, transport: transport, allowingZoneTransfer: false)[0].message
    }

    /// The responses to a decoded query: one, or the messages of a zone transfer.
    ///
    /// In order: a response (QR set) gets FORMERR; an opcode other than QUERY NOTIMP; an EDNS
    /// version above 0 BADVERS (RFC 6891 section 6.1.3); other than one question, or records
    /// in the answer or authority section, FORMERR; QTYPE OPT FORMERR, MAILA, MAILB and the
    /// other meta types but ANY NOTIMP; a name outside every zone REFUSED. AXFR and IXFR go to
    /// the zone transfer. Anything else is answered from the zone (RFC 1034 section 4.3.2).
    ///
    /// Responses repeat the id, opcode, question, RD and CD, and carry an OPT record with
    /// ``udpPayloadSize`` and the DO bit copied when the query had one (RFC 6891 section 7,
    /// RFC 3225 section 3).
    public func responses(to query: DNSMessage, transport: DNSTransport, allowingZoneTransfer: Bool = false) -> [DNSResponse] {
        // Each path makes its own response from the query, so that the one answered from a zone
        // is moved along, not copied (a message copied retains each of its arrays).
        func failure(_ code: DNSResponseCode) -> [DNSResponse] {
            var response = emptyResponse(to: query)
            response.responseCode = code
            return [DNSResponse(message: response)]
        }
        guard !query.isResponse else { return failure(.formatError) }
        guard query.opcode == .query else { return failure(.notImplemented) }
        if let edns = query.edns, edns.version > 0 { return failure(.badVersion) }
        guard let question = query.question, query.answers.isEmpty, query.authorities.isEmpty else {
            return failure(.formatError)
        }
        switch question.type {
        case .axfr, .ixfr:
            return zoneTransfer(question: question, response: emptyResponse(to: query), transport: transport, allowed: allowingZoneTransfer)
        case .opt:
            return failure(.formatError)
        case _ where question.type.isMetaType && question.type != .any:
            return failure(.notImplemented)
        default:
            break
        }
        guard let zone = zone(for: question.name, recordClass: question.recordClass) else { return failure(.refused) }
        return [plan(question, from: zone).filling(emptyResponse(to: query))]
    }

    /// The response to `query` before any answer: its id, opcode, question, RD and CD, and an
    /// OPT record when it had one.
    private func emptyResponse(to query: DNSMessage) -> DNSMessage {
        var response = DNSMessage(
            id: query.id, isResponse: true, opcode: query.opcode, recursionDesired: query.recursionDesired,
            checkingDisabled: query.checkingDisabled, questions: query.questions)
        if let edns = query.edns { response.edns = DNSEDNS(udpPayloadSize: udpPayloadSize, dnssecOK: edns.dnssecOK) }
        return response
    }

    /// The response to `question` from `zone` (RFC 1034 section 4.3.2 steps 3 and 6).
    ///
    /// Answer owners are spelled as the query spelled its name, a CNAME's target as the CNAME
    /// spells it. The response code is that of the last name of a CNAME chain (RFC 6604 section
    /// 2). The SOA of a negative answer has the TTL of RFC 2308 section 3.
    ///
    /// - Precondition: `zone` is the zone for `question`'s name (``zone(for:recordClass:)``).
    func plan(_ question: DNSQuestion, from zone: DNSZone) -> DNSAnswerPlan {
        var plan = DNSAnswerPlan()
        self.plan(question, from: zone, into: &plan)
        return plan
    }

    /// ``plan(_:from:)`` made in `plan`, an empty one (new, or ``DNSAnswerPlan/reset()``): a
    /// server's plan, used for query after query, keeps its sections' room.
    func plan(_ question: DNSQuestion, from zone: DNSZone, into plan: inout DNSAnswerPlan) {
        var owner = question.name
        // The names a CNAME chain went through (at most maximumCNAMEChain: a list is enough).
        var visited: [DNSName] = []
        var referral: DNSRRSet?
        chase: while true {
            // The question's name is in the zone (`zone` was chosen for it), a CNAME's target
            // is followed only when it is (below).
            switch zone.lookup(inZone: owner, type: question.type) {
            case let .answer(rrset):
                plan.answers.append(DNSAnswerPlan.Entry(rrset, owner: owner))
                break chase
            case let .alias(cname):
                plan.answers.append(DNSAnswerPlan.Entry(cname, owner: owner))
                guard case let .cname(target) = cname.data[0], target.isSubdomain(of: zone.origin),
                      target != question.name, !visited.contains(target), visited.count + 1 < Self.maximumCNAMEChain
                else { break chase }
                visited.append(target)
                owner = target
            case .noData:
                plan.authorities.append(DNSAnswerPlan.Entry(zone.negativeAnswerSOARRset, owner: zone.origin))
                break chase
            case .nameError:
                plan.responseCode = .nameError
                plan.authorities.append(DNSAnswerPlan.Entry(zone.negativeAnswerSOARRset, owner: zone.origin))
                break chase
            case let .delegation(cut):
                // A referral is not authoritative, unless CNAMEs of ours led to it.
                if plan.answers.isEmpty { plan.isAuthoritative = false }
                plan.authorities.append(DNSAnswerPlan.Entry(cut))
                referral = cut
                break chase
            }
        }
        // Most answers lead nowhere (addresses, text): nothing to add, and no section made.
        guard referral != nil || plan.answers.contains(where: { $0.rrset.data.contains { $0.additionalTarget != nil } }) else {
            return
        }
        var additional = DNSAdditionalSection(excluding: plan.answers)
        if let referral { additional.addGlue(for: referral, from: zone) }
        for entry in plan.answers {
            for data in entry.rrset.data {
                guard let target = data.additionalTarget else { continue }
                if entry.rrset.type == .ns, target.isSubdomain(of: zone.origin) {
                    additional.add(zone.addressRRsets(at: target))
                } else if let targetZone = self.zone(for: target, recordClass: zone.recordClass) {
                    additional.add(targetZone.authoritativeAddressRRsets(at: target))
                }
            }
        }
        plan.additionals = additional.entries
        plan.requiredAdditionalCount = additional.requiredCount
    }
}
