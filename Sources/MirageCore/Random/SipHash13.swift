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
        var v0 = 0x736f_6d65_7073_6575 ^ key.0
        var v1 = 0x646f_7261_6e64_6f6d ^ key.1
        var v2 = 0x6c79_6765_6e65_7261 ^ key.0
        var v3 = 0x7465_6462_7974_6573 ^ key.1
        @inline(__always) func round() {
            v0 &+= v1; v1 = v1.rotated(13); v1 ^= v0; v0 = v0.rotated(32)
            v2 &+= v3; v3 = v3.rotated(16); v3 ^= v2
            v0 &+= v3; v3 = v3.rotated(21); v3 ^= v0
            v2 &+= v1; v1 = v1.rotated(17); v1 ^= v2; v2 = v2.rotated(32)
        }
        let count = bytes.count
        var offset = 0
        while offset + 8 <= count {
            let m = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
            v3 ^= m
            round()
            v0 ^= m
            offset += 8
        }
        var last = UInt64(truncatingIfNeeded: count) << 56
        let tail = count - offset
        if tail > 0, count >= 8 {
            // The tail is the high end of the last eight bytes: one load, shifted down.
            let word = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self))
            last |= word >> UInt64(64 - 8 * tail)
        } else {
            var shift: UInt64 = 0
            while offset < count {
                last |= UInt64(bytes[offset]) << shift
                shift += 8
                offset += 1
            }
        }
        v3 ^= last
        round()
        v0 ^= last
        v2 ^= 0xff
        round()
        round()
        round()
        return v0 ^ v1 ^ v2 ^ v3
    }
}

extension UInt64 {
    @inline(__always)
    fileprivate func rotated(_ by: UInt64) -> UInt64 { (self << by) | (self >> (64 - by)) }
}
