/// The DER form of an ECDSA signature (RFC 5480 section 2.2, SEC 1 appendix C.8):
/// `SEQUENCE { r INTEGER, s INTEGER }`, read strictly by ``DERReader`` (minimal lengths and
/// integers, nothing after the sequence), so that a signature has one encoding only.
public enum ECDSASignatureDER {
    /// The raw signature (r then s, each `scalarLength` bytes), or nil when `der` is not a
    /// strict DER signature whose integers fit.
    public static func raw(fromDER der: [UInt8], scalarLength: Int) -> [UInt8]? {
        var outer = DERReader(der, context: "ECDSA signature")
        guard var sequence = try? outer.sequence(), (try? outer.finish()) != nil,
              let r = try? sequence.unsignedInteger(), let s = try? sequence.unsignedInteger(), (try? sequence.finish()) != nil,
              r.count <= scalarLength, s.count <= scalarLength else { return nil }
        return [UInt8](repeating: 0, count: scalarLength - r.count) + r + [UInt8](repeating: 0, count: scalarLength - s.count) + s
    }

    /// The DER form of the raw signature `raw` (r then s, of equal lengths).
    public static func der(fromRaw raw: [UInt8]) -> [UInt8] {
        let half = raw.count / 2
        return DER.sequence([DER.unsignedInteger(Array(raw[..<half])), DER.unsignedInteger(Array(raw[half...]))])
    }
}
