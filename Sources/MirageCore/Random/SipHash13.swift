/// SipHash-1-3 (Aumasson and Bernstein, 2012, with one compression and three finalisation
/// rounds, the variant Swift's `Hasher` runs): a keyed pseudo-random function over a buffer,
/// read eight bytes at a time. For tables keyed by bytes from outside (a DNS query), where an
/// attacker who cannot learn the key cannot make entries collide; `Hasher` computes the same
/// function but, fed through its generic interface, takes about four times the instructions for
/// a short query.
public struct SipHash13 {
    public let key: (UInt64, UInt64)

    public init(key: (UInt64, UInt64)) {
        self.key = key
    }

    /// A key drawn from the process's random hashing seed (the one `Hasher` uses), for a table
    /// that needs a secret key and has no entropy source of its own.
    public static func seededKey() -> (UInt64, UInt64) {
        var first = Hasher()
        first.combine(0x5349_5048_4153_4831 as UInt64)
        var second = Hasher()
        second.combine(0x5349_5048_4153_4832 as UInt64)
        return (UInt64(UInt(bitPattern: first.finalize())), UInt64(UInt(bitPattern: second.finalize())))
    }

    /// The 64-bit SipHash-1-3 of `bytes`.
    public func hash(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var state = Words(key: key)
        let count = bytes.count
        var offset = 0
        while offset + 8 <= count {
            state.append(UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self)))
            offset += 8
        }
        return state.finish(tail: bytes.littleEndianTail(from: offset, to: count), byteCount: count)
    }

    /// SipHash-1-3 fed eight bytes at a time, for a caller that makes its input a word at a time
    /// (a domain name's labels, say) and wants the hash of each prefix as it goes: the state is
    /// four words, copied freely, and ``value`` finishes a copy.
    ///
    /// Inlinable: the lookup that feeds it is in another module, and a call per word was a
    /// third of its cost.
    public struct Words {
        @usableFromInline var v0, v1, v2, v3: UInt64
        /// Words appended so far.
        @usableFromInline var count: UInt64 = 0

        @inlinable
        public init(key: (UInt64, UInt64)) {
            v0 = 0x736f_6d65_7073_6575 ^ key.0
            v1 = 0x646f_7261_6e64_6f6d ^ key.1
            v2 = 0x6c79_6765_6e65_7261 ^ key.0
            v3 = 0x7465_6462_7974_6573 ^ key.1
        }

        /// Appends eight bytes, `word` in little-endian order.
        @inlinable @inline(__always)
        public mutating func append(_ word: UInt64) {
            v3 ^= word
            round()
            v0 ^= word
            count &+= 1
        }

        /// The SipHash-1-3 of the bytes appended so far.
        @inlinable
        public var value: UInt64 {
            var copy = self
            return copy.finish(tail: 0, byteCount: Int(truncatingIfNeeded: count &* 8))
        }

        /// Ends the hash of `byteCount` bytes, all but the last `byteCount % 8` of them appended,
        /// those last ones in `tail` (little-endian, the rest zero).
        @inlinable @inline(__always)
        mutating func finish(tail: UInt64, byteCount: Int) -> UInt64 {
            let last = UInt64(truncatingIfNeeded: byteCount) << 56 | tail
            v3 ^= last
            round()
            v0 ^= last
            v2 ^= 0xff
            round()
            round()
            round()
            return v0 ^ v1 ^ v2 ^ v3
        }

        @inlinable @inline(__always)
        mutating func round() {
            v0 &+= v1; v1 = v1.rotated(13); v1 ^= v0; v0 = v0.rotated(32)
            v2 &+= v3; v3 = v3.rotated(16); v3 ^= v2
            v0 &+= v3; v3 = v3.rotated(21); v3 ^= v0
            v2 &+= v1; v1 = v1.rotated(17); v1 ^= v2; v2 = v2.rotated(32)
        }
    }
}

extension UnsafeRawBufferPointer {
    /// The fewer than eight bytes from `start` to `end` as a little-endian word, zeros above them:
    /// one load of the eight bytes before `end`, shifted down, where there are eight; else byte
    /// by byte. For hashes that take a buffer a word at a time (``SipHash13``, a zone's
    /// `DNSNameHash`).
    ///
    /// - Precondition: `0 <= start <= end <= count` and `end - start < 8`.
    @inlinable @inline(__always)
    public func littleEndianTail(from start: Int, to end: Int) -> UInt64 {
        let tail = end - start
        guard tail > 0 else { return 0 }
        if end >= 8 {
            return UInt64(littleEndian: loadUnaligned(fromByteOffset: end - 8, as: UInt64.self)) >> UInt64(64 - 8 * tail)
        }
        var word: UInt64 = 0
        var shift: UInt64 = 0
        for offset in start..<end {
            word |= UInt64(self[offset]) << shift
            shift += 8
        }
        return word
    }
}

extension UInt64 {
    @inlinable @inline(__always)
    func rotated(_ by: UInt64) -> UInt64 { (self << by) | (self >> (64 - by)) }
}
