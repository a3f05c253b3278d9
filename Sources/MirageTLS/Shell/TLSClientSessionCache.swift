import MirageCore

/// The sessions a TLS client stack may resume (RFC 8446 section 2.2, RFC 5077): the latest
/// ticket each server gave, under the server's name and port, so that the next connection to it
/// is an abbreviated handshake. Servers choose the tickets' sizes, so the cache is bounded by the
/// bytes it holds (``maximumBytes``, 64 KiB by default: a few hundred servers' tickets of usual
/// size); past it the oldest entries go. A TLS 1.3 ticket is offered once (RFC 8446 appendix
/// C.4: a reused ticket links connections); a TLS 1.2 one until it expires or is replaced.
public final class TLSClientSessionCache {
    /// The most bytes of tickets, secrets and names held, each entry charged ``entryOverhead`` more.
    public let maximumBytes: Int
    /// What an entry costs beyond its bytes: the array slot, the ticket's fields, the strings' headers.
    public static let entryOverhead = 128
    public static let defaultMaximumBytes = 64 * 1024

    /// Oldest first.
    private var entries: [(server: String, ticket: TLSSessionTicket, cost: Int)] = []
    /// The bytes charged for the entries held.
    public private(set) var bytes = 0
    public var count: Int { entries.count }

    public init(maximumBytes: Int = TLSClientSessionCache.defaultMaximumBytes) {
        self.maximumBytes = maximumBytes
    }

    /// The ticket to offer `server` at `now`, if one is kept and usable; a TLS 1.3 one is taken out.
    func ticket(for server: String, now: WallTime) -> TLSSessionTicket? {
        guard let index = entries.firstIndex(where: { $0.server == server }) else { return nil }
        let entry = entries[index]
        if !entry.ticket.isUsable(at: now) || entry.ticket.cipherSuite.parameters?.version != .tls12 {
            bytes -= entry.cost
            entries.remove(at: index)
        }
        return entry.ticket.isUsable(at: now) ? entry.ticket : nil
    }

    /// Keeps `ticket` for `server` in place of the one held, dropping the oldest entries while
    /// over ``maximumBytes``; one larger than that by itself is not kept.
    func keep(_ ticket: TLSSessionTicket, for server: String) {
        if let index = entries.firstIndex(where: { $0.server == server }) {
            bytes -= entries[index].cost
            entries.remove(at: index)
        }
        let cost = ticket.ticket.count + ticket.preSharedKey.count + server.utf8.count + (ticket.serverName?.utf8.count ?? 0) + Self.entryOverhead
        guard cost <= maximumBytes else { return }
        while bytes + cost > maximumBytes, !entries.isEmpty {
            bytes -= entries.removeFirst().cost
        }
        entries.append((server, ticket, cost))
        bytes += cost
    }
}
