import MirageCore

/// MLDv2's message types and record types (RFC 3810 sections 5 and 5.2.12).
enum MLD {
    static let query: UInt8 = 130
    static let report: UInt8 = 143
    static let modeIsExclude: UInt8 = 2
    static let changeToInclude: UInt8 = 3
    static let changeToExclude: UInt8 = 4

    /// The Maximum Response Delay in milliseconds a query's Maximum Response Code stands for
    /// (RFC 3810 section 5.1.3): the code itself below 32768, else a floating-point value.
    static func maximumResponseDelay(code: UInt16) -> UInt64 {
        guard code >= 0x8000 else { return UInt64(code) }
        let mantissa = UInt64(code & 0x0FFF), exponent = UInt64((code >> 12) & 0x7)
        return (mantissa | 0x1000) << (exponent + 3)
    }
}

extension StackCore {
    /// Neighbour discovery input (RFC 4861): every message must come with hop limit 255 (so
    /// from this link, section 7.1), then solicitations are answered, advertisements update the
    /// neighbour cache or reveal a duplicate address (RFC 4862 section 5.4), router
    /// advertisements from link-local sources configure the interface, and redirects are
    /// ignored (a host may; this one does not follow them).
    mutating func receiveNDP(_ message: ICMPv6Message, header: IPv6Header, reception: IPv6Interface.Reception, now: Instant) {
        guard header.hopLimit == 255 else {
            statistics.ndpInvalid += 1
            return
        }
        switch message.kind {
        case let .neighborSolicitation(target, options):
            receiveNeighborSolicitation(target: target, linkLayer: Self.linkLayer(in: options, target: false),
                                        header: header, now: now)
        case let .neighborAdvertisement(advertisement):
            let target = advertisement.target
            guard !(advertisement.solicited && reception == .multicast) else {
                statistics.ndpInvalid += 1 // section 7.1.2
                return
            }
            if ipv6.duplicateDetected(target) {
                performIPv6Events(now: now)
                return
            }
            if ipv6.owns(target) {
                statistics.ipv6AddressConflicts += 1 // another node claims an address we use
                return
            }
            let actions = neighbors.receiveAdvertisement(target: target, mac: Self.linkLayer(in: advertisement.options, target: true),
                                                         router: advertisement.router, solicited: advertisement.solicited,
                                                         override: advertisement.override, now: now)
            for action in actions { perform(action, now: now) }
        case let .routerAdvertisement(advertisement):
            guard header.source.isLinkLocal else {
                statistics.ndpInvalid += 1 // section 6.1.2
                return
            }
            statistics.routerAdvertisements += 1
            ipv6.receiveRouterAdvertisement(advertisement, from: header.source, now: now)
            if advertisement.reachableTime != 0 {
                neighbors.configuration.reachableTime = .milliseconds(Int64(Swift.min(advertisement.reachableTime, 3_600_000)))
            }
            if advertisement.retransmitTimer != 0 {
                neighbors.configuration.retransmitTimer = .milliseconds(Int64(Swift.min(Swift.max(advertisement.retransmitTimer, 100), 60_000)))
            }
            if let mac = Self.linkLayer(in: advertisement.options, target: false) {
                // Entered as a router (past the cache's share for neighbours only heard from) only
                // when it is one of the few default routers kept: a flood of advertisements from
                // forged routers cannot crowd the cache.
                let isDefaultRouter = ipv6.routers.contains { $0.address == header.source }
                for action in neighbors.learn(header.source, mac: mac, isRouter: isDefaultRouter, now: now) { perform(action, now: now) }
            }
            performIPv6Events(now: now)
        case .redirect:
            statistics.redirectsIgnored += 1
        default:
            break // router solicitations are for routers
        }
    }

    /// A neighbour solicitation (RFC 4861 section 7.2.3): one from the unspecified address is
    /// another node's duplicate address detection (RFC 4862 section 5.4.3): a collision with our
    /// tentative address, or answered to all nodes for an address we hold; one from a neighbour
    /// teaches its link-layer address and is answered directly.
    private mutating func receiveNeighborSolicitation(target: IPv6Address, linkLayer: MACAddress?, header: IPv6Header, now: Instant) {
        if header.source.isUnspecified {
            guard header.destination == target.solicitedNode, linkLayer == nil else {
                statistics.ndpInvalid += 1 // section 7.1.1
                return
            }
            if ipv6.duplicateDetected(target) {
                performIPv6Events(now: now)
            } else if ipv6.owns(target) {
                advertise(target, to: .allNodes, solicited: false, linkLayer: nil, now: now)
            }
            return
        }
        guard ipv6.owns(target) else { return } // tentative or not ours: silent
        var linkLayerDestination: MACAddress?
        if let linkLayer {
            for action in neighbors.learn(header.source, mac: linkLayer, now: now) { perform(action, now: now) }
            linkLayerDestination = linkLayer
        }
        advertise(target, to: header.source, solicited: true, linkLayer: linkLayerDestination, now: now)
    }

    /// Sends a neighbour advertisement for our `target` with our link-layer address (section
    /// 7.2.4; Override set: the address is ours).
    private mutating func advertise(_ target: IPv6Address, to destination: IPv6Address, solicited: Bool,
                                    linkLayer: MACAddress?, now: Instant) {
        let advertisement = ICMPv6Message(.neighborAdvertisement(.init(target: target, router: false, solicited: solicited, override: true,
                                                                       options: [.targetLinkLayerAddress(mac)])))
        statistics.neighborAdvertisementsSent += 1
        sendICMPv6(advertisement, from: target, to: destination, hopLimit: 255,
                   linkLayer: linkLayer ?? (destination.isMulticast ? destination.multicastMAC : nil), now: now)
    }

