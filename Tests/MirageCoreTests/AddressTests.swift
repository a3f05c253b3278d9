import MirageCore
import Testing

/// The address value types: text forms, byte forms, well-known ranges, and every rejection.
@Suite("Addresses")
struct AddressTests {

    // MARK: - MACAddress

    @Suite("MACAddress")
    struct MAC {
        @Test("parses colon and hyphen forms in either case and prints lowercase colon form",
              arguments: [
                  ("aa:bb:cc:dd:ee:ff", "aa:bb:cc:dd:ee:ff"),
                  ("AA:Bb:CC:dd:EE:fF", "aa:bb:cc:dd:ee:ff"),
                  ("00-1a-2B-3c-4D-5e", "00:1a:2b:3c:4d:5e"),
                  ("00:00:00:00:00:00", "00:00:00:00:00:00"),
              ])
        func parsesAndPrints(text: String, printed: String) throws {
            #expect(try MACAddress.parse(text).description == printed)
        }

        @Test func printsTwoDigitsPerByte() {
            #expect(MACAddress(0, 1, 2, 0x0a, 0x0b, 0xfc).description == "00:01:02:0a:0b:fc")
        }

        @Test func bytesAreInTransmissionOrder() throws {
            let address = try MACAddress.parse("02:00:5e:10:00:01")
            #expect(address.bytes == [0x02, 0x00, 0x5e, 0x10, 0x00, 0x01])
            #expect(MACAddress(bytes: address.bytes) == address)
            #expect(MACAddress(bytes: [0x02, 0x00, 0x5e, 0x10, 0x00, 0x01][...]) == address)

            var frame = [UInt8](repeating: 0xee, count: 8)
            frame.withUnsafeMutableBytes { buffer in
                address.copyBytes(to: UnsafeMutableRawBufferPointer(rebasing: buffer[1...]))
            }
            #expect(frame == [0xee, 0x02, 0x00, 0x5e, 0x10, 0x00, 0x01, 0xee])
            // Read back from an odd offset, as a parser reads a header's addresses.
            #expect(frame.withUnsafeBytes { MACAddress(loadingFrom: $0, at: 1) } == address)
            #expect(frame.withUnsafeBytes { MACAddress(loadingFrom: $0, at: 2) } == MACAddress(0x00, 0x5e, 0x10, 0x00, 0x01, 0xee))
        }

        @Test func broadcastIsAllOnesAndAMulticastAddress() {
            #expect(MACAddress.broadcast.description == "ff:ff:ff:ff:ff:ff")
            #expect(MACAddress.broadcast.isBroadcast)
            #expect(MACAddress.broadcast.isMulticast)
            #expect(MACAddress.zero.description == "00:00:00:00:00:00")
            #expect(!MACAddress.zero.isBroadcast && !MACAddress.zero.isMulticast)
        }

        @Test("the group bit is bit 0 and the local bit is bit 1 of the first byte")
        func flagBits() {
            let ipv4Multicast = MACAddress(0x01, 0x00, 0x5e, 0x00, 0x00, 0x01)
            #expect(ipv4Multicast.isMulticast)
            #expect(!ipv4Multicast.isBroadcast && !ipv4Multicast.isLocallyAdministered)

            let local = MACAddress(0x02, 0x00, 0x00, 0x00, 0x00, 0x01)
            #expect(local.isLocallyAdministered && !local.isMulticast)

            let universal = MACAddress(0x00, 0x1b, 0x21, 0x3c, 0x4d, 0x5e)
            #expect(!universal.isLocallyAdministered && !universal.isMulticast)
        }

        @Test func ordersByBytesInTransmissionOrder() {
            #expect(MACAddress(0, 0, 0, 0, 0, 0xff) < MACAddress(0, 0, 0, 0, 1, 0))
            #expect(MACAddress(0x01, 0, 0, 0, 0, 0) > MACAddress(0x00, 0xff, 0xff, 0xff, 0xff, 0xff))
        }

