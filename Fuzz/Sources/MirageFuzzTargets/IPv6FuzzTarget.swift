import MirageCore
import MirageNet

extension FuzzTargets {
    /// IPv6 packets (RFC 8200): the fixed header, the walk over extension headers with its bounds,
    /// then an ICMPv6 or neighbour discovery message (RFC 4443, RFC 4861) with its options; a
    /// message that parses is encoded again and must parse the same.
    static let ipv6Packet = FuzzTarget("ipv6-packet", "IPv6Header, IPv6ExtensionHeaders.walk and holdsHeaderChain, ICMPv6Message and NDPOption, encoded again") { bytes in
        guard let header = try? IPv6Header.parse(bytes) else { return }
        let payload = UnsafeRawBufferPointer(rebasing: bytes[header.payloadRange])
        let walked: IPv6ExtensionHeaders
        do throws(IPv6ExtensionHeaders.Refusal) {
            walked = try IPv6ExtensionHeaders.walk(payload, nextHeader: header.nextHeader, destinationIsMulticast: header.destination.isMulticast)
        } catch {
            if case let .parameterProblem(_, pointer) = error {
                require(Int(pointer) < IPv6Header.length + payload.count, "a pointer \(pointer) past the packet")
            }
            return
        }
        require(walked.count <= IPv6ExtensionHeaders.maximumHeaders, "\(walked.count) extension headers walked")
        require(walked.upperLayerOffset <= payload.count, "the upper layer at \(walked.upperLayerOffset) of \(payload.count)")
        if let fragment = walked.fragment, fragment.offset == 0 {
            // A first fragment: RFC 7112's check walks the rest of the chain in its data.
            _ = IPv6ExtensionHeaders.holdsHeaderChain(UnsafeRawBufferPointer(rebasing: payload[walked.upperLayerOffset...]),
                                                      nextHeader: fragment.nextHeader)
        }
        guard walked.upperLayer == .icmpv6 else { return }
        let upper = UnsafeRawBufferPointer(rebasing: payload[walked.upperLayerOffset...])
        guard let message = try? ICMPv6Message.parse(upper, source: header.source, destination: header.destination) else { return }
        let encoded = message.encoded(source: header.source, destination: header.destination)
        let again = encoded.withUnsafeBytes { try? ICMPv6Message.parse($0, source: header.source, destination: header.destination) }
        require(again == message, "an ICMPv6 message changes when encoded and parsed again")
    }
}
