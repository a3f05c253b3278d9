import MirageCore

/// SYN cookies (RFC 4987 section 3.6): when a listener's half-open queue is full, the SYN-ACK's
/// sequence number encodes what the connection needs, and no state is kept until the ACK proves the
/// peer's address by echoing it.
///
/// The 32 bits: a 5-bit time counter (64 s steps), a 3-bit MSS index and a 24-bit keyed hash of the
/// connection, the peer's ISN, the counter and the index. With timestamps, the low 5 bits of our
/// TSval carry the peer's window scale (15 for none) and SACK permission, as Linux does.
enum SYNCookie {
    static let mssTable = [536, 1220, 1440, 1460, 4312, 8960]
    static let period: UInt64 = 64_000_000_000

    static func counter(_ now: Instant) -> UInt32 { UInt32(truncatingIfNeeded: now.nanoseconds / period) }

    /// The ISS for a SYN from `id` with initial sequence `peerISN`, announcing `peerMSS`.
    static func make(_ id: ConnectionID, peerISN: SequenceNumber, peerMSS: Int, now: Instant,
                     secrets: ConnectionSecrets) -> (sequence: SequenceNumber, mss: Int) {
        let index = mssTable.lastIndex { $0 <= peerMSS } ?? 0
        let time = counter(now) & 0x1F
        let cookie = time << 27 | UInt32(index) << 24 | hash(id, peerISN: peerISN, time: counter(now), index: index, secrets: secrets)
        return (SequenceNumber(cookie), mssTable[index])
    }

    /// Checks the ACK's cookie (its acknowledgment number less one): the counter must be the
    /// current or the previous one. - Returns: the MSS it carried, or nil when it is not ours.
    static func check(_ id: ConnectionID, cookie: SequenceNumber, peerISN: SequenceNumber, now: Instant,
                      secrets: ConnectionSecrets) -> Int? {
        let value = cookie.rawValue
        let index = Int(value >> 24 & 0x7)
        guard index < mssTable.count else { return nil }
        let current = counter(now)
        for time in [current, current &- 1] where time & 0x1F == value >> 27 {
            if hash(id, peerISN: peerISN, time: time, index: index, secrets: secrets) == value & 0xFF_FFFF {
                return mssTable[index]
            }
        }
        return nil
    }

    /// The 5 low TSval bits: window scale (15 when absent) and SACK permission.
    static func options(scale: UInt8?, sack: Bool) -> UInt32 {
        UInt32(scale.map { Swift.min($0, 14) } ?? 15) | (sack ? 0x10 : 0)
    }

    static func decodeOptions(_ bits: UInt32) -> (scale: UInt8?, sack: Bool) {
        let scale = UInt8(bits & 0xF)
        return (scale == 15 ? nil : scale, bits & 0x10 != 0)
    }

    private static func hash(_ id: ConnectionID, peerISN: SequenceNumber, time: UInt32, index: Int,
                             secrets: ConnectionSecrets) -> UInt32 {
        UInt32(truncatingIfNeeded: secrets.hash(id, purpose: 4, extra: peerISN.rawValue ^ (time << 3 | UInt32(index)))) & 0xFF_FFFF
    }
}
