import Foundation
import MirageCore
@testable import MirageOCI
import Testing

/// `String.includes`, which the runtimes' path checks use where Embedded Swift has no
/// `contains(_: String)`, against Foundation's `range(of:options: .literal)` as the oracle.
struct StringIncludesTests {
    @Test("includes finds what occurs byte for byte: at the start, the end, across multi-byte characters; not what is longer or absent; the empty text everywhere")
    func cases() {
        #expect("/unikernel/../etc".includes(".."))
        #expect("..".includes(".."))
        #expect("a/b:c".includes(":"))
        #expect("unix:///run/x".includes("://"))
        #expect("path\0hidden".includes("\0"))
        #expect("/tmp/café/x".includes("é/"))
        #expect(!"/unikernel/echo.hvt".includes(".."))
        #expect(!".".includes(".."))
        #expect(!"".includes("a"))
        #expect("".includes(""))
        #expect("abc".includes(""))
    }

    @Test("random strings over a small alphabet: the same answer as Foundation's literal search (seeded; the seed is printed)")
    func random() {
        let seed = UInt64.random(in: 0...UInt64.max)
        print("StringIncludesTests.random seed: \(seed)")
        var generator = SplitMix64(seed: seed)
        let alphabet: [Character] = ["a", "b", ".", "/", ":", "é"]
        func text(_ length: Int) -> String {
            String((0..<length).map { _ in alphabet[Int(generator.next() % UInt64(alphabet.count))] })
        }
        for _ in 0..<2_000 {
            let haystack = text(Int(generator.next() % 12)), needle = text(Int(generator.next() % 4))
            let expected = needle.isEmpty || haystack.range(of: needle, options: .literal) != nil
            #expect(haystack.includes(needle) == expected, "\(haystack) / \(needle), seed \(seed)")
        }
    }
}
