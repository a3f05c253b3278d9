import MirageCore

/// The encoded responses to UDP queries a ``DNSServer`` has answered, by the query's bytes after
/// its ID: a query asked again (most of what an authoritative server sees) is answered with a
/// copy and its own ID instead of being decoded, looked up and encoded.
///
/// A ``DNSAuthority``'s response is a function of the query's bytes alone (RFC 1035 section 4.1:
/// the question, the header's flags and the EDNS record with its payload size, RFC 6891 section
/// 6.2.3, are all in them; the ID is copied, section 4.1.1), and the server's authority never
/// changes, so a kept response stays right. Names are kept as the query spelled them, so a query
/// with other letter cases (RFC 4343, the 0x20 trick) is another entry.
///
/// The cache holds at most ``capacity`` bytes, each entry charged as its query and response
/// lengths plus ``entryOverhead``; an entry that would pass it empties the cache first, so a flood
/// of distinct queries costs at most that memory (and an emptying now and then). Queries longer
/// than ``longestQuery`` and responses longer than ``longestResponse`` are not kept.
struct DNSResponseCache {
    /// What an entry costs beyond its bytes: two array headers and the table's slot.
    static let entryOverhead = 96
    /// The longest query kept (RFC 1035's 512-byte UDP message).
    static let longestQuery = 512
    /// The longest response kept (RFC 6891's largest common EDNS payload).
    static let longestResponse = 4096

    /// The length of a message's header (RFC 1035 section 4.1.1): shorter messages are not kept.
    static let headerLength = 12

    /// The most bytes the entries may be charged; 0 keeps nothing.
    let capacity: Int
    /// What the entries are charged now.
    private(set) var chargedBytes = 0
    private var responses: [Key: [UInt8]] = [:]

    /// A query's bytes after its ID, hashed in one pass over the bytes (an array of bytes
    /// would feed the hasher one byte at a time).
    struct Key: Hashable {
        let bytes: [UInt8]

        func hash(into hasher: inout Hasher) {
            bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
        }
    }

    init(capacity: Int) {
        self.capacity = capacity
    }

    /// How many responses are kept.
    var count: Int { responses.count }

    /// The key of `query` (a whole message, ID first); nil when it is not one to keep.
    func key(for query: UnsafeRawBufferPointer) -> Key? {
        guard capacity > 0, query.count >= Self.headerLength, query.count <= Self.longestQuery else { return nil }
        return Key(bytes: Array(query[2...]))
    }

    /// The response kept for `key`, with the ID `query` starts with, in a buffer with `headroom`
    /// bytes in front; nil when none is kept.
    func response(for key: Key, to query: UnsafeRawBufferPointer, headroom: Int) -> PacketBuffer? {
        guard let kept = responses[key] else { return nil }
        var buffer = PacketBuffer(capacity: headroom + kept.count, headroom: headroom)
        buffer.append(contentsOf: kept)
        buffer[0] = query[0]
        buffer[1] = query[1]
        return buffer
    }

    /// Keeps `response`, the authority's answer to the query of `key`, when it is short enough;
    /// empties the cache first when it would hold more than ``capacity``.
    mutating func keep(_ response: [UInt8], for key: Key) {
        guard response.count >= Self.headerLength, response.count <= Self.longestResponse else { return }
        let charge = key.bytes.count + response.count + Self.entryOverhead
        guard charge <= capacity else { return }
        if chargedBytes + charge > capacity {
            responses.removeAll(keepingCapacity: true)
            chargedBytes = 0
        }
        if let previous = responses.updateValue(response, forKey: key) {
            chargedBytes -= key.bytes.count + previous.count + Self.entryOverhead
        }
        chargedBytes += charge
    }
}
