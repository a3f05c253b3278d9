import MirageCore

/// The addresses a DHCP server has handed out (RFC 2131 section 4.3.1's "bindings"): at most one
/// entry per address, so the table never outgrows the pool and the static leases, whatever the
/// clients send.
public struct DHCPLeaseTable: Sendable {
    /// What an address is doing.
    public enum Use: Hashable, Sendable {
        /// Offered to the client, held until `until` for its DHCPREQUEST.
        case offered(until: Instant)
        /// Leased to the client until `until`; nil for ever.
        case bound(until: Instant?)
        /// A client found it in use by another host: out of the pool until `until`.
        case declined(until: Instant)
    }

    /// One address in use.
    public struct Entry: Hashable, Sendable {
        public var address: IPv4Address
        /// Who holds it: the client identifier (option 61), or 1 and the MAC (RFC 2132 section
        /// 9.14's form for Ethernet) when the client sent none; empty for a declined address.
        public var client: [UInt8]
        public var use: Use

        /// Whether the entry has lapsed at `now`, its address free again.
        public func hasLapsed(at now: Instant) -> Bool {
            switch use {
            case let .offered(until), let .declined(until): until <= now
            case let .bound(until): until.map { $0 <= now } ?? false
            }
        }
    }

    private var byAddress: [IPv4Address: Entry] = [:]
    private var byClient: [[UInt8]: IPv4Address] = [:]

    public init() {}

    /// The entries, by address.
    public var entries: [Entry] { byAddress.values.sorted { $0.address < $1.address } }

    /// The entry of `address`, lapsed or not.
    public func entry(for address: IPv4Address) -> Entry? { byAddress[address] }

    /// The address `client` holds (offered or bound), lapsed or not.
    public func address(of client: [UInt8]) -> IPv4Address? { byClient[client] }

    /// Whether `address` may go to `client` at `now`: no entry, a lapsed one, or `client`'s own.
    public func isAvailable(_ address: IPv4Address, to client: [UInt8], at now: Instant) -> Bool {
        guard let entry = byAddress[address] else { return true }
        if case .declined = entry.use { return entry.hasLapsed(at: now) }
        return entry.client == client || entry.hasLapsed(at: now)
    }

    /// Gives `address` to `client` for `use`, taking it from whoever held it and moving the
    /// client off any other address it held.
    public mutating func assign(_ address: IPv4Address, to client: [UInt8], _ use: Use) {
        if let previous = byAddress[address], byClient[previous.client] == address { byClient[previous.client] = nil }
        if let held = byClient[client], held != address { byAddress[held] = nil }
        byAddress[address] = Entry(address: address, client: client, use: use)
        byClient[client] = address
    }

    /// Marks `address` declined until `until`: no client holds it.
    public mutating func decline(_ address: IPv4Address, until: Instant) {
        if let previous = byAddress[address], byClient[previous.client] == address { byClient[previous.client] = nil }
        byAddress[address] = Entry(address: address, client: [], use: .declined(until: until))
    }

    /// Frees the address `client` holds.
    public mutating func release(_ client: [UInt8]) {
        guard let address = byClient.removeValue(forKey: client) else { return }
        byAddress[address] = nil
    }

    /// Drops every entry lapsed at `now`; returns how many.
    @discardableResult
    public mutating func removeLapsed(at now: Instant) -> Int {
        let lapsed = byAddress.values.filter { $0.hasLapsed(at: now) }
        for entry in lapsed {
            byAddress[entry.address] = nil
            if byClient[entry.client] == entry.address { byClient[entry.client] = nil }
        }
        return lapsed.count
    }
}
