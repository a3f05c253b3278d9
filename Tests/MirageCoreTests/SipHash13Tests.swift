import MirageCore
import Testing

/// SipHash-1-3 against CPython's, the hash of `bytes` with `PYTHONHASHSEED=0` (a key of zeros):
/// `PYTHONHASHSEED=0 python3 -c 'print(hex(hash(b"abc") & (2**64 - 1)))'` (CPython 3.11,
/// `sys.hash_info.algorithm == "siphash13"`).
@Suite("SipHash-1-3: CPython's values for a zero key, at every tail length")
struct SipHash13Tests {
    func hash(_ text: String, key: (UInt64, UInt64) = (0, 0)) -> UInt64 {
        Array(text.utf8).withUnsafeBytes { SipHash13(key: key).hash($0) }
    }

    @Test("short, a word, a word and a tail, two words and a tail", arguments: [
        ("a", 0x4074_48d2_b89b_1813 as UInt64),
        ("abcdefg", 0x6db1_2aae_9070_f506),
        ("abcdefgh", 0x3f7b_849c_0b8e_35ea),
        ("abcdefghijklmno", 0x1fd2_7a29_b0e9_dc7a),
        ("abcdefghijklmnop", 0x94f6_0d3d_29e6_a312),
        ("www.example.com.", 0xb393_dd75_abdf_c324),
        ("the quick brown fox jumps over", 0xad7d_bf39_b6f5_e689),
    ])
    func cpython(text: String, expected: UInt64) {
        #expect(hash(text) == expected)
    }

    @Test("the key changes every value; two seeded keys differ")
    func keyed() {
        #expect(hash("www.example.com.", key: (1, 0)) != hash("www.example.com."))
        #expect(hash("www.example.com.", key: (0, 1)) != hash("www.example.com."))
        let first = SipHash13.seededKey()
        #expect(first.0 != first.1)
    }

    @Test("fed a word at a time, each prefix's value is the hash of those bytes")
    func words() {
        let bytes = Array("abcdefghijklmnopqrstuvwxyz012345".utf8)
        let key: (UInt64, UInt64) = (0x0123_4567_89ab_cdef, 0xfedc_ba98_7654_3210)
        var state = SipHash13.Words(key: key)
        #expect(state.value == [UInt8]().withUnsafeBytes { SipHash13(key: key).hash($0) })
        for words in 1...4 {
            let word = bytes[(words - 1) * 8..<words * 8].withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
            state.append(UInt64(littleEndian: word))
            #expect(state.value == bytes[..<(words * 8)].withUnsafeBytes { SipHash13(key: key).hash($0) })
        }
    }
}