        @Test("rejects", arguments: [
            ("", AddressParseError.empty),
            ("aa:bb:cc:dd:ee", .tooFewFields),
            ("aa:bb:cc:dd:ee:", .emptyField(offset: 15)),
            ("aa:bb:cc:dd:ee:ff:00", .tooManyFields),
            ("aa::bb:cc:dd:ee", .emptyField(offset: 3)),
            ("aa:bb-cc:dd:ee:ff", .badCharacter(UInt8(ascii: "-"), offset: 5)),
            ("aa.bb.cc.dd.ee.ff", .badCharacter(UInt8(ascii: "."), offset: 2)),
            ("a:bb:cc:dd:ee:ff", .wrongDigitCount(offset: 0)),
            ("aaa:bb:cc:dd:ee:ff", .wrongDigitCount(offset: 0)),
            ("aa:bb:cc:dd:ee:fg", .badCharacter(UInt8(ascii: "g"), offset: 16)),
            (" aa:bb:cc:dd:ee:ff", .badCharacter(UInt8(ascii: " "), offset: 0)),
            ("aa:bb:cc:dd:ee:ff ", .badCharacter(UInt8(ascii: " "), offset: 17)),
            ("aabbccddeeff", .wrongDigitCount(offset: 0)),
        ])
        func rejects(text: String, error: AddressParseError) {
            #expect(throws: error) { try MACAddress.parse(text) }
            #expect(MACAddress(text) == nil)
        }
    }

    // MARK: - IPv4Address

    @Suite("IPv4Address")
    struct IPv4 {
        @Test("parses and prints dotted decimal (RFC 791)", arguments: [
            "0.0.0.0", "1.2.3.4", "10.0.0.1", "192.168.100.254", "255.255.255.255", "100.64.0.10",
        ])
        func roundTrips(text: String) throws {
            #expect(try IPv4Address.parse(text).description == text)
        }

        @Test func valueIsInHostOrderWithTheFirstOctetMostSignificant() throws {
            #expect(IPv4Address(10, 0, 0, 1).value == 0x0a00_0001)
            #expect(try IPv4Address.parse("192.0.2.33") == IPv4Address(value: 0xc000_0221))
            #expect(IPv4Address(value: 0x7f00_0001) == .loopback)
        }

        @Test func bytesAreInNetworkOrder() {
            let address = IPv4Address(192, 0, 2, 33)
            #expect(address.bytes == [192, 0, 2, 33])
            #expect(IPv4Address(bytes: [192, 0, 2, 33]) == address)

            var header = [UInt8](repeating: 0, count: 20)
            header.withUnsafeMutableBytes { buffer in
                address.copyBytes(to: UnsafeMutableRawBufferPointer(rebasing: buffer[16...]))
            }
            #expect(header[16...] == [192, 0, 2, 33])
            #expect(IPv4Address(bytes: header[16..<20]) == address)
        }

        @Test func wellKnownAddresses() {
            #expect(IPv4Address.any.description == "0.0.0.0")
            #expect(IPv4Address.broadcast.description == "255.255.255.255")
            #expect(IPv4Address.loopback.description == "127.0.0.1")
            #expect(IPv4Address.any.isUnspecified && !IPv4Address.loopback.isUnspecified)
            #expect(IPv4Address.broadcast.isBroadcast && !IPv4Address(10, 0, 0, 255).isBroadcast)
        }

        @Test("ranges: loopback 127/8, multicast 224/4, link-local 169.254/16", arguments: [
            ("127.0.0.1", true, false, false),
            ("127.255.255.254", true, false, false),
            ("128.0.0.1", false, false, false),
            ("126.255.255.255", false, false, false),
            ("224.0.0.1", false, true, false),
            ("239.255.255.255", false, true, false),
            ("223.255.255.255", false, false, false),
            ("240.0.0.0", false, false, false),
            ("169.254.0.1", false, false, true),
            ("169.254.255.255", false, false, true),
            ("169.253.255.255", false, false, false),
            ("169.255.0.0", false, false, false),
        ])
        func ranges(text: String, loopback: Bool, multicast: Bool, linkLocal: Bool) throws {
            let address = try IPv4Address.parse(text)
            #expect(address.isLoopback == loopback)
            #expect(address.isMulticast == multicast)
            #expect(address.isLinkLocal == linkLocal)
        }