    /// The link-layer address option of a neighbour discovery message: the source's or the
    /// target's.
    static func linkLayer(in options: [NDPOption], target: Bool) -> MACAddress? {
        for option in options {
            switch option {
            case let .sourceLinkLayerAddress(mac) where !target: return mac
            case let .targetLinkLayerAddress(mac) where target: return mac
            default: continue
            }
        }
        return nil
    }

    /// Carries out what the neighbour cache asks for.
    mutating func perform(_ action: consuming NeighborAction, now: Instant) {
        switch action {
        case let .transmit(packet, destination):
            sendFrame(packet, etherType: .ipv6, to: destination)
        case let .solicit(target, unicast):
            guard let source = ipv6.sourceAddress(for: target, now: now) else { return }
            let solicitation = ICMPv6Message(.neighborSolicitation(target: target, options: [.sourceLinkLayerAddress(mac)]))
            let destination = unicast == nil ? target.solicitedNode : target
            sendICMPv6(solicitation, from: source, to: destination, hopLimit: 255,
                       linkLayer: unicast ?? destination.multicastMAC, now: now)
        }
    }

    // MARK: Addresses and groups

    /// Carries out the interface's events: MLD reports for new groups, duplicate address
    /// detection probes, router solicitations.
    mutating func performIPv6Events(now: Instant) {
        for event in ipv6.takeEvents() {
            switch event {
            case let .added(address):
                ipv6AddressesChanged = true
                sendMLDReport(groups: [address.solicitedNode], recordType: MLD.changeToExclude, now: now)
            case let .reportAgain(address):
                sendMLDReport(groups: [address.solicitedNode], recordType: MLD.changeToExclude, now: now)
            case let .probe(address):
                // RFC 4862 section 5.4.2: from the unspecified address, without a link-layer option.
                let probe = ICMPv6Message(.neighborSolicitation(target: address, options: []))
                sendICMPv6(probe, from: .any, to: address.solicitedNode, hopLimit: 255,
                           linkLayer: address.solicitedNode.multicastMAC, now: now)
            case .ready:
                ipv6AddressesChanged = true
            case let .duplicate(address):
                ipv6Duplicates.append(address)
            case let .removed(address):
                ipv6AddressesChanged = true
                if !ipv6.solicitedNodeGroups.contains(address.solicitedNode) {
                    sendMLDReport(groups: [address.solicitedNode], recordType: MLD.changeToInclude, now: now)
                }
            case .solicitRouters:
                guard let source = ipv6.linkLocalAddress else { continue }
                let solicitation = ICMPv6Message(.routerSolicitation([.sourceLinkLayerAddress(mac)]))
                sendICMPv6(solicitation, from: source, to: .allRouters, hopLimit: 255,
                           linkLayer: IPv6Address.allRouters.multicastMAC, now: now)
            }
        }
    }

    /// A multicast listener query (RFC 3810 section 6.2): answered with our groups after a
    /// random delay up to the query's Maximum Response Delay, so that the listeners on a link do
    /// not all answer at once; while a response is pending, a query that would send it later
    /// changes nothing, so a flood of queries costs one report per delay. Queries come from a
    /// link-local source with hop limit 1.
    mutating func receiveMLDQuery(_ header: IPv6Header, maximumResponseCode: UInt16, now: Instant) {
        guard header.source.isLinkLocal, header.hopLimit == 1 else { return }
        let limit = MLD.maximumResponseDelay(code: maximumResponseCode)
        mldQueries &+= 1
        let milliseconds = limit == 0 ? 0 : tcp.secrets.jitter(mldQueries) % limit
        let due = now + .milliseconds(Int64(milliseconds))
        if let pending = pendingMLDReport, pending <= due { return }
        pendingMLDReport = due
    }

    /// Sends an MLDv2 report (RFC 3810 section 5.2) for `groups` to ff02::16, from the
    /// link-local address (or the unspecified one before it is ready, RFC 3810 section 5.2.13),
    /// with hop limit 1 and a Router Alert option.
    mutating func sendMLDReport(groups: [IPv6Address], recordType: UInt8, now: Instant) {
        guard !groups.isEmpty else { return }
        var records: [UInt8] = []
        for group in groups { records += [recordType, 0, 0, 0] + group.bytes }
        let source = ipv6.linkLocalAddress ?? .any
        let report = ICMPv6Message(.other(type: MLD.report, code: 0, rest: UInt32(groups.count)), body: records)
        let icmp = report.encoded(source: source, destination: .allMLDv2Routers)
        // Hop-by-Hop Options: next header ICMPv6, length 0, Router Alert (MLD, value 0), PadN.
        let hopByHop: [UInt8] = [IPProtocol.icmpv6.rawValue, 0, 5, 2, 0, 0, 1, 0]
        var buffer = PacketBuffer(capacity: 64 + hopByHop.count + icmp.count, headroom: 64)
        buffer.append(contentsOf: hopByHop + icmp)
        sendIPv6(buffer, protocol: .hopByHopOptions, to: .allMLDv2Routers, source: source, hopLimit: 1, now: now)
    }
}
