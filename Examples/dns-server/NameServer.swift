import MirageDNS
import MirageRuntime

/// An authoritative name server: every `*.zone` master file of a key-value store, answered over
/// UDP and TCP on `--port`, at most `--dns-tcp-connections` TCP connections at once. The same code runs with the host's sockets or our stack, on unix and
/// hvt, over files compiled in (crunch) or read from a tar archive on a block device
/// (`configure --kv=tar`).
///
/// A file's zone is named after the file (`example.com.zone` is `example.com.`) unless it sets
/// `$ORIGIN`, in which case the zone is that of its SOA record. A file that does not make a zone
/// stops the unikernel at start with the file, the line and the problem.
struct NameServer<Stack: TCPStack & UDPStack, Zones: KeyValueStore, Clock: MonotonicClock>: Unikernel {
    typealias Failure = NameServerFailure

    let log = LogSource("zones", documentation: "the zones loaded")
    let stack: Stack
    let store: Zones
    let clock: Clock
    let port: UInt16
    let transfers: Bool
    let tcpConnections: Int

    init(_ stack: Stack, _ store: Zones, _ clock: Clock, port: UInt16, transfers: Bool, dnsTcpConnections: Int) {
        self.stack = stack
        self.store = store
        self.clock = clock
        self.port = port
        self.transfers = transfers
        tcpConnections = Swift.max(dnsTcpConnections, 1)
    }

    func start() async throws(Failure) {
        let zones = try await loadZones()
        var configuration = DNSServerConfiguration()
        configuration.allowsZoneTransfers = transfers
        configuration.maximumTCPConnections = tcpConnections
        let server = DNSServer(authority: DNSAuthority(zones: zones), stack: stack, clock: clock,
                               configuration: configuration)
        let udp: Stack.Socket
        let tcp: Stack.Listener
        do {
            udp = try stack.bind(port: port)
            tcp = try stack.listen(port: port)
        } catch {
            throw .network(error)
        }
        log.info("serving \(zones.count) zone\(zones.count == 1 ? "" : "s") on UDP and TCP port \(port)"
                 + (transfers ? ", zone transfers allowed" : ""))
        await server.serve(udp: udp, tcp: tcp)
    }

    /// Parses every `*.zone` file at the top of the store, in the order of their names.
    private func loadZones() async throws(Failure) -> [DNSZone] {
        let entries: [(key: KeyValueKey, kind: KeyValueEntryKind)]
        do { entries = try await store.list(.root) } catch { throw .store(error) }
        var zones: [DNSZone] = []
        for (key, kind) in entries {
            guard kind == .value, let file = key.basename, let stem = Self.stem(of: file) else { continue }
            let text: [UInt8]
            do { text = try await store.get(key) } catch { throw .store(error) }
            let origin: DNSName?
            if Self.setsOrigin(text) {
                origin = nil
            } else {
                do { origin = try DNSName(parsing: stem) } catch { throw .badFileName(file, error) }
            }
            let zone: DNSZone
            do {
                zone = try DNSZone(parsing: String(decoding: text, as: UTF8.self), origin: origin)
            } catch {
                throw .badZone(file: file, error)
            }
            guard !zones.contains(where: { $0.origin == zone.origin }) else { throw .duplicateZone(file: file, zone.origin) }
            log.info("\(zone.origin): \(zone.records.count) records from \(file), serial \(zone.soaData.serial)")
            zones.append(zone)
        }
        guard !zones.isEmpty else { throw .noZones }
        return zones
    }

    /// `example.com` for `example.com.zone`; nil for a file of another kind. On the bytes: a
    /// String's `hasSuffix` compares Characters and would bring Unicode's tables into an
    /// Embedded image.
    static func stem(of file: String) -> String? {
        let bytes = Array(file.utf8)
        let suffix = Array(".zone".utf8)
        guard bytes.count > suffix.count, Array(bytes.suffix(suffix.count)) == suffix else { return nil }
        return String(decoding: bytes.dropLast(suffix.count), as: UTF8.self)
    }

    /// Whether the master file has an `$ORIGIN` directive.
    static func setsOrigin(_ text: [UInt8]) -> Bool {
        let directive = Array("$ORIGIN".utf8)
        guard text.count >= directive.count else { return false }
        return (0...(text.count - directive.count)).contains { start in
            text[start] == directive[0] && Array(text[start..<(start + directive.count)]) == directive
        }
    }
}

/// Why the name server did not start.
enum NameServerFailure: Error, CustomStringConvertible {
    case store(KeyValueError)
    case badFileName(String, DNSNameError)
    case badZone(file: String, DNSZoneError)
    case duplicateZone(file: String, DNSName)
    case noZones
    case network(FlowError)

    var description: String {
        switch self {
        case let .store(error): "cannot read the zones: \(error)"
        case let .badFileName(file, error): "\(file): the file's name is not a zone's name: \(error)"
        case let .badZone(file, error): "\(file): \(error)"
        case let .duplicateZone(file, origin): "\(file): a second zone \(origin)"
        case .noZones: "no *.zone file in the store"
        case let .network(error): "cannot serve: \(error)"
        }
    }
}