        @Test("private ranges of RFC 1918: 10/8, 172.16/12, 192.168/16", arguments: [
            ("10.0.0.0", true), ("10.255.255.255", true), ("9.255.255.255", false),
            ("11.0.0.0", false), ("172.16.0.0", true), ("172.31.255.255", true),
            ("172.15.255.255", false), ("172.32.0.0", false), ("192.168.0.0", true),
            ("192.168.255.255", true), ("192.167.255.255", false), ("192.169.0.0", false),
            ("100.64.0.1", false), ("8.8.8.8", false),
        ])
        func privateRanges(text: String, isPrivate: Bool) throws {
            #expect(try IPv4Address.parse(text).isPrivate == isPrivate)
        }

        @Test func ordersAsIntegers() throws {
            let sorted = try ["10.0.0.10", "9.255.255.255", "10.0.0.9", "10.0.1.0"]
                .map { (text: String) throws(AddressParseError) in try IPv4Address.parse(text) }
                .sorted()
            #expect(sorted.map(\.description) == ["9.255.255.255", "10.0.0.9", "10.0.0.10", "10.0.1.0"])
        }

        @Test func readsSubstringsAndIsLosslessStringConvertible() {
            let line = "gateway 192.0.2.1"
            #expect(IPv4Address(line.dropFirst(8)) == IPv4Address(192, 0, 2, 1))
            #expect(roundTrip(IPv4Address(192, 0, 2, 1)))
        }

        @Test("rejects", arguments: [
            ("", AddressParseError.empty),
            ("1.2.3", .tooFewFields),
            ("1", .tooFewFields),
            ("1.2.3.4.5", .tooManyFields),
            ("01.2.3.4", .leadingZero(offset: 0)),
            ("1.2.3.00", .leadingZero(offset: 6)),
            ("1.2.3.010", .leadingZero(offset: 6)),
            ("256.1.1.1", .outOfRange(offset: 0)),
            ("1.2.3.1000", .outOfRange(offset: 6)),
            ("1.2.99999999999999999999999.4", .outOfRange(offset: 4)),
            ("1..3.4", .emptyField(offset: 2)),
            (".1.2.3", .emptyField(offset: 0)),
            ("1.2.3.", .emptyField(offset: 6)),
            ("+1.2.3.4", .badCharacter(UInt8(ascii: "+"), offset: 0)),
            ("-1.2.3.4", .badCharacter(UInt8(ascii: "-"), offset: 0)),
            ("1.-2.3.4", .badCharacter(UInt8(ascii: "-"), offset: 2)),
            (" 1.2.3.4", .badCharacter(UInt8(ascii: " "), offset: 0)),
            ("1.2.3.4 ", .badCharacter(UInt8(ascii: " "), offset: 7)),
            ("1. 2.3.4", .badCharacter(UInt8(ascii: " "), offset: 2)),
            ("1.2.3.4/24", .badCharacter(UInt8(ascii: "/"), offset: 7)),
            ("1.2.3.a", .badCharacter(UInt8(ascii: "a"), offset: 6)),
            ("0x1.2.3.4", .badCharacter(UInt8(ascii: "x"), offset: 1)),
            ("1,2,3,4", .badCharacter(UInt8(ascii: ","), offset: 1)),
            ("1.2.3.4\n", .badCharacter(0x0a, offset: 7)),
            ("١.2.3.4", .badCharacter(0xd9, offset: 0)),  // ARABIC-INDIC DIGIT ONE
        ])
        func rejects(text: String, error: AddressParseError) {
            #expect(throws: error) { try IPv4Address.parse(text) }
            #expect(IPv4Address(text) == nil)
        }
    }

    // MARK: - IPv6Address

