import MirageCore
@testable import MirageDNS
import Testing

@Suite("A zone's table of names: a hash fed label by label from the right, without regard to case (RFC 4343)")
struct DNSNameTableTests {
    @Test("eight bytes made lowercase at once are each byte made lowercase, for every byte value at every position")
    func lowercasedWords() {
        for value in 0...255 {
            for position in 0..<8 {
                // The byte among neighbours that are capitals, others and high bytes.
                var bytes: [UInt8] = [0x41, 0x5a, 0x40, 0x5b, 0xc1, 0x61, 0x7a, 0xff]
                bytes[position] = UInt8(value)
                let word = bytes.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
                let expected = bytes.map(DNSName.lower).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
                #expect(DNSName.lower(word) == expected, "byte \(value) at \(position)")
            }
        }
    }

    @Test("a name's hash is its parent's with its first label prepended, whatever the letters' case")
    func hashGrowsFromTheRight() {
        let full = name("A-Rather-Long-Label-Of-More-Than-Sixteen.www.Example.ORG")
        full.storage.withUnsafeBytes { labels in
            let starts = DNSName.withLabelStarts(of: labels) { Array($0) }
            #expect(starts == [0, 41, 45, 53])
            var walked = DNSNameHash()
            for start in starts.reversed().map(Int.init) {
                walked.prepend(labelAt: start, in: labels)
                let suffix = UnsafeRawBufferPointer(rebasing: labels[start...])
                #expect(walked.value == DNSNameHash(labels: suffix).value)
            }
        }
        let hashes = ["www.example.org", "WWW.EXAMPLE.ORG", "wWw.ExAmPlE.oRg"].map { text in
            name(text).storage.withUnsafeBytes { DNSNameHash(labels: $0).value }
        }
        #expect(Set(hashes).count == 1)
    }

    @Test("bytes compare equal without regard to case at every length, and unequal with a change at any position")
    func comparedIgnoringCase() {
        let letters = Array("aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789-_.AbCdEfGh".utf8)
        for length in 0...letters.count {
            let a = Array(letters[..<length])
            let b = a.map { $0 ^ (DNSName.lower($0) == $0 && $0 >= 0x61 && $0 <= 0x7a ? 0x20 : 0) }  // lowercase letters made capitals
            a.withUnsafeBytes { a in b.withUnsafeBytes { b in #expect(DNSName.bytesEqualIgnoringCase(a, b), "length \(length)") } }
            for position in 0..<length {
                var changed = b
                changed[position] = changed[position] == 0x21 ? 0x22 : 0x21  // "!" is no letter's other case
                a.withUnsafeBytes { a in
                    changed.withUnsafeBytes { c in #expect(!DNSName.bytesEqualIgnoringCase(a, c), "length \(length), position \(position)") }
                }
            }
        }
    }

    @Test("labels of every length up to 24 hash alike in any case, and apart when one byte differs")
    func hashEveryLabelLength() {
        for length in 1...24 {
            let label = String(repeating: "q", count: length - 1)
            let hashes = ["\(label)x.Example.org", "\(label.uppercased())X.example.ORG", "\(label)y.example.org"].map { text in
                name(text).storage.withUnsafeBytes { DNSNameHash(labels: $0).value }
            }
            #expect(hashes[0] == hashes[1], "length \(length)")
            #expect(hashes[0] != hashes[2], "length \(length)")
        }
    }

    @Test("a table finds each of many names by any spelling or as a longer name's suffix, and no other name")
    func findsEachName() throws {
        var table = DNSNameTable<Int>()
        var names: [DNSName] = []
        for index in 0..<300 {
            let added = name("host\(index).rack\(index % 7).example.org")
            names.append(added)
            #expect(table.append(added, index * 2) == index)
        }
        // Names that differ only in where a label ends are different names.
        table.append(name("ab.c.example.org"), -1)
        #expect(table.index(of: name("a.bc.example.org")) == nil)
        #expect(table.index(of: name("AB.C.Example.org")) == 300)
        for (index, added) in names.enumerated() {
            #expect(table.index(of: added).map { table.values[$0] } == index * 2)
            let shouted = try DNSName(parsing: added.description.uppercased())
            #expect(table.index(of: shouted) == index)
            // As the suffix of a longer name's bytes, the way a lookup walks down.
            let longer = try name("x.y").appending(added)
            let found = longer.storage.withUnsafeBytes { labels in
                let suffix = UnsafeRawBufferPointer(rebasing: labels[4...])
                return table.index(of: suffix, hash: DNSNameHash(labels: suffix).value)
            }
            #expect(found == index)
            #expect(table.index(of: longer) == nil)
        }
        #expect(table.index(of: name("host300.rack6.example.org")) == nil)
        #expect(table.index(of: .root) == nil)
    }
}
