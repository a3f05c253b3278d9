import MirageCore

/// The extension headers of an IPv6 packet, walked in order (RFC 8200 section 4) up to the
/// upper-layer header or a Fragment header, at most ``maximumHeaders`` of them, so that a packet of
/// many small headers costs bounded work.
public struct IPv6ExtensionHeaders: Hashable, Sendable {
    /// A Fragment header (RFC 8200 section 4.5).
    public struct Fragment: Hashable, Sendable {
        /// Where the fragment's data belongs, in 8-byte units.
        public var offset: UInt16
        public var moreFragments: Bool
        public var identification: UInt32
        /// The header after the Fragment header in the original packet.
        public var nextHeader: IPProtocol
        /// Where the Fragment header starts in the payload: the length of the unfragmentable
        /// extension headers before it.
        public var headerOffset: Int
    }

    /// The protocol after the last extension header walked: the upper layer, ``IPProtocol/noNextHeader``,
    /// or, after a Fragment header, ``IPProtocol/fragment``.
    public var upperLayer: IPProtocol
    /// Where the upper-layer header (or, for a fragment, the fragment's data) starts in the payload.
    public var upperLayerOffset: Int
    /// The Fragment header, when there is one; the walk stops after it.
    public var fragment: Fragment?
    /// How many extension headers were walked.
    public var count: Int

    /// The most extension headers walked in one packet: a real packet has a handful (RFC 8200
    /// section 4.1's order names six kinds); more is an attack on the receiver's work.
    public static let maximumHeaders = 8

    /// Why a packet's extension headers are refused (RFC 8200 sections 4.2-4.5).
    public enum Refusal: Error, Hashable, Sendable, CustomStringConvertible {
        /// A header runs past the payload: the packet is dropped.
        case truncated(WireError)
        /// The packet is dropped and an ICMPv6 Parameter Problem (RFC 4443 section 3.4) with this
        /// code is due, pointing at this byte of the packet (from the start of the IPv6 header).
        case parameterProblem(code: UInt8, pointer: UInt32)
        /// The packet is dropped silently (an unknown option whose type says so).
        case discarded(option: UInt8)
        /// More than ``maximumHeaders`` extension headers: dropped.
        case tooManyHeaders

        public var description: String {
            switch self {
            case let .truncated(error): "extension header \(error)"
            case let .parameterProblem(code, pointer): "parameter problem, code \(code), at byte \(pointer)"
            case let .discarded(option): "unknown option \(option), to be discarded"
            case .tooManyHeaders: "more than \(IPv6ExtensionHeaders.maximumHeaders) extension headers"
            }
        }
    }

    /// Parameter Problem codes (RFC 4443 section 3.4).
    public enum ProblemCode {
        public static let erroneousField: UInt8 = 0
        public static let unrecognizedNextHeader: UInt8 = 1
        public static let unrecognizedOption: UInt8 = 2
        /// The first fragment lacks part of the header chain (RFC 7112 section 5).
        public static let incompleteHeaderChain: UInt8 = 3
    }

    /// Option types of the Hop-by-Hop and Destination Options headers (RFC 8200 section 4.2).
    enum Option {
        static let pad1: UInt8 = 0
        static let padN: UInt8 = 1
        /// Router Alert (RFC 2711), which MLD carries (RFC 3810 section 5).
        static let routerAlert: UInt8 = 5
    }

    /// Walks the extension headers of `payload` (the bytes after the fixed header), the first of
    /// type `nextHeader`.
    /// - Parameter destinationIsMulticast: an unknown option of type 11xxxxxx asks for a
    ///   Parameter Problem only when the packet was not sent to a multicast address.
    /// - Throws: a ``Refusal``: what to do with the packet instead.
    public static func walk(_ payload: UnsafeRawBufferPointer, nextHeader first: IPProtocol,
                            destinationIsMulticast: Bool) throws(Refusal) -> IPv6ExtensionHeaders {
        var next = first
        var offset = 0
        var count = 0
        // Where the byte naming `next` is, from the start of the IPv6 header (for pointers).
        var nextHeaderField = UInt32(IPv6Header.Field.nextHeader)
        while true {
            switch next {
            case .hopByHopOptions, .destinationOptions, .routing, .fragment:
                break
            default:
                return IPv6ExtensionHeaders(upperLayer: next, upperLayerOffset: offset, fragment: nil, count: count)
            }
            guard count < maximumHeaders else { throw .tooManyHeaders }
            // Hop-by-Hop Options only right after the fixed header (RFC 8200 section 4.1).
            if next == .hopByHopOptions, count > 0 {
                throw .parameterProblem(code: ProblemCode.unrecognizedNextHeader, pointer: nextHeaderField)
            }
            guard offset + 8 <= payload.count else { throw .truncated(.truncated(needed: offset + 8, available: payload.count)) }
            let length = next == .fragment ? 8 : (Int(payload[offset + 1]) + 1) * 8
            guard offset + length <= payload.count else { throw .truncated(.truncated(needed: offset + length, available: payload.count)) }
            let header = UnsafeRawBufferPointer(rebasing: payload[offset ..< offset + length])
            let start = UInt32(IPv6Header.length + offset)
            count += 1
            switch next {
            case .hopByHopOptions, .destinationOptions:
                try checkOptions(header, start: start, destinationIsMulticast: destinationIsMulticast)
            case .routing:
                // No routing type is ours to process (type 0 is deprecated by RFC 5095): one with
                // segments left is refused, pointing at its type; one with none is skipped.
                if header[3] != 0 { throw .parameterProblem(code: ProblemCode.erroneousField, pointer: start + 2) }
            default:
                let field = header.bigEndian(UInt16.self, at: 2)
                let fragment = Fragment(offset: field >> 3, moreFragments: field & 1 != 0,
                                        identification: header.bigEndian(UInt32.self, at: 4),
                                        nextHeader: IPProtocol(rawValue: header[0]), headerOffset: offset)
                return IPv6ExtensionHeaders(upperLayer: .fragment, upperLayerOffset: offset + 8, fragment: fragment, count: count)
            }
            nextHeaderField = start
            next = IPProtocol(rawValue: header[0])
            offset += length
        }
    }

    /// Checks the options of a Hop-by-Hop or Destination Options header (RFC 8200 section 4.2):
    /// padding and Router Alert are known; an unknown option's two high bits say what to do.
    private static func checkOptions(_ header: UnsafeRawBufferPointer, start: UInt32, destinationIsMulticast: Bool) throws(Refusal) {
        var index = 2
        while index < header.count {
            let type = header[index]
            if type == Option.pad1 {
                index += 1
                continue
            }
            guard index + 1 < header.count else { throw .truncated(.truncated(needed: index + 2, available: header.count)) }
            let length = Int(header[index + 1])
            guard index + 2 + length <= header.count else {
                throw .truncated(.truncated(needed: index + 2 + length, available: header.count))
            }
            switch type {
            case Option.padN, Option.routerAlert:
                break
            default:
                switch type >> 6 {
                case 0: break
                case 1: throw .discarded(option: type)
                case 2: throw .parameterProblem(code: ProblemCode.unrecognizedOption, pointer: start + UInt32(index))
                default:
                    if destinationIsMulticast { throw .discarded(option: type) }
                    throw .parameterProblem(code: ProblemCode.unrecognizedOption, pointer: start + UInt32(index))
                }
            }
            index += 2 + length
        }
    }
}