    @Suite("IPv6Address")
    struct IPv6 {
        @Test("reads the text forms of RFC 4291, section 2.2", arguments: [
            ("ABCD:EF01:2345:6789:ABCD:EF01:2345:6789",
             IPv6Address(0xabcd, 0xef01, 0x2345, 0x6789, 0xabcd, 0xef01, 0x2345, 0x6789)),
            ("2001:DB8:0:0:8:800:200C:417A", IPv6Address(0x2001, 0xdb8, 0, 0, 8, 0x800, 0x200c, 0x417a)),
            ("2001:DB8::8:800:200C:417A", IPv6Address(0x2001, 0xdb8, 0, 0, 8, 0x800, 0x200c, 0x417a)),
            ("FF01:0:0:0:0:0:0:101", IPv6Address(0xff01, 0, 0, 0, 0, 0, 0, 0x101)),
            ("FF01::101", IPv6Address(0xff01, 0, 0, 0, 0, 0, 0, 0x101)),
            ("0:0:0:0:0:0:0:1", IPv6Address.loopback),
            ("::1", IPv6Address.loopback),
            ("0:0:0:0:0:0:0:0", IPv6Address.any),
            ("::", IPv6Address.any),
            ("0:0:0:0:0:0:13.1.68.3", IPv6Address(0, 0, 0, 0, 0, 0, 0x0d01, 0x4403)),
            ("::13.1.68.3", IPv6Address(0, 0, 0, 0, 0, 0, 0x0d01, 0x4403)),
            ("0:0:0:0:0:FFFF:129.144.52.38", IPv6Address(0, 0, 0, 0, 0, 0xffff, 0x8190, 0x3426)),
            ("::FFFF:129.144.52.38", IPv6Address(0, 0, 0, 0, 0, 0xffff, 0x8190, 0x3426)),
            ("2001:0db8:0000:0000:0000:ff00:0042:8329",
             IPv6Address(0x2001, 0xdb8, 0, 0, 0, 0xff00, 0x42, 0x8329)),
            ("1::", IPv6Address(1, 0, 0, 0, 0, 0, 0, 0)),
            ("1:2:3:4:5:6:7::", IPv6Address(1, 2, 3, 4, 5, 6, 7, 0)),
            ("::2:3:4:5:6:7:8", IPv6Address(0, 2, 3, 4, 5, 6, 7, 8)),
            ("1:2:3::6:7:8", IPv6Address(1, 2, 3, 0, 0, 6, 7, 8)),
            ("1:2:3:4:5:6:1.2.3.4", IPv6Address(1, 2, 3, 4, 5, 6, 0x0102, 0x0304)),
            ("1::255.255.255.255", IPv6Address(1, 0, 0, 0, 0, 0, 0xffff, 0xffff)),
        ])
        func readsRFC4291Forms(text: String, expected: IPv6Address) throws {
            #expect(try IPv6Address.parse(text) == expected)
        }

        @Test("prints the form of RFC 5952, sections 4 and 5", arguments: [
            // 4.1: leading zeros suppressed.
            ("2001:0db8::0001", "2001:db8::1"),
            ("2001:db8:0000:0000:0000:0000:0002:0001", "2001:db8::2:1"),
            // 4.2.1: `::` shortens as much as possible.
            ("2001:db8:0:0:0:0:2:1", "2001:db8::2:1"),
            ("2001:db8::0:1", "2001:db8::1"),
            // 4.2.2: a single zero group is not compressed.
            ("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"),
            ("2001:db8::1:1:1:1:1", "2001:db8:0:1:1:1:1:1"),
            ("1:0:1:0:1:0:1:0", "1:0:1:0:1:0:1:0"),
            // 4.2.3: the longest run, the first of equally long runs.
            ("2001:0:0:1:0:0:0:1", "2001:0:0:1::1"),
            ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"),
            ("0:0:1:0:0:1:0:0", "::1:0:0:1:0:0"),
            // 4.3: lowercase.
            ("2001:DB8::ABCD:EF", "2001:db8::abcd:ef"),
            // Runs at either end, and all zeros.
            ("0:0:0:0:0:0:0:0", "::"),
            ("0:0:0:0:0:0:0:1", "::1"),
            ("1:0:0:0:0:0:0:0", "1::"),
            ("fe80:0:0:0:0:0:0:0", "fe80::"),
            ("1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"),
            ("1:2:3:4:5:6:0:0", "1:2:3:4:5:6::"),
            // 5: IPv4-mapped addresses keep the dotted-decimal tail; other embeddings do not.
            ("::ffff:192.0.2.1", "::ffff:192.0.2.1"),
            ("0:0:0:0:0:FFFF:C000:0201", "::ffff:192.0.2.1"),
            ("::ffff:0.0.0.0", "::ffff:0.0.0.0"),
            ("::1.2.3.4", "::102:304"),
            ("::1:ffff:1.2.3.4", "::1:ffff:102:304"),
        ])
        func printsRFC5952Form(text: String, printed: String) throws {
            let address = try IPv6Address.parse(text)
            #expect(address.description == printed)
            #expect(try IPv6Address.parse(printed) == address)
        }

