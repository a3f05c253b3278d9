import MirageCore
@testable import MirageNet
import Testing

/// The DHCP wire format (RFC 2131 section 2, RFC 2132 options, RFC 3396 long options): what a
/// server sends is read field by field, what the client sends is what the RFC lays out, and every
/// malformed message is refused with the field named.
@Suite("DHCP messages")
struct DHCPMessageTests {
    static let mac = MACAddress(0x52, 0x54, 0, 0x12, 0x34, 0x56)

    static func parse(_ bytes: [UInt8]) throws(WireError) -> DHCPMessage {
        let result: Result<DHCPMessage, WireError> = bytes.withUnsafeBytes { buffer in
            Result { () throws(WireError) in try DHCPMessage.parse(buffer) }
        }
        return try result.get()
    }

    /// The fixed 236 octets of a BOOTREPLY from 10.0.0.1 offering 10.0.0.50 in transaction
    /// 0x3903F326, the magic cookie, then `options` as they are.
    static func reply(options: [UInt8], sname: [UInt8] = [], file: [UInt8] = []) -> [UInt8] {
        var bytes: [UInt8] = [2, 1, 6, 0, 0x39, 0x03, 0xF3, 0x26, 0, 0, 0x80, 0]
        bytes += [0, 0, 0, 0, 10, 0, 0, 50, 10, 0, 0, 1, 0, 0, 0, 0]
        bytes += [0x52, 0x54, 0, 0x12, 0x34, 0x56] + [UInt8](repeating: 0, count: 10)
        bytes += sname + [UInt8](repeating: 0, count: 64 - sname.count)
        bytes += file + [UInt8](repeating: 0, count: 128 - file.count)
        return bytes + [99, 130, 83, 99] + options
    }

    /// DHCPOFFER as dnsmasq sends it: type, server, lease, T1, T2, mask, broadcast, router, DNS,
    /// domain.
    static let offerOptions: [UInt8] = [
        53, 1, 2, 54, 4, 10, 0, 0, 1, 51, 4, 0, 0, 0x0E, 0x10, 58, 4, 0, 0, 0x07, 0x08,
        59, 4, 0, 0, 0x0C, 0x4E, 1, 4, 255, 255, 255, 0, 28, 4, 10, 0, 0, 255,
        3, 4, 10, 0, 0, 1, 6, 8, 10, 0, 0, 1, 9, 9, 9, 9, 15, 11,
    ] + Array("example.org".utf8) + [255]

    @Test("an offer is read field by field, options typed")
    func readsAnOffer() throws {
        let message = try Self.parse(Self.reply(options: Self.offerOptions))
        #expect(message.operation == .reply)
        #expect(message.transactionID == 0x3903_F326)
        #expect(message.isBroadcast)
        #expect(message.yourAddress == IPv4Address(10, 0, 0, 50))
        #expect(message.serverAddress == IPv4Address(10, 0, 0, 1))
        #expect(message.clientHardware == Self.mac)
        let options = message.options
        #expect(options.messageType == .offer)
        #expect(options.serverIdentifier == IPv4Address(10, 0, 0, 1))
        #expect(options.leaseTime == 3600)
        #expect(options.renewalTime == 1800)
        #expect(options.rebindingTime == 3150)
        #expect(options.subnetMask == IPv4Address(255, 255, 255, 0))
        #expect(options.broadcastAddress == IPv4Address(10, 0, 0, 255))
        #expect(options.routers == [IPv4Address(10, 0, 0, 1)])
        #expect(options.domainNameServers == [IPv4Address(10, 0, 0, 1), IPv4Address(9, 9, 9, 9)])
        #expect(options.domainName == "example.org")
    }

    @Test("a request is laid out as RFC 2131 figure 1 says and padded to BOOTP's 300 octets")
    func writesARequest() throws {
        var options = DHCPOptions(messageType: .request)
        options.requestedAddress = IPv4Address(10, 0, 0, 50)
        options.serverIdentifier = IPv4Address(10, 0, 0, 1)
        options.parameterRequestList = [1, 3, 6, 15, 26, 51]
        var message = DHCPMessage(operation: .request, transactionID: 0xDEAD_BEEF, clientHardware: Self.mac, options: options)
        message.isBroadcast = true
        message.seconds = 3
        let bytes = message.encoded
        #expect(bytes.count == DHCPMessage.paddedLength)
        #expect(Array(bytes[0 ..< 12]) == [1, 1, 6, 0, 0xDE, 0xAD, 0xBE, 0xEF, 0, 3, 0x80, 0])
        #expect(Array(bytes[28 ..< 34]) == [0x52, 0x54, 0, 0x12, 0x34, 0x56])
        #expect(Array(bytes[236 ..< 240]) == [99, 130, 83, 99])
        // Message type first (RFC 2131 section 4.1 asks for nothing else, but servers look there).
        #expect(Array(bytes[240 ..< 243]) == [53, 1, 3])
        #expect(try Self.parse(bytes) == message)
    }

