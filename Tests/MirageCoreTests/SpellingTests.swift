import MirageCore
import Testing

/// Names compared by their UTF-8 bytes, as boot arguments and log sources are.
@Suite("Spelling")
struct SpellingTests {
    @Test("the same bytes are the same spelling; anything else is not",
          arguments: [
              ("hello", "hello", true), ("", "", true), ("hello", "hell", false), ("hell", "hello", false),
              ("Hello", "hello", false), ("caf\u{E9}", "caf\u{E9}", true),
              // Equal by ==, which compares by canonical equivalence, but spelled differently.
              ("caf\u{E9}", "cafe\u{301}", false),
          ])
    func sameSpelling(first: String, second: String, same: Bool) {
        #expect(first.hasSameSpelling(as: second) == same)
        #expect(first.hasSameSpelling(as: second[...]) == same)
    }

    @Test("a prefix is matched byte for byte",
          arguments: [
              ("--hello=x", "--", true), ("--hello=x", "", true), ("-l", "--", false), ("--", "--", true),
              ("e\u{301}x", "e", true),  // a prefix may end inside a character: these are bytes
          ])
    func prefix(text: String, prefix: String, starts: Bool) {
        #expect(text.startsWithSpelling(of: prefix) == starts)
    }
}
