import MirageCore

extension IPv6Interface {
    /// Takes a router advertisement the stack has validated (RFC 4861 section 6.1.2: from a
    /// link-local source, hop limit 255): the default router list (section 6.3.4), the hop limit
    /// and MTU, on-link prefixes, and, in automatic mode, addresses formed from autonomous
    /// prefixes (RFC 4862 section 5.5.3). Routers' reachable time and retransmission timer are the
    /// neighbour cache's, for the stack to apply.
    public mutating func receiveRouterAdvertisement(_ advertisement: ICMPv6Message.RouterAdvertisement,
                                                    from router: IPv6Address, now: Instant) {
        guard isEnabled else { return }
        nextRouterSolicitation = nil // heard: stop soliciting
        if advertisement.currentHopLimit != 0 { hopLimit = advertisement.currentHopLimit }
        updateRouter(router, lifetime: advertisement.routerLifetime, preference: advertisement.routerPreference, now: now)
        for option in advertisement.options {
            switch option {
            case let .mtu(mtu):
                // Section 6.3.4: only an MTU between IPv6's least and the link's may be taken.
                if mtu >= UInt32(Self.minimumMTU), mtu <= UInt32(deviceMTU) { linkMTU = Int(mtu) }
            case let .prefixInformation(information):
                receivePrefix(information, now: now)
            case let .recursiveDNSServers(lifetime, servers):
                receiveDNSServers(servers, lifetime: lifetime, now: now)
            default:
                break
            }
        }
    }

    private mutating func updateRouter(_ router: IPv6Address, lifetime: UInt16, preference: Int8, now: Instant) {
        let index = routers.firstIndex { $0.address == router }
        if lifetime == 0 {
            if let index, routers[index].expires != nil { routers.remove(at: index) }
            return
        }
        let expires = now + .seconds(Int64(lifetime))
        if let index {
            if routers[index].expires != nil {
                routers[index].expires = expires
                routers[index].preference = preference
            }
        } else if routers.count < configuration.routerLimit {
            routers.append((router, expires, preference))
        } else {
            refusedAdvertisements += 1
        }
    }

    /// A Prefix Information option (RFC 4861 section 6.3.4; RFC 4862 section 5.5.3).
    private mutating func receivePrefix(_ information: NDPOption.PrefixInformation, now: Instant) {
        guard information.prefixLength <= 128, !information.prefix.isLinkLocal, !information.prefix.isMulticast else { return }
        let prefix = IPv6Prefix(address: IPv6Prefix(address: information.prefix, length: Int(information.prefixLength)).network,
                                length: Int(information.prefixLength))
        if information.onLink { updateOnLinkPrefix(prefix, validLifetime: information.validLifetime, now: now) }
        guard information.autonomous, configuration.mode == .automatic,
              information.preferredLifetime <= information.validLifetime else { return }
        // Interface identifiers here are 64 bits (RFC 4291 section 2.5.1): other lengths form no address.
        guard prefix.length == 64 else { return }
        let valid = Self.expiry(information.validLifetime, now: now)
        let preferred = Self.expiry(information.preferredLifetime, now: now)
        if let index = addresses.firstIndex(where: { $0.origin == .autoconfigured && $0.prefix.contains(prefix.address) }) {
            // Section 5.5.3 e: a shorter valid lifetime is taken only down to two hours, so
            // that a forged advertisement cannot end an address at once.
            let twoHours = now + .seconds(7200)
            let remaining = addresses[index].validUntil
            let exceeds: Bool
            if let valid { exceeds = valid > twoHours || remaining.map { valid > $0 } ?? false } else { exceeds = true }
            if exceeds {
                addresses[index].validUntil = valid
            } else if remaining.map({ $0 > twoHours }) ?? true {
                addresses[index].validUntil = twoHours
            }
            addresses[index].preferredUntil = preferred
            return
        }
        guard information.validLifetime > 0 else { return }
        guard addresses.count(where: { $0.origin == .autoconfigured }) < configuration.autoconfiguredAddressLimit else {
            refusedAdvertisements += 1
            return
        }
        let address = IPv6Address(prefix: prefix.address, interfaceIdentifier: interfaceIdentifier)
        guard !owns(address, includingTentative: true) else { return }
        add(IPv6Prefix(address: address, length: 64), origin: .autoconfigured, now: now, preferredUntil: preferred, validUntil: valid)
    }

