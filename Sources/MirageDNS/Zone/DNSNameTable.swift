/// Names and a value for each, found by their ``DNSNameHash``: a zone's table of nodes.
///
/// A lookup takes a hash and the name's wire labels as bytes (a suffix of a longer name's, say),
/// so that a walk down from a zone's origin makes no name for each ancestor. Open addressing
/// with linear probing in a power-of-two array of slots kept at most half full. The names are
/// the zone's, fixed once it is made: a query only probes, so whatever name it asks for, a
/// lookup's work is bounded by the longest run of filled slots, which the zone alone decides.
struct DNSNameTable<Value> {
    /// The names, in the order added.
    private(set) var names: [DNSName] = []
    /// The value of each name, by the name's index.
    var values: [Value] = []
    /// The hash of each name, by index: compared before the bytes, and kept for growing.
    private var hashes: [Int] = []
    /// The index plus one of the name in each slot; 0 for an empty slot.
    private var slots: [Int32] = Array(repeating: 0, count: 8)

    var count: Int { names.count }

    /// The index of `name`, or nil.
    func index(of name: DNSName) -> Int? {
        name.storage.withUnsafeBytes { labels in index(of: labels, hash: DNSNameHash(labels: labels).value) }
    }

    /// The index of the name whose wire labels (without the root label) are `labels` and whose
    /// hash is `hash`, or nil.
    func index(of labels: UnsafeRawBufferPointer, hash: Int) -> Int? {
        let mask = slots.count - 1
        var slot = hash & mask
        while true {
            let entry = Int(slots[slot]) - 1
            guard entry >= 0 else { return nil }
            if hashes[entry] == hash,
               names[entry].storage.withUnsafeBytes({ DNSName.bytesEqualIgnoringCase($0, labels) }) {
                return entry
            }
            slot = (slot + 1) & mask
        }
    }

    /// Adds `name` with `value`; returns its index.
    ///
    /// - Precondition: `name` is not in the table.
    @discardableResult
    mutating func append(_ name: DNSName, _ value: Value) -> Int {
        precondition(index(of: name) == nil, "a name twice in a table")
        if (names.count + 1) * 2 > slots.count { resize(to: slots.count * 2) }
        let hash = name.storage.withUnsafeBytes { DNSNameHash(labels: $0).value }
        names.append(name)
        values.append(value)
        hashes.append(hash)
        place(names.count - 1)
        return names.count - 1
    }

    private mutating func resize(to slotCount: Int) {
        slots = Array(repeating: 0, count: slotCount)
        for entry in names.indices { place(entry) }
    }

    /// Puts entry `entry` in the first empty slot from its hash's.
    private mutating func place(_ entry: Int) {
        let mask = slots.count - 1
        var slot = hashes[entry] & mask
        while slots[slot] != 0 { slot = (slot + 1) & mask }
        slots[slot] = Int32(entry + 1)
    }
}
