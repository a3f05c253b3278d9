import MirageCore
import MirageNet
import Testing

/// A stack core with a listener on port 7 and a peer at 10.0.0.1 that ARP already knows, fed
/// hand-made TCP segments (RFC 4987 section 3.6's SYN cookies).
struct CookieBench {
    static let ourMAC = MACAddress(2, 0, 0, 0, 0, 2), peerMAC = MACAddress(2, 0, 0, 0, 0, 1)
    static let us = IPv4Address(10, 0, 0, 2), peer = IPv4Address(10, 0, 0, 1)
    var core: StackCore
    var now = Instant(nanoseconds: 1_000_000_000)

    init(halfOpenLimit: Int) {
        var configuration = StackConfiguration(address: IPv4Prefix(address: Self.us, length: 24))
        configuration.halfOpenLimit = halfOpenLimit
        core = StackCore(configuration: configuration, mac: Self.ourMAC, mtu: 1500, key: (3, 4), now: now)
        try! core.listen(port: 7)
        var arp = PacketBuffer(capacity: 42, headroom: 14)
        arp.appendZeros(28)
        arp.withUnsafeMutableBytes {
            ARPPacket(operation: .request, senderHardware: Self.peerMAC, senderProtocol: Self.peer,
                      targetHardware: .zero, targetProtocol: Self.us).emit(into: $0)
        }
        arp.prepend(14)
        arp.withUnsafeMutableBytes { EthernetHeader(destination: .broadcast, source: Self.peerMAC, etherType: .arp).emit(into: $0) }
        core.receive(arp, now: now)
        _ = core.takeFrames()
    }

    /// Sends `header` from the peer and returns the TCP headers of what the stack sent back.
    mutating func send(_ header: TCPHeader) -> [TCPHeader] {
        var buffer = PacketBuffer(capacity: 100, headroom: 100)
        buffer.prepend(header.length)
        let pseudo = IPv4Header.pseudoHeaderChecksum(source: Self.peer, destination: Self.us, protocol: .tcp,
                                                     length: UInt16(buffer.count))
        buffer.withUnsafeMutableBytes { header.emit(into: $0, pseudoHeader: pseudo) }
        let ip = IPv4Header(totalLength: UInt16(20 + buffer.count), protocol: .tcp, source: Self.peer, destination: Self.us)
        buffer.prepend(20)
        buffer.withUnsafeMutableBytes { ip.emit(into: $0) }
        buffer.prepend(14)
        buffer.withUnsafeMutableBytes { EthernetHeader(destination: Self.ourMAC, source: Self.peerMAC, etherType: .ipv4).emit(into: $0) }
        now = now + .milliseconds(1)
        core.receive(buffer, now: now)
        return core.takeFrames().compactMap { frame in
            frame.withUnsafeBytes { bytes -> TCPHeader? in
                let packet = UnsafeRawBufferPointer(rebasing: bytes[14...])
                guard let ip = try? IPv4Header.parse(packet), ip.protocol == .tcp else { return nil }
                let segment = UnsafeRawBufferPointer(rebasing: packet[ip.payloadRange])
                let pseudo = IPv4Header.pseudoHeaderChecksum(source: ip.source, destination: ip.destination,
                                                             protocol: .tcp, length: UInt16(segment.count))
                return try? TCPHeader.parse(segment, pseudoHeader: pseudo).header
            }
        }
    }

    static func syn(from port: UInt16, sequence: UInt32) -> TCPHeader {
        var header = TCPHeader(sourcePort: port, destinationPort: 7, sequenceNumber: sequence, acknowledgmentNumber: 0,
                               flags: .syn, window: 65535)
        header.options.maximumSegmentSize = 1460
        header.options.windowScale = 7
        header.options.sackPermitted = true
        header.options.timestamps = TCPTimestamps(value: 777, echoReply: 0)
        return header
    }

    static func ack(from port: UInt16, sequence: UInt32, acknowledging: UInt32, echo: UInt32) -> TCPHeader {
        var header = TCPHeader(sourcePort: port, destinationPort: 7, sequenceNumber: sequence,
                               acknowledgmentNumber: acknowledging, flags: .ack, window: 1000)
        header.options.timestamps = TCPTimestamps(value: 778, echoReply: echo)
        return header
    }
}
