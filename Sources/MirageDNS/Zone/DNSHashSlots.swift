/// The slots of an open-addressing hash table whose entries live in an array of their own: each
/// slot holds an entry's index (plus one; 0 is empty), found by linear probing from the entry's
/// hash. The table keeps itself at most half full, growing as entries are added; the caller
/// keeps each entry's hash, for the probe and for moving entries when the slots grow.
///
/// What ``DNSNameTable`` (a zone's names) and ``DNSResponseCache`` (responses by query) index
/// their entries with.
struct DNSHashSlots {
    private var slots: [Int32]

    /// Slots for a few entries; none at all when `empty` (a table that never holds any).
    init(empty: Bool = false) {
        slots = empty ? [] : Array(repeating: 0, count: 16)
    }

    /// The first entry from `hash`'s slot on for which `matches` holds, or nil at the first
    /// empty slot.
    @inline(__always)
    func find(hash: Int, _ matches: (Int) -> Bool) -> Int? {
        guard !slots.isEmpty else { return nil }
        let mask = slots.count - 1
        var slot = hash & mask
        while true {
            let entry = Int(slots[slot]) - 1
            guard entry >= 0 else { return nil }
            if matches(entry) { return entry }
            slot = (slot + 1) & mask
        }
    }

    /// Adds `entry`, the `count`th entry (counting it), whose hash is `hash`; `hashes` gives
    /// each earlier entry's hash when the slots grow.
    mutating func insert(_ entry: Int, hash: Int, count: Int, hashes: (Int) -> Int) {
        if count * 2 > slots.count {
            slots = Array(repeating: 0, count: Swift.max(16, slots.count * 2))
            for earlier in 0..<entry { place(earlier, hash: hashes(earlier)) }
        }
        place(entry, hash: hash)
    }

    /// Empties every slot, keeping their number.
    mutating func removeAll() {
        for slot in slots.indices { slots[slot] = 0 }
    }

    private mutating func place(_ entry: Int, hash: Int) {
        let mask = slots.count - 1
        var slot = hash & mask
        while slots[slot] != 0 { slot = (slot + 1) & mask }
        slots[slot] = Int32(entry + 1)
    }
}
