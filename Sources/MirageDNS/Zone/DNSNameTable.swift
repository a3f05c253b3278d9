/// Names and a value for each, found by their ``DNSNameHash``: a zone's table of nodes.
///
/// A lookup takes a hash and the name's wire labels as bytes (a suffix of a longer name's, say),
/// so that a walk down from a zone's origin makes no name for each ancestor; the entries are
/// indexed by ``DNSHashSlots``. The names are the zone's, fixed once it is made: a query only
/// probes, so whatever name it asks for, a lookup's work is bounded by the longest run of
/// filled slots, which the zone alone decides.
struct DNSNameTable<Value> {
    /// The names, in the order added.
    private(set) var names: [DNSName] = []
    /// The value of each name, by the name's index.
    var values: [Value] = []
    /// The hash of each name, by index: compared before the bytes, and kept for growing.
    private var hashes: [Int] = []
    private var slots = DNSHashSlots()

    var count: Int { names.count }

    /// The index of `name`, or nil.
    func index(of name: DNSName) -> Int? {
        name.storage.withUnsafeBytes { labels in index(of: labels, hash: DNSNameHash(labels: labels).value) }
    }

    /// The index of the name whose wire labels (without the root label) are `labels` and whose
    /// hash is `hash`, or nil.
    func index(of labels: UnsafeRawBufferPointer, hash: Int) -> Int? {
        slots.find(hash: hash) { entry in
            hashes[entry] == hash && names[entry].storage.withUnsafeBytes { DNSName.bytesEqualIgnoringCase($0, labels) }
        }
    }

    /// Adds `name` with `value`; returns its index.
    ///
    /// - Precondition: `name` is not in the table.
    @discardableResult
    mutating func append(_ name: DNSName, _ value: Value) -> Int {
        precondition(index(of: name) == nil, "a name twice in a table")
        let hash = name.storage.withUnsafeBytes { DNSNameHash(labels: $0).value }
        names.append(name)
        values.append(value)
        hashes.append(hash)
        slots.insert(names.count - 1, hash: hash, count: names.count) { hashes[$0] }
        return names.count - 1
    }
}
