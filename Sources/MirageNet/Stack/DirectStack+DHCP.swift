import MirageCore
import MirageRuntime

/// The DHCP client of a direct stack (`--ipv4=dhcp`): ``DHCPClient`` driven by the stack's own
/// tasks. Its datagrams come to UDP port 68 of the core, its timers join the core's, and what it
/// asks for is carried out at each flush: messages sent, ARP probes, the address changed.
extension DirectStack {
    /// Starts the DHCP client and returns once it has bound a lease; it goes on renewing it, and
    /// moves the stack when the lease changes or ends. The stack must have been created
    /// ``StackCore/unconfigured``.
    /// - Parameter seed: 64 random bits for transaction IDs and retransmission jitter.
    public func acquireAddress(_ configuration: DHCPClient.Configuration = DHCPClient.Configuration(), seed: UInt64) async {
        precondition(dhcp == nil, "the stack runs one DHCP client")
        do {
            _ = try core.bindUDP(port: StackCore.dhcpClientPort)
        } catch {
            Self.log.error("DHCP: cannot bind UDP port 68: \(error)")
            return
        }
        var settings = configuration
        settings.mtu = device.mtu
        var client = DHCPClient(mac: device.mac, configuration: settings, seed: seed)
        Self.log.info("DHCP: asking for an address on \(device.mac)")
        let actions = client.start(now: clock.now())
        dhcp = client
        perform(actions)
        await flush()
        while lease == nil { await dhcpBound.wait() }
    }

    /// Takes the DHCP client's due timers, the datagrams queued on port 68 and ARP conflicts, and
    /// carries out what it asks for. Called at each flush.
    func serviceDHCP() {
        guard var client = dhcp else { return }
        let now = clock.now()
        var actions = client.handleTimers(now: now)
        while let datagram = core.receiveUDP(port: StackCore.dhcpClientPort) {
            do {
                let message = try datagram.payload.withUnsafeBytes { (bytes) throws(WireError) in try DHCPMessage.parse(bytes) }
                actions += client.receive(message, now: now)
            } catch {
                dhcpMalformed += 1
                Self.log.debug("DHCP: dropped a malformed message from \(datagram.source): \(error)")
            }
        }
        for address in core.takeAddressConflicts() {
            let declined = client.conflict(on: address, now: now)
            if !declined.isEmpty { Self.log.warning("DHCP: \(address) is in use by another host: declined") }
            actions += declined
        }
        dhcp = client
        perform(actions)
    }

    private func perform(_ actions: [DHCPClient.Action]) {
        let now = clock.now()
        for action in actions {
            switch action {
            case let .send(message, destination):
                let bytes = message.encoded
                var payload = PacketBuffer(capacity: 64 + bytes.count, headroom: 64)
                payload.append(contentsOf: bytes)
                let to: IPv4Address
                switch destination {
                case .broadcast: to = .broadcast
                case let .server(server): to = server
                }
                do {
                    try core.sendUDP(payload, from: StackCore.dhcpClientPort, to: to, port: 67, now: now)
                } catch {
                    Self.log.debug("DHCP: cannot send \(message.options.messageType.map { "\($0)" } ?? "a message") to \(to): \(error)")
                }
            case let .probe(address):
                core.probeAddress(address)
            case let .bind(new):
                let moved = lease.map { $0.address != new.address || $0.gateway != new.gateway } ?? true
                lease = new
                if moved {
                    core.changeAddress(to: new.address, gateway: new.gateway, now: now)
                    Self.log.info("DHCP lease \(new)")
                } else {
                    Self.log.debug("DHCP: renewed \(new.address.address) from \(new.server)")
                }
                dhcpBound.wakeAll()
            case let .unbind(reason):
                lease = nil
                core.changeAddress(to: StackCore.unconfigured, gateway: nil, now: now)
                Self.log.warning("DHCP: no address: \(reason)")
            }
        }
    }
}
