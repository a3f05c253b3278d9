import Foundation
import MirageCore
@testable import MirageOCI
import Testing

/// The JSON reader and writer mirage-runc rewrites `config.json` with (RFC 8259).
struct JSONValueTests {
    @Test("RFC 8259's grammar: literals, numbers kept as text, escapes with surrogate pairs, nesting, whitespace; members keep their order and a repeated name its first value")
    func parses() throws {
        let text = #" {"b": [true, false, null, -0, 12.5e-3, 18446744073709551615], "a": "tab\there \u00e9\ud83d\ude00 \"q\" \\ \/", "b": 1, "e": {}, "f": [] } "#
        let value = try JSONValue(parsing: text)
        #expect(value.objectValue?.map(\.key) == ["b", "a", "e", "f"])
        #expect(value["b"] == .array([.bool(true), .bool(false), .null, .number("-0"), .number("12.5e-3"), .number("18446744073709551615")]))
        #expect(value["a"]?.stringValue == "tab\there é😀 \"q\" \\ /")
        #expect(value["e"] == .object([]) && value["f"] == .array([]))
        #expect(String(decoding: value.serialized, as: UTF8.self)
            == #"{"b":[true,false,null,-0,12.5e-3,18446744073709551615],"a":"tab\there é😀 \"q\" \\ /","e":{},"f":[]}"#)
        #expect(try JSONValue(parsing: "\"\\u0001\"").serialized == Array(#""\u0001""#.utf8), "control characters are escaped")
    }

