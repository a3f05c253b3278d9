extension Array {
    /// Removes every element from the end, keeping the storage for the next fill.
    ///
    /// `removeAll(keepingCapacity: true)` does the same through the general `replaceSubrange`
    /// path (about 200 instructions for a one-element array, Benchmarks/dns/instructions.py): a
    /// table emptied after every query or datagram pays that each time, this a few a element.
    @inlinable
    public mutating func emptyFromEnd() {
        while !isEmpty { removeLast() }
    }
}