    @Test("options continue in `file` and `sname` when option 52 says so (RFC 2132 section 9.3)")
    func overloadedFields() throws {
        let options: [UInt8] = [53, 1, 5, 52, 1, 3, 255]
        let file: [UInt8] = [54, 4, 10, 0, 0, 1, 255]
        let sname: [UInt8] = [51, 4, 0, 0, 1, 0, 0, 0, 12, 3, 0x61, 0x62, 0x63, 255]
        let message = try Self.parse(Self.reply(options: options, sname: sname, file: file))
        #expect(message.options.messageType == .ack)
        #expect(message.options.serverIdentifier == IPv4Address(10, 0, 0, 1))
        #expect(message.options.leaseTime == 256)
        #expect(message.options.hostName == "abc")
        // Without the overload option, the same `file` and `sname` are not options.
        let plain = try Self.parse(Self.reply(options: [53, 1, 5, 255], sname: sname, file: file))
        #expect(plain.options.serverIdentifier == nil)
    }

    @Test("options of one code are concatenated (RFC 3396), and values past 255 octets split")
    func longOptions() throws {
        let split: [UInt8] = [53, 1, 5, 6, 4, 1, 1, 1, 1, 6, 4, 2, 2, 2, 2, 255]
        let message = try Self.parse(Self.reply(options: split))
        #expect(message.options.domainNameServers == [IPv4Address(1, 1, 1, 1), IPv4Address(2, 2, 2, 2)])

        var options = DHCPOptions(messageType: .ack)
        options.domainName = String(repeating: "a", count: 300)
        let reply = DHCPMessage(operation: .reply, transactionID: 1, clientHardware: Self.mac, options: options)
        let bytes = reply.encoded
        #expect(Array(bytes[243 ..< 245]) == [15, 255])
        #expect(Array(bytes[500 ..< 502]) == [15, 45])
        #expect(try Self.parse(bytes).options.domainName == options.domainName)
    }

    @Test("pads are skipped, `end` stops reading, a trailing NUL of a text option is dropped")
    func padsAndEnd() throws {
        let options: [UInt8] = [0, 0, 53, 1, 2, 0, 12, 4, 0x68, 0x6F, 0x73, 0, 255, 54, 4, 1, 2, 3, 4]
        let message = try Self.parse(Self.reply(options: options))
        #expect(message.options.messageType == .offer)
        #expect(message.options.hostName == "hos")
        #expect(message.options.serverIdentifier == nil)
    }

    /// Malformed messages, each with the words its error must contain.
    static let malformed: [([UInt8], String)] = {
        let empty = reply(options: [255])
        var cases: [([UInt8], String)] = []
        cases.append((Array(empty.prefix(239)), "truncated"))
        cases.append(([3] + Array(empty.dropFirst()), "DHCP op"))
        cases.append((Array(empty.prefix(1)) + [6] + Array(empty.dropFirst(2)), "DHCP hardware type"))
        cases.append((Array(empty.prefix(236)) + [99, 130, 83, 98, 255], "DHCP magic cookie"))
        cases.append((reply(options: [53, 1, 2, 51, 4, 0, 0]), "truncated"))
        cases.append((reply(options: [53, 1, 2, 51]), "truncated"))
        cases.append((reply(options: [53, 1, 9, 255]), "DHCP message type"))
        cases.append((reply(options: [53, 2, 2, 2, 255]), "DHCP message type length"))
        cases.append((reply(options: [1, 3, 255, 255, 0, 255]), "DHCP subnet mask length"))
        cases.append((reply(options: [3, 6, 1, 2, 3, 4, 5, 6, 255]), "DHCP routers length"))
        cases.append((reply(options: [26, 2, 0, 67, 255]), "DHCP interface MTU"))
        cases.append((reply(options: [51, 2, 0, 1, 255]), "DHCP lease time length"))
        cases.append((reply(options: [52, 1, 4, 255]), "DHCP option overload"))
        cases.append((reply(options: [61, 1, 1, 255]), "DHCP client identifier length"))
        cases.append((reply(options: [12, 0, 255]), "DHCP host name length"))
        return cases
    }()

    @Test("malformed messages are refused naming what is wrong", arguments: malformed)
    func refusesMalformed(bytes: [UInt8], field: String) {
        do {
            let message = try Self.parse(bytes)
            Issue.record("parsed \(message), expected an error naming \(field)")
        } catch {
            #expect(error.description.contains(field), "\(error)")
        }
    }
}