        @Test func highAndLowHoldGroupsZeroToThreeAndFourToSeven() throws {
            let address = try IPv6Address.parse("2001:db8:1:2:3:4:5:6")
            #expect(address.high == 0x2001_0db8_0001_0002)
            #expect(address.low == 0x0003_0004_0005_0006)
        }

        @Test func bytesAreInNetworkOrder() throws {
            let address = try IPv6Address.parse("2001:db8::ff00:42:8329")
            let bytes: [UInt8] = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0xff, 0x00, 0, 0x42, 0x83, 0x29]
            #expect(address.bytes == bytes)
            #expect(IPv6Address(bytes: bytes) == address)

            var header = [UInt8](repeating: 0, count: 40)
            header.withUnsafeMutableBytes { buffer in
                address.copyBytes(to: UnsafeMutableRawBufferPointer(rebasing: buffer[24...]))
            }
            #expect(Array(header[24...]) == bytes)
            #expect(header[..<24].allSatisfy { $0 == 0 })
        }

        @Test func wellKnownAddresses() {
            #expect(IPv6Address.any.description == "::")
            #expect(IPv6Address.loopback.description == "::1")
            #expect(IPv6Address.any.isUnspecified && !IPv6Address.loopback.isUnspecified)
            #expect(IPv6Address.loopback.isLoopback && !IPv6Address(0, 0, 0, 0, 0, 0, 0, 2).isLoopback)
        }

        @Test("ranges: multicast ff00::/8, link-local fe80::/10", arguments: [
            ("ff02::1", true, false),
            ("ff00::", true, false),
            ("feff:ffff::", false, false),
            ("fe80::1", false, true),
            ("febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff", false, true),
            ("fe7f:ffff::", false, false),
            ("fec0::1", false, false),
            ("2001:db8::1", false, false),
        ])
        func ranges(text: String, multicast: Bool, linkLocal: Bool) throws {
            let address = try IPv6Address.parse(text)
            #expect(address.isMulticast == multicast)
            #expect(address.isLinkLocal == linkLocal)
        }

        @Test("IPv4-mapped addresses are ::ffff:0:0/96 (RFC 4291, section 2.5.5.2)")
        func ipv4Mapped() throws {
            let mapped = IPv6Address(ipv4Mapped: IPv4Address(192, 0, 2, 1))
            #expect(mapped == (try IPv6Address.parse("::ffff:c000:201")))
            #expect(mapped.ipv4Mapped == IPv4Address(192, 0, 2, 1))
            #expect(try IPv6Address.parse("::1.2.3.4").ipv4Mapped == nil)
            #expect(try IPv6Address.parse("1::ffff:1.2.3.4").ipv4Mapped == nil)
            #expect(try IPv6Address.parse("::fffe:1.2.3.4").ipv4Mapped == nil)
        }

        @Test func ordersAs128BitIntegers() throws {
            let sorted = [IPv6Address(1, 0, 0, 0, 0, 0, 0, 0), .loopback, .any, IPv6Address(0, 0, 0, 1, 0, 0, 0, 0)]
                .sorted()
            #expect(sorted.map(\.description) == ["::", "::1", "0:0:0:1::", "1::"])
        }

        @Test func isLosslessStringConvertible() {
            #expect(roundTrip(IPv6Address(0x2001, 0xdb8, 0, 0, 1, 0, 0, 1)))
        }

