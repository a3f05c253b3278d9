/// A table keyed by file descriptor: an array indexed by the number, so a lookup costs an index
/// rather than a hash, as the kernel's own descriptor table does. The kernel hands out the lowest
/// free number, so the numbers stay as small as the count of descriptors the process has open
/// (bounded by its `RLIMIT_NOFILE`), and so does the table: a slot per number up to the highest
/// seen.
struct FileDescriptorTable<Value> {
    private var slots: [Value?] = []

    /// The value for `fd`, nil when there is none.
    subscript(fd: Int32) -> Value? {
        fd >= 0 && Int(fd) < slots.count ? slots[Int(fd)] : nil
    }

    /// Calls `body` with `fd`'s slot to read or change in place (nil when empty; set it to nil to
    /// empty it), growing the table to reach it.
    /// - Precondition: `fd` is not negative.
    mutating func update<Result>(_ fd: Int32, _ body: (inout Value?) throws -> Result) rethrows -> Result {
        precondition(fd >= 0, "a negative file descriptor")
        let index = Int(fd)
        if index >= slots.count { slots.append(contentsOf: repeatElement(nil, count: index + 1 - slots.count)) }
        return try body(&slots[index])
    }

    /// Empties `fd`'s slot and returns what it held.
    mutating func removeValue(for fd: Int32) -> Value? {
        guard fd >= 0, Int(fd) < slots.count else { return nil }
        defer { slots[Int(fd)] = nil }
        return slots[Int(fd)]
    }
}