    @Test("malformed texts are refused with the reason and the offset: trailing bytes, bad numbers, bad escapes, lone surrogates, control characters, invalid UTF-8, unterminated values, nesting past the bound")
    func refuses() {
        let cases: [([UInt8], String)] = [
            (Array("{} x".utf8), "unexpected bytes after the value at byte 3"),
            (Array("01".utf8), "unexpected bytes after the value"),
            (Array("-".utf8), "a number needs digits"),
            (Array("1.".utf8), "a fraction needs digits"),
            (Array("1e+".utf8), "an exponent needs digits"),
            (Array(#""\x""#.utf8), "an unknown escape"),
            (Array(#""\ud83d""#.utf8), "a high surrogate without its low one"),
            (Array(#""\ude00""#.utf8), "a lone low surrogate"),
            (Array(#""\u12"#.utf8), "four hexadecimal digits"),
            ([0x22, 0x0A, 0x22], "a control character in a string"),
            ([0x22, 0xC3, 0x28, 0x22], "not valid UTF-8"),
            (Array(#"{"a" 1}"#.utf8), "expected ':'"),
            (Array(#"{"a":1,}"#.utf8), "expected a member name"),
            (Array("[1 2]".utf8), "expected ',' or ']'"),
            (Array("[".utf8), "the text ends where a value should be"),
            (Array(#""abc"#.utf8), "the text ends inside a string"),
            (Array("tru".utf8), "expected true"),
            (Array(String(repeating: "[", count: 65).utf8) + Array(String(repeating: "]", count: 65).utf8), "nested deeper than 64"),
            ([], "the text ends where a value should be"),
        ]
        for (bytes, says) in cases {
            #expect {
                _ = try JSONValue(parsing: bytes)
            } throws: { error in
                "\(error)".contains(says)
            }
        }
        let deepest = Array(String(repeating: "[", count: 64).utf8) + Array(String(repeating: "]", count: 64).utf8)
        #expect((try? JSONValue(parsing: deepest)) != nil, "64 levels are allowed")
    }

    /// A random value `depth` levels deep at most.
    static func random(_ generator: inout SplitMix64, depth: Int) -> JSONValue {
        let strings = ["", "a", "é", "😀", "line\nbreak", "quote\"", "back\\slash", "\u{01}", "/dev/kvm", "tab\t"]
        switch generator.next() % (depth > 0 ? 7 : 5) {
        case 0: return .null
        case 1: return .bool(generator.next() % 2 == 0)
        case 2: return .integer(Int(truncatingIfNeeded: generator.next()) >> Int(generator.next() % 63))
        case 3: return .number(["0.5", "-12.25", "1e3", "2.5E-7"][Int(generator.next() % 4)])
        case 4: return .string((0 ..< generator.next() % 4).map { _ in strings[Int(generator.next() % UInt64(strings.count))] }.joined())
        case 5: return .array((0 ..< generator.next() % 5).map { _ in random(&generator, depth: depth - 1) })
        default:
            var members: [(key: String, value: JSONValue)] = []
            for index in 0 ..< generator.next() % 5 {
                members.append(("\(strings[Int(generator.next() % UInt64(strings.count))])\(index)", random(&generator, depth: depth - 1)))
            }
            return .object(members)
        }
    }

    /// Whether Foundation's reading `theirs` is the same value as `ours`: integers exactly, other
    /// numbers as doubles, objects by name (Foundation keeps no order).
    static func matches(_ ours: JSONValue, _ theirs: Any) -> Bool {
        switch ours {
        case .null: return theirs is NSNull
        case let .bool(value): return (theirs as? Bool) == value
        case let .number(text):
            guard let number = theirs as? NSNumber else { return false }
            // Foundation reads a long integer as an NSDecimalNumber whose doubleValue may be an
            // ulp off (seed 4807719175886533095: -1660681614531299380): integers compare exactly.
            if let integer = Int64(text) { return number.int64Value == integer }
            return Double(text) == number.doubleValue
        case let .string(value): return (theirs as? String) == value
        case let .array(elements):
            guard let other = theirs as? [Any], other.count == elements.count else { return false }
            return zip(elements, other).allSatisfy { matches($0, $1) }
        case let .object(members):
            guard let other = theirs as? [String: Any], other.count == members.count else { return false }
            return members.allSatisfy { member in other[member.key].map { matches(member.value, $0) } ?? false }
        }
    }

    @Test("random values: what we write reads back the same with us and as the same value with Foundation's JSONSerialization, and what Foundation writes of it we read as that value (seeded; the seed is printed)")
    func roundTrips() throws {
        let seed = UInt64.random(in: 0 ... .max)
        print("JSONValueTests.roundTrips seed \(seed)")
        var generator = SplitMix64(seed: seed)
        for _ in 0 ..< 300 {
            let value = Self.random(&generator, depth: 5)
            let bytes = value.serialized
            let text = String(decoding: bytes, as: UTF8.self)
            #expect(try JSONValue(parsing: bytes) == value, "seed \(seed): \(text)")
            let oracle = try JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])
            #expect(Self.matches(value, oracle), "seed \(seed): \(text)")
            let theirs = try JSONSerialization.data(withJSONObject: oracle, options: [.fragmentsAllowed])
            let ours = try JSONValue(parsing: [UInt8](theirs))
            #expect(Self.matches(ours, oracle), "seed \(seed): \(String(decoding: theirs, as: UTF8.self))")
        }
    }

    @Test("the route netlink messages are byte for byte what iproute2's tc sends for the ingress qdisc and the u32 mirred redirects, of all frames and of the ARP for one address (captured with strace from tc 6.1)")
    func trafficControlMessages() {
        let ingress = TrafficControl.addIngress(interface: 3).finished(sequence: 7)
        #expect(ingress == Self.hex("30000000 2400 0506 07000000 00000000 00000000 03000000 0000ffff f1ffffff 00000000 0c000100 696e6772 65737300"))
        let filter = TrafficControl.redirectAll(from: 3, to: 5).finished(sequence: 7)
        #expect(filter == Self.hex("""
            8c000000 2c00 0506 07000000 00000000 00000000 03000000 00000000 0000ffff 00030000
            08000100 75333200 60000200
            38000700 34000100 0b000100 6d697272 65640000 24000280 20000200 00000000 00000000 04000000 00000000 00000000 01000000 05000000
            24000500 01000100 00000000 00000000 00000000 00000000 00000000 00000000 00000000
            """))
        // tc filter add dev eth0 parent ffff: protocol arp prio 1 u32 match u32 0x0a000002 0xffffffff at 24
        //   action mirred egress redirect dev tap0
        let arp = TrafficControl.redirect(from: 3, to: 5, etherType: 0x0806, priority: 1, mask: 0xFFFF_FFFF, value: 0x0A00_0002, offset: 24)
        #expect(arp.finished(sequence: 7) == Self.hex("""
            8c000000 2c00 0506 07000000 00000000 00000000 03000000 00000000 0000ffff 08060100
            08000100 75333200 60000200
            38000700 34000100 0b000100 6d697272 65640000 24000280 20000200 00000000 00000000 04000000 00000000 00000000 01000000 05000000
            24000500 01000100 00000000 00000000 00000000 ffffffff 0a000002 18000000 00000000
            """))
        let removal = TrafficControl.removeLink(interface: 9).finished(sequence: 1)
        #expect(removal.count == 32 && removal[4] == 17 && removal[20] == 9)
    }

    static func hex(_ text: String) -> [UInt8] {
        let digits = Array(text.filter(\.isHexDigit))
        return stride(from: 0, to: digits.count, by: 2).map { UInt8(String(digits[$0 ... $0 + 1]), radix: 16)! }
    }
}
