/// A TCP sequence number: a point in the 32-bit sequence space, compared modulo 2^32
/// (RFC 9293 section 3.4: "a < b" means a is earlier, when the two are less than 2^31 apart).
///
/// The comparison is not a total order over all values (no modular one is), but it is one over
/// any window smaller than 2^31, which is all TCP ever compares.
public struct SequenceNumber: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var rawValue: UInt32

    @inlinable public init(_ rawValue: UInt32) { self.rawValue = rawValue }

    /// The number `offset` octets later (or earlier, when negative), wrapping.
    @inlinable
    public static func + (lhs: SequenceNumber, offset: Int) -> SequenceNumber {
        SequenceNumber(lhs.rawValue &+ UInt32(truncatingIfNeeded: offset))
    }

    @inlinable
    public static func - (lhs: SequenceNumber, offset: Int) -> SequenceNumber {
        SequenceNumber(lhs.rawValue &- UInt32(truncatingIfNeeded: offset))
    }

    @inlinable
    public static func += (lhs: inout SequenceNumber, offset: Int) { lhs = lhs + offset }

    /// The octets from `earlier` to `later`: negative when `later` comes first.
    @inlinable
    public static func - (later: SequenceNumber, earlier: SequenceNumber) -> Int {
        Int(Int32(bitPattern: later.rawValue &- earlier.rawValue))
    }

    @inlinable
    public static func < (lhs: SequenceNumber, rhs: SequenceNumber) -> Bool { lhs - rhs < 0 }

    /// Whether `self` lies in `lower ..< upper`, modulo 2^32.
    @inlinable
    public func isWithin(_ lower: SequenceNumber, _ upper: SequenceNumber) -> Bool {
        self - lower >= 0 && upper - self > 0
    }

    public var description: String { String(rawValue) }
}

/// The later of two sequence numbers.
@inlinable
func later(_ a: SequenceNumber, _ b: SequenceNumber) -> SequenceNumber { a < b ? b : a }

/// The earlier of two sequence numbers.
@inlinable
func earlier(_ a: SequenceNumber, _ b: SequenceNumber) -> SequenceNumber { a < b ? a : b }
