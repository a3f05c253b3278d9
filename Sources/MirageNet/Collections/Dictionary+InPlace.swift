extension Dictionary {
    /// Runs `body` on the value at `index` through an inout access, so that the value is neither
    /// copied out nor written back. Reading a value through the subscript's getter copies it and
    /// retains every buffer it holds; for a TCP connection that is the whole state machine.
    @inline(__always)
    mutating func modifyValue<Result>(at index: Index, _ body: (inout Value) -> Result) -> Result {
        body(&values[index])
    }
}
