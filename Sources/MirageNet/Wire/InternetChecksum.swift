/// The Internet checksum (RFC 1071): the 16-bit one's-complement of the one's-complement sum of the
/// data taken as big-endian 16-bit words, used by IPv4, ICMP, UDP and TCP.
///
/// Sums are kept in 64 bits and folded at the end (RFC 1071 section 2, "deferred carries"), and the
/// bulk is read eight bytes at a time (section 2(C), "parallel summation"): the one's-complement sum
/// is independent of byte order as long as it is swapped once at the end (section 2(B)).
public struct InternetChecksum: Sendable {
    /// The running sum in host order of native-endian words, before folding.
    @usableFromInline var accumulator: UInt64 = 0
    /// Whether an odd number of bytes has been added so far, so the next byte is a low byte.
    @usableFromInline var odd = false

    public init() {}

    /// Adds `bytes` to the sum.
    @inlinable
    public mutating func add(_ bytes: UnsafeRawBufferPointer) {
        guard var cursor = bytes.baseAddress, bytes.count > 0 else { return }
        var remaining = bytes.count
        if odd {
            accumulator &+= UInt64(cursor.load(as: UInt8.self)) << 8
            cursor += 1
            remaining -= 1
            odd = false
        }
        var sum = accumulator
        while remaining >= 8 {
            let word = cursor.loadUnaligned(as: UInt64.self)
            let (added, carry) = sum.addingReportingOverflow(word)
            sum = added &+ (carry ? 1 : 0)
            cursor += 8
            remaining -= 8
        }
        while remaining >= 2 {
            let (added, carry) = sum.addingReportingOverflow(UInt64(cursor.loadUnaligned(as: UInt16.self)))
            sum = added &+ (carry ? 1 : 0)
            cursor += 2
            remaining -= 2
        }
        if remaining == 1 {
            // A trailing byte is the high byte of a big-endian word, whose native position on a
            // little-endian machine is the low byte.
            let (added, carry) = sum.addingReportingOverflow(UInt64(cursor.load(as: UInt8.self)))
            sum = added &+ (carry ? 1 : 0)
            odd = true
        }
        accumulator = sum
    }

    /// Adds a 16-bit big-endian field (a pseudo-header word, a length).
    @inlinable
    public mutating func add(_ value: UInt16) {
        precondition(!odd, "words are added at even offsets")
        let (added, carry) = accumulator.addingReportingOverflow(UInt64(value.bigEndian))
        accumulator = added &+ (carry ? 1 : 0)
    }

    /// Adds a 32-bit big-endian field (an IPv4 address in a pseudo-header).
    @inlinable
    public mutating func add(_ value: UInt32) {
        add(UInt16(truncatingIfNeeded: value >> 16))
        add(UInt16(truncatingIfNeeded: value))
    }

    /// The one's-complement sum folded to 16 bits, in host order.
    @inlinable
    public var sum: UInt16 {
        var folded = (accumulator & 0xFFFF_FFFF) &+ (accumulator >> 32)
        folded = (folded & 0xFFFF) &+ (folded >> 16)
        folded = (folded & 0xFFFF) &+ (folded >> 16)
        folded = (folded & 0xFFFF) &+ (folded >> 16)
        return UInt16(bigEndian: UInt16(truncatingIfNeeded: folded))
    }

    /// The checksum to write into a header: the complement of the sum, in host order.
    @inlinable
    public var checksum: UInt16 { ~sum }

    /// The checksum of `bytes` alone.
    @inlinable
    public static func of(_ bytes: UnsafeRawBufferPointer) -> UInt16 {
        var checksum = InternetChecksum()
        checksum.add(bytes)
        return checksum.checksum
    }
}