        @Test("rejects", arguments: [
            ("", AddressParseError.empty),
            (":", .emptyField(offset: 0)),
            (":1:2:3:4:5:6:7", .emptyField(offset: 0)),
            ("1:2:3:4:5:6:7:", .emptyField(offset: 14)),
            ("1:2:3:4:5:6:7", .tooFewFields),
            ("1", .tooFewFields),
            ("1:2:3:4:5:6:7:8:9", .tooManyFields),
            ("1:2:3:4::5:6:7:8", .tooManyFields),
            ("::1:2:3:4:5:6:7:8", .tooManyFields),
            ("1:2:3:4:5:6:7:8::", .tooManyFields),
            ("1:2:3:4:5:6:7:1.2.3.4", .tooManyFields),
            ("1::2::3", .repeatedCompression(offset: 4)),
            ("::1::", .repeatedCompression(offset: 3)),
            (":::", .badCharacter(UInt8(ascii: ":"), offset: 2)),
            ("1:::2", .badCharacter(UInt8(ascii: ":"), offset: 3)),
            ("12345::", .wrongDigitCount(offset: 0)),
            ("1:00000::", .wrongDigitCount(offset: 2)),
            ("fe80::1%eth0", .badCharacter(UInt8(ascii: "%"), offset: 7)),
            ("fe80::1%1", .badCharacter(UInt8(ascii: "%"), offset: 7)),
            ("g::", .badCharacter(UInt8(ascii: "g"), offset: 0)),
            ("-1::", .badCharacter(UInt8(ascii: "-"), offset: 0)),
            ("[::1]", .badCharacter(UInt8(ascii: "["), offset: 0)),
            (" ::1", .badCharacter(UInt8(ascii: " "), offset: 0)),
            ("::1 ", .badCharacter(UInt8(ascii: " "), offset: 3)),
            ("::1/64", .badCharacter(UInt8(ascii: "/"), offset: 3)),
            ("::ffff:1.2.3", .tooFewFields),
            ("::ffff:1.2.3.256", .outOfRange(offset: 13)),
            ("::ffff:01.2.3.4", .leadingZero(offset: 7)),
            ("::ffff:a.2.3.4", .badCharacter(UInt8(ascii: "a"), offset: 7)),
            ("::1.2.3.4:5", .badCharacter(UInt8(ascii: ":"), offset: 9)),
            ("::1.2.3.4.5", .badCharacter(UInt8(ascii: "."), offset: 9)),
            ("1.2.3.4", .tooFewFields),
            ("1.2.3.4::", .tooFewFields),
        ])
        func rejects(text: String, error: AddressParseError) {
            #expect(throws: error) { try IPv6Address.parse(text) }
            #expect(IPv6Address(text) == nil)
        }
    }

    // MARK: - Prefixes

    @Suite("IPv4Prefix")
    struct V4Prefix {
        @Test("keeps the host address, as Ipaddr.V4.Prefix with an address does")
        func keepsTheHostAddress() throws {
            let prefix = try IPv4Prefix.parse("10.0.0.2/24")
            #expect(prefix.address == IPv4Address(10, 0, 0, 2))
            #expect(prefix.length == 24)
            #expect(prefix.network == IPv4Address(10, 0, 0, 0))
            #expect(prefix.netmask == IPv4Address(255, 255, 255, 0))
            #expect(prefix.broadcast == IPv4Address(10, 0, 0, 255))
            #expect(prefix.description == "10.0.0.2/24")
            #expect(prefix != (try IPv4Prefix.parse("10.0.0.1/24")))
        }

        @Test("netmask, network and broadcast (RFC 4632, section 3.1)", arguments: [
            ("10.0.0.2/0", "0.0.0.0", "0.0.0.0", "255.255.255.255"),
            ("192.0.2.77/1", "128.0.0.0", "128.0.0.0", "255.255.255.255"),
            ("172.20.1.2/12", "255.240.0.0", "172.16.0.0", "172.31.255.255"),
            ("192.168.3.9/23", "255.255.254.0", "192.168.2.0", "192.168.3.255"),
            ("192.0.2.77/27", "255.255.255.224", "192.0.2.64", "192.0.2.95"),
            ("198.51.100.7/31", "255.255.255.254", "198.51.100.6", "198.51.100.7"),
            ("198.51.100.7/32", "255.255.255.255", "198.51.100.7", "198.51.100.7"),
        ])
        func masks(text: String, netmask: String, network: String, broadcast: String) throws {
            let prefix = try IPv4Prefix.parse(text)
            #expect(prefix.netmask.description == netmask)
            #expect(prefix.network.description == network)
            #expect(prefix.broadcast.description == broadcast)
            #expect(prefix.description == text)
        }

        @Test("contains the addresses whose first length bits match", arguments: [
            ("192.168.1.1/24", "192.168.1.0", true),
            ("192.168.1.1/24", "192.168.1.255", true),
            ("192.168.1.1/24", "192.168.2.0", false),
            ("192.168.1.1/24", "192.168.0.255", false),
            ("172.16.0.0/12", "172.31.255.255", true),
            ("172.16.0.0/12", "172.32.0.0", false),
            ("0.0.0.0/0", "203.0.113.9", true),
            ("203.0.113.9/32", "203.0.113.9", true),
            ("203.0.113.9/32", "203.0.113.8", false),
        ])
        func contains(prefix: String, address: String, expected: Bool) throws {
            #expect(try IPv4Prefix.parse(prefix).contains(IPv4Address.parse(address)) == expected)
        }

        @Test func isLosslessStringConvertible() {
            #expect(roundTrip(IPv4Prefix(address: IPv4Address(10, 0, 0, 2), length: 24)))
        }

        @Test func aLengthAbove32IsAProgrammingError() async {
            await #expect(processExitsWith: .failure) {
                _ = IPv4Prefix(address: .any, length: 33)
            }
        }

        @Test("rejects; lengths are decimal 0 to 32 without leading zeros, so /08 too", arguments: [
            ("", AddressParseError.empty),
            ("10.0.0.2", .missingPrefixLength),
            ("10.0.0.2/", .emptyField(offset: 9)),
            ("10.0.0.2/33", .outOfRange(offset: 9)),
            ("10.0.0.2/100", .outOfRange(offset: 9)),
            ("10.0.0.2/-1", .badCharacter(UInt8(ascii: "-"), offset: 9)),
            ("10.0.0.2/+1", .badCharacter(UInt8(ascii: "+"), offset: 9)),
            ("10.0.0.2/08", .leadingZero(offset: 9)),
            ("10.0.0.2/00", .leadingZero(offset: 9)),
            ("10.0.0.2/ 24", .badCharacter(UInt8(ascii: " "), offset: 9)),
            ("10.0.0.2/24 ", .badCharacter(UInt8(ascii: " "), offset: 11)),
            ("10.0.0.2/24/8", .badCharacter(UInt8(ascii: "/"), offset: 11)),
            ("10.0.0.2/2a", .badCharacter(UInt8(ascii: "a"), offset: 10)),
            ("10.0.0.2 /24", .badCharacter(UInt8(ascii: " "), offset: 8)),
            ("10.0.0.2.5/24", .tooManyFields),
            ("10.0.0/24", .badCharacter(UInt8(ascii: "/"), offset: 6)),
            ("/24", .emptyField(offset: 0)),
            ("010.0.0.2/24", .leadingZero(offset: 0)),
        ])
        func rejects(text: String, error: AddressParseError) {
            #expect(throws: error) { try IPv4Prefix.parse(text) }
            #expect(IPv4Prefix(text) == nil)
        }
    }

    @Suite("IPv6Prefix")
    struct V6Prefix {
        @Test("keeps the host address and prints it in the RFC 5952 form")
        func keepsTheHostAddress() throws {
            let prefix = try IPv6Prefix.parse("2001:0DB8:0:0::1/64")
            #expect(prefix.address == IPv6Address(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1))
            #expect(prefix.length == 64)
            #expect(prefix.network.description == "2001:db8::")
            #expect(prefix.netmask.description == "ffff:ffff:ffff:ffff::")
            #expect(prefix.description == "2001:db8::1/64")
        }

        @Test("netmask and network (RFC 4291, section 2.3)", arguments: [
            ("2001:db8::1/0", "::", "::"),
            ("fe80::1234/10", "ffc0::", "fe80::"),
            ("2001:db8:abcd:12ff::1/56", "ffff:ffff:ffff:ff00::", "2001:db8:abcd:1200::"),
            ("2001:db8::ffff:ffff/65", "ffff:ffff:ffff:ffff:8000::", "2001:db8::"),
            ("2001:db8::ffff:ffff/100", "ffff:ffff:ffff:ffff:ffff:ffff:f000:0", "2001:db8::f000:0"),
            ("2001:db8::1/128", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "2001:db8::1"),
        ])
        func masks(text: String, netmask: String, network: String) throws {
            let prefix = try IPv6Prefix.parse(text)
            #expect(prefix.netmask.description == netmask)
            #expect(prefix.network.description == network)
            #expect(prefix.description == text)
        }

        @Test("contains the addresses whose first length bits match", arguments: [
            ("2001:db8::1/64", "2001:db8::ffff:1", true),
            ("2001:db8::1/64", "2001:db8:0:1::", false),
            ("fe80::/10", "febf::1", true),
            ("fe80::/10", "fec0::1", false),
            ("2001:db8::/100", "2001:db8::fff:ffff", true),
            ("2001:db8::/100", "2001:db8::1000:0", false),
            ("::/0", "2001:db8::1", true),
            ("::1/128", "::1", true),
            ("::1/128", "::2", false),
        ])
        func contains(prefix: String, address: String, expected: Bool) throws {
            #expect(try IPv6Prefix.parse(prefix).contains(IPv6Address.parse(address)) == expected)
        }

        @Test func isLosslessStringConvertible() {
            #expect(roundTrip(IPv6Prefix(address: .loopback, length: 128)))
        }

        @Test func aNegativeLengthIsAProgrammingError() async {
            await #expect(processExitsWith: .failure) {
                _ = IPv6Prefix(address: .any, length: -1)
            }
        }

        @Test("rejects", arguments: [
            ("", AddressParseError.empty),
            ("::1", .missingPrefixLength),
            ("::1/", .emptyField(offset: 4)),
            ("::1/129", .outOfRange(offset: 4)),
            ("::1/-1", .badCharacter(UInt8(ascii: "-"), offset: 4)),
            ("::1/064", .leadingZero(offset: 4)),
            ("::1/64/64", .badCharacter(UInt8(ascii: "/"), offset: 6)),
            ("fe80::1%eth0/64", .badCharacter(UInt8(ascii: "%"), offset: 7)),
            ("/64", .emptyField(offset: 0)),
            ("1:2:3/48", .tooFewFields),
        ])
        func rejects(text: String, error: AddressParseError) {
            #expect(throws: error) { try IPv6Prefix.parse(text) }
            #expect(IPv6Prefix(text) == nil)
        }
    }

    // MARK: - Errors

    @Test("errors say what is wrong and where", arguments: [
        (AddressParseError.empty, "empty address"),
        (.badCharacter(UInt8(ascii: "%"), offset: 7), "unexpected character '%' at offset 7"),
        (.badCharacter(0x0a, offset: 7), "unexpected byte 0x0a at offset 7"),
        (.badCharacter(0xd9, offset: 0), "unexpected byte 0xd9 at offset 0"),
        (.emptyField(offset: 2), "empty field at offset 2"),
        (.leadingZero(offset: 0), "leading zero in the number at offset 0"),
        (.outOfRange(offset: 6), "number out of range at offset 6"),
        (.wrongDigitCount(offset: 2), "wrong number of digits in the field at offset 2"),
        (.tooFewFields, "too few fields"),
        (.tooManyFields, "too many fields"),
        (.repeatedCompression(offset: 4), "second '::' at offset 4"),
        (.missingPrefixLength, "missing '/length'"),
    ])
    func errorDescriptions(error: AddressParseError, description: String) {
        #expect(error.description == description)
    }
}

/// Whether `value` prints to a text that reads back as `value`.
private func roundTrip<Value: LosslessStringConvertible & Equatable>(_ value: Value) -> Bool {
    Value(value.description) == value
}
