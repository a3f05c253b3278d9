import MirageNet
import MirageRuntime

/// A DHCP server (RFC 2131, as charrua-unix): it hands out the addresses of `--pool` and the
/// static leases of `--hosts` on the network of its own stack, with the routers, DNS servers
/// and domain given, and logs every lease, refusal and decline in one line.
///
/// Its leases and declined addresses are kept in a writable key-value store (`/leases`, on the
/// block device `leases`), written at most once a second after a change, so that a restarted
/// server goes on with the bindings it made (RFC 2131 section 4.3.1).
///
/// It needs our stack with a fixed address (`--ipv4=ADDRESS/PREFIX`; on unix `configure
/// --net=direct`): a server answers from its own address, which the host's sockets do not have.
struct DHCPServerUnikernel<Stack: UDPStack & IPv4AddressedStack, Clock: MonotonicClock, Wall: WallClock,
                           Store: WritableKeyValueStore>: Unikernel {
    typealias Failure = DHCPServerFailure

    let log = LogSource("dhcp", documentation: "the leases handed out")
    let stack: Stack
    let clock: Clock
    let wallClock: Wall
    let store: Store
    let saver = LeaseSaver()
    let pool: String
    let hosts: String
    let leaseTime: Int
    let routers: String
    let dns: String
    let domain: String

    init(_ stack: Stack, _ clock: Clock, _ wallClock: Wall, _ store: Store, pool: String, hosts: String, leaseTime: Int,
         routers: String, dns: String, domain: String) {
        self.stack = stack
        self.clock = clock
        self.wallClock = wallClock
        self.store = store
        self.pool = pool
        self.hosts = hosts
        self.leaseTime = leaseTime
        self.routers = routers
        self.dns = dns
        self.domain = domain
    }

    func start() async throws(Failure) {
        let configuration = try makeConfiguration()
        var server = DHCPServer(configuration: configuration)
        await restoreLeases(into: &server)
        let socket: Stack.Socket
        do { socket = try stack.bind(port: 67) } catch { throw .network(error) }
        log.info("DHCP server \(configuration.address) on \(configuration.network.network)/\(configuration.network.length): "
                 + "pool \(configuration.pool.lowerBound)-\(configuration.pool.upperBound), "
                 + "\(configuration.staticLeases.count) static lease\(configuration.staticLeases.count == 1 ? "" : "s"), "
                 + "lease time \(configuration.leaseTime.components.seconds) s")
        var malformed = 0
        var exhausted = false
        while true {
            let datagram: Datagram
            do { datagram = try await socket.receive() } catch { throw .network(error) }
            let message: DHCPMessage
            do {
                message = try datagram.payload.withUnsafeBytes { (bytes) throws(WireError) in try DHCPMessage.parse(bytes) }
            } catch {
                malformed += 1
                log.debug("dropped a malformed message from \(datagram.source) (\(malformed) so far): \(error)")
                continue
            }
            let reply = server.receive(message, now: clock.now())
            var changed = false
            for event in server.takeEvents() {
                switch event {
                case .acknowledged, .declined, .released: changed = true
                default: break
                }
                switch event {
                case .exhausted where exhausted:
                    // Said once until an address is free again: a flood of DISCOVERs does not
                    // become a flood of log lines.
                    continue
                case .exhausted: exhausted = true
                case .offered, .acknowledged: exhausted = false
                default: break
                }
                report(event)
            }
            if changed { save(server.leases) }
            guard let reply else { continue }
            let bytes = reply.message.encoded
            var payload = PacketBuffer(capacity: 64 + bytes.count, headroom: 64)
            payload.append(contentsOf: bytes)
            if case let .hardware(address, hardware) = reply.destination {
                // The client has no address yet and cannot answer ARP for the one offered: the
                // stack is told where it is, and the reply goes unicast (RFC 2131 section 4.1).
                stack.learnNeighbor(address, at: hardware)
            }
            let destination: Endpoint = switch reply.destination {
            case let .relay(relay): Endpoint(.v4(relay), port: 67)
            case let .client(address), let .hardware(address, _): Endpoint(.v4(address), port: 68)
            case .broadcast: Endpoint(.v4(.broadcast), port: 68)
            }
            do { try await socket.send(payload, to: destination) } catch {
                log.warning("cannot send \(reply.message.options.messageType.map { "\($0)" } ?? "a reply") to \(destination): \(error)")
            }
        }
    }

    /// The key the leases are kept at.
    static var leasesKey: KeyValueKey { KeyValueKey("leases") }

    /// Takes back the leases the store kept from an earlier run.
    private func restoreLeases(into server: inout DHCPServer) async {
        let text: [UInt8]
        do {
            text = try await store.get(Self.leasesKey)
        } catch {
            if case .notFound = error { log.info("no leases kept from an earlier run") } else { log.warning("cannot read the kept leases: \(error)") }
            return
        }
        let (restored, skipped) = server.restoreLeases(savedText: String(decoding: text, as: UTF8.self), now: clock.now(),
                                                       wallNow: wallClock.now())
        log.info("\(restored) lease\(restored == 1 ? "" : "s") kept from an earlier run\(skipped > 0 ? ", \(skipped) lapsed or outside the pool" : "")")
    }

    /// Writes `leases` to the store, at most once a second: changes meanwhile are written
    /// together after it.
    private func save(_ leases: DHCPLeaseTable) {
        saver.pending = Array(leases.savedText(now: clock.now(), wallNow: wallClock.now()).utf8)
        guard !saver.isSaving else { return }
        saver.isSaving = true
        Task {
            while let text = saver.pending {
                saver.pending = nil
                await write(text)
                try? await sleep(for: .seconds(1))
            }
            saver.isSaving = false
        }
    }

    private func write(_ leases: [UInt8]) async {
        do { try await store.set(Self.leasesKey, leases) } catch { log.warning("cannot keep the leases: \(error)") }
    }

    private func report(_ event: DHCPServer.Event) {
        switch event {
        case let .offered(address, mac): log.debug("DHCPOFFER \(address) to \(mac)")
        case let .acknowledged(address, mac): log.info("DHCPACK \(address) to \(mac)")
        case let .refused(address, mac, reason): log.info("DHCPNAK \(address) to \(mac): \(reason)")
        case let .declined(address, mac): log.warning("DHCPDECLINE \(address) from \(mac): in use by another host")
        case let .released(address, mac): log.info("DHCPRELEASE \(address) from \(mac)")
        case let .informed(address): log.debug("DHCPINFORM from \(address)")
        case let .exhausted(mac): log.warning("no address left for \(mac) (said once until an address is free again)")
        }
    }

    /// The server's configuration from the boot arguments and the stack's address.
    private func makeConfiguration() throws(Failure) -> DHCPServerConfiguration {
        let network = stack.ipv4Network
        guard network.address != .any else {
            throw .configuration("the server needs a fixed address: give --ipv4=ADDRESS/PREFIX")
        }
        let bounds = Self.split(pool, on: "-")
        guard bounds.count == 2, let first = IPv4Address(bounds[0]), let last = IPv4Address(bounds[1]), first <= last else {
            throw .configuration("--pool=\(pool): give FIRST-LAST, such as 10.0.0.50-10.0.0.99")
        }
        var configuration = DHCPServerConfiguration(address: network.address, network: network, pool: first ... last)
        for host in Self.split(hosts, on: ",") {
            let parts = Self.split(host, on: "=")
            guard parts.count == 2, let mac = MACAddress(parts[0]), let address = IPv4Address(parts[1]) else {
                throw .configuration("--hosts: '\(host)' is not MAC=ADDRESS, such as 52:54:00:12:34:56=10.0.0.10")
            }
            configuration.staticLeases[mac] = address
        }
        configuration.leaseTime = .seconds(leaseTime)
        configuration.routers = try Self.addresses(routers, "--routers", own: network.address)
        configuration.domainNameServers = try Self.addresses(dns, "--dns", own: network.address)
        configuration.domainName = domain.isEmpty ? nil : domain
        if let problem = configuration.problem { throw .configuration(problem) }
        return configuration
    }

    private static func addresses(_ text: String, _ key: String, own: IPv4Address) throws(Failure) -> [IPv4Address] {
        var addresses: [IPv4Address] = []
        for word in split(text, on: ",") {
            if word == "self" {
                addresses.append(own)
            } else if let address = IPv4Address(word) {
                addresses.append(address)
            } else {
                throw .configuration("\(key): '\(word)' is not an IPv4 address (or self)")
            }
        }
        return addresses
    }

    /// `text` split on an ASCII byte, empty parts dropped. (Splitting on a Character needs
    /// Unicode's grapheme-break tables, which an Embedded image then carries.)
    private static func split(_ text: String, on separator: Unicode.Scalar) -> [String] {
        text.utf8.split(separator: UInt8(ascii: separator)).map { String(decoding: $0, as: UTF8.self) }
    }
}

/// The leases waiting to be written, and whether a write is under way.
final class LeaseSaver {
    var pending: [UInt8]?
    var isSaving = false
}

/// Why the DHCP server stopped.
enum DHCPServerFailure: Error, CustomStringConvertible {
    case network(FlowError)
    case configuration(String)

    var description: String {
        switch self {
        case let .network(error): "network: \(error)"
        case let .configuration(problem): problem
        }
    }
}
