import MirageCore
import MirageDNS
import Testing

@Suite("Domain names (RFC 1035 sections 2.3 and 5.1, RFC 4343)")
struct DNSNameTests {
    @Test("presentation form: labels, the root, a final dot optional, escapes \\. and \\DDD")
    func parsing() throws {
        let plain = try DNSName(parsing: "www.Example.org.")
        #expect(plain.labels.map { Array($0) } == [ascii("www"), ascii("Example"), ascii("org")])
        #expect(try DNSName(parsing: "www.example.org") == plain)
        #expect(try DNSName(parsing: ".").isRoot)
        let escaped = try DNSName(parsing: "a\\.b.c\\032d\\255.")
        #expect(escaped.labelCount == 2)
        #expect(escaped.labels.map { Array($0) } == [ascii("a.b"), ascii("c d") + [255]])
        #expect(escaped.description == "a\\.b.c\\032d\\255.")
        #expect(try DNSName(parsing: escaped.description) == escaped)
    }

    @Test("relative names are completed by the origin; @ is the origin")
    func relativeNames() throws {
        let origin = name("example.org")
        #expect(try DNSName(parsing: "www", origin: origin) == name("www.example.org"))
        #expect(try DNSName(parsing: "www.", origin: origin) == name("www"))
        #expect(try DNSName(parsing: "@", origin: origin) == origin)
        #expect(throws: DNSNameError.missingOrigin) { try DNSName(parsing: "@") }
        #expect(throws: DNSNameError.missingOrigin) { try DNSName(parsing: Array("www".utf8), requiresOrigin: true) }
    }

    @Test("bad presentation forms: empty labels, bad escapes, labels over 63 and names over 255 bytes")
    func badText() {
        #expect(throws: DNSNameError.emptyLabel) { try DNSName(parsing: "a..b") }
        #expect(throws: DNSNameError.emptyLabel) { try DNSName(parsing: ".a") }
        #expect(throws: DNSNameError.emptyLabel) { try DNSName(parsing: "") }
        #expect(throws: DNSNameError.badEscape) { try DNSName(parsing: "a\\25") }
        #expect(throws: DNSNameError.badEscape) { try DNSName(parsing: "a\\256") }
        #expect(throws: DNSNameError.badEscape) { try DNSName(parsing: "a\\") }
        #expect(throws: DNSNameError.labelTooLong(length: 64)) {
            try DNSName(parsing: String(repeating: "a", count: 64) + ".org")
        }
        #expect(throws: Never.self) { try DNSName(parsing: String(repeating: "a", count: 63)) }
        // Four labels of 63 bytes take 4 * 64 + 1 = 257 bytes; 3 of 63 and one of 61, 255.
        let label63 = String(repeating: "b", count: 63)
        #expect(throws: DNSNameError.nameTooLong(length: 257)) {
            try DNSName(parsing: [label63, label63, label63, label63].joined(separator: "."))
        }
        #expect(throws: Never.self) {
            try DNSName(parsing: [label63, label63, label63, String(repeating: "c", count: 61)].joined(separator: "."))
        }
    }

    @Test("names compare and hash without ASCII case but keep the case they were written in")
    func caseInsensitivity() {
        let upper = name("WWW.Example.ORG")
        let lower = name("www.example.org")
        #expect(upper == lower)
        #expect(upper.hashValue == lower.hashValue)
        #expect(Set([upper, lower]).count == 1)
        #expect(upper.description == "WWW.Example.ORG.")
        #expect(!upper.hasSameSpelling(as: lower))
        #expect(upper.lowercased().hasSameSpelling(as: lower))
        // Only ASCII letters fold: bytes 0xC0 and 0xE0 stay different.
        #expect(try! DNSName(labels: [[0xc0]]) != (try! DNSName(labels: [[0xe0]])))
        #expect(name("a.b") != name("ab"))
    }

    @Test("structure: label count, parent, suffixes, subdomains, relative labels, wildcards")
    func structure() throws {
        let www = name("www.example.org")
        #expect(www.labelCount == 3 && DNSName.root.labelCount == 0)
        #expect(www.parent == name("example.org") && DNSName.root.parent == nil)
        #expect(www.suffix(labelCount: 1) == name("org") && www.suffix(labelCount: 0).isRoot)
        #expect(www.isSubdomain(of: name("EXAMPLE.org")) && www.isSubdomain(of: www) && www.isSubdomain(of: .root))
        #expect(!www.isSubdomain(of: name("ample.org")))  // a suffix of bytes, not of labels
        #expect(!name("org").isSubdomain(of: www))
        #expect(www.labels(relativeTo: name("org"))?.map { Array($0) } == [ascii("www"), ascii("example")])
        #expect(www.labels(relativeTo: name("com")) == nil)
        #expect(www.description(relativeTo: name("example.org")) == "www")
        #expect(www.description(relativeTo: www) == "@")
        #expect(www.description(relativeTo: name("example.com")) == "www.example.org.")
        #expect(name("*.example.org").isWildcard && !www.isWildcard && !name("a.*.org").isWildcard)
        #expect(name("example.org").wildcardChild == name("*.example.org"))
        #expect(try name("www").appending(name("example.org")) == www)
        #expect(try name("example.org").prepending(label: ascii("www")) == www)
        #expect(www.wireLength == 17)
    }
}