    private mutating func updateOnLinkPrefix(_ prefix: IPv6Prefix, validLifetime: UInt32, now: Instant) {
        let index = prefixes.firstIndex { $0.prefix == prefix }
        if validLifetime == 0 {
            if let index, prefixes[index].expires != nil { prefixes.remove(at: index) }
            return
        }
        let expires = Self.expiry(validLifetime, now: now)
        if let index {
            if prefixes[index].expires != nil { prefixes[index].expires = expires ?? now + .seconds(Int64(UInt32.max)) }
        } else if prefixes.count < configuration.prefixLimit {
            prefixes.append((prefix, expires ?? now + .seconds(Int64(UInt32.max))))
        } else {
            refusedAdvertisements += 1
        }
    }

    /// An RDNSS option (RFC 8106 section 5.3.1): each server is kept for the lifetime, or
    /// forgotten when it is 0; multicast, unspecified and loopback addresses are not servers.
    private mutating func receiveDNSServers(_ servers: [IPv6Address], lifetime: UInt32, now: Instant) {
        for server in servers.reversed() where !server.isMulticast && server != .any && server != .loopback {
            dnsServers.removeAll { $0.address == server }
            guard lifetime > 0 else { continue }
            if dnsServers.count >= configuration.dnsServerLimit, let soonest = dnsServers.indices.min(by: {
                (dnsServers[$0].expires ?? Instant(nanoseconds: .max)) < (dnsServers[$1].expires ?? Instant(nanoseconds: .max))
            }) {
                dnsServers.remove(at: soonest)
            }
            guard configuration.dnsServerLimit > 0 else { continue }
            dnsServers.insert((server, Self.expiry(lifetime, now: now)), at: 0)
        }
    }

    /// A lifetime in seconds from `now`; all ones is infinity (RFC 4861 section 4.6.2), nil.
    static func expiry(_ lifetime: UInt32, now: Instant) -> Instant? {
        lifetime == UInt32.max ? nil : now + .seconds(Int64(lifetime))
    }

    // MARK: Timers

    /// When ``handleTimers(now:)`` next has work.
    ///
    /// A mutating getter, so that the stack asks it in place: a plain one was asked of a copy of
    /// the interface (360 bytes, a `memcpy` at every flush).
    public var nextDeadline: Instant? {
        mutating get {
            var next = nextRouterSolicitation
            for entry in addresses {
                next = next.earliest(entry.nextProbe).earliest(entry.validUntil)
            }
            for prefix in prefixes { next = next.earliest(prefix.expires) }
            for router in routers { next = next.earliest(router.expires) }
            for server in dnsServers { next = next.earliest(server.expires) }
            return next.earliest(pathMTU.nextDeadline)
        }
    }

    /// Runs duplicate address detection and router solicitation, and ends what expired;
    /// the events say what to send (``takeEvents()``).
    public mutating func handleTimers(now: Instant) {
        for index in addresses.indices {
            guard let due = addresses[index].nextProbe, due <= now else { continue }
            if addresses[index].probesSent < configuration.duplicateAddressProbes {
                if addresses[index].probesSent == 0 { events.append(.reportAgain(addresses[index].address)) }
                addresses[index].probesSent += 1
                addresses[index].nextProbe = now + configuration.neighbors.retransmitTimer
                events.append(.probe(addresses[index].address))
            } else {
                addresses[index].isTentative = false
                addresses[index].nextProbe = nil
                becameReady(addresses[index], now: now)
            }
        }
        let expired = addresses.filter { $0.validUntil.map { $0 <= now } ?? false }
        if !expired.isEmpty {
            addresses.removeAll { $0.validUntil.map { $0 <= now } ?? false }
            for entry in expired { events.append(.removed(entry.address)) }
        }
        prefixes.removeAll { $0.expires.map { $0 <= now } ?? false }
        routers.removeAll { $0.expires.map { $0 <= now } ?? false }
        dnsServers.removeAll { $0.expires.map { $0 <= now } ?? false }
        pathMTU.expire(now: now)
        if let due = nextRouterSolicitation, due <= now {
            if routerSolicitationsSent < Self.maximumRouterSolicitations, linkLocalAddress != nil {
                routerSolicitationsSent += 1
                events.append(.solicitRouters)
                nextRouterSolicitation = now + Self.routerSolicitationInterval
            } else {
                nextRouterSolicitation = nil
            }
        }
    }
}
