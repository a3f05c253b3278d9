import MirageCore

/// Why the reassembler refused a fragment.
public enum ReassemblyDrop: Hashable, Sendable, CustomStringConvertible {
    /// It overlaps another fragment without being an exact duplicate of it; the whole datagram is
    /// forgotten (RFC 5722 section 4 asks this of IPv6; overlaps have no honest use in IPv4 either,
    /// and are how the "teardrop" attacks and filter evasions of RFC 1858 work).
    case overlap
    /// Its data would end past the 65,535 bytes a datagram may hold (the "ping of death").
    case oversized
    /// It is not the last fragment but its payload is not a multiple of 8 bytes (RFC 791 section
    /// 3.2), or it carries no data at all.
    case misaligned
    /// It is not the last fragment but carries fewer than
    /// ``ReassemblyConfiguration/minimumFragmentPayload`` octets; the datagram is forgotten.
    case tooSmall
    /// Its datagram already holds ``ReassemblyConfiguration/maximumFragmentsPerDatagram``
    /// fragments; the datagram is forgotten.
    case tooManyFragments
    /// It disagrees with the datagram's known end: a second last fragment with another total, data
    /// past the end, or a last fragment ending before data already received.
    case conflictingEnd
    /// ``ReassemblyConfiguration/maximumDatagrams`` are already being reassembled.
    case tooManyDatagrams
    /// Keeping it would exceed ``ReassemblyConfiguration/memoryLimit``.
    case memoryLimit

    public var description: String {
        switch self {
        case .overlap: "overlapping fragment"
        case .oversized: "fragment ends past 65535 bytes"
        case .misaligned: "fragment length not a multiple of 8"
        case .tooSmall: "non-final fragment too small"
        case .tooManyFragments: "too many fragments in one datagram"
        case .conflictingEnd: "fragment disagrees with the datagram's end"
        case .tooManyDatagrams: "too many datagrams in reassembly"
        case .memoryLimit: "reassembly memory limit reached"
        }
    }
}

/// The name this had when only IPv4 was reassembled.
public typealias IPv4ReassemblyDrop = ReassemblyDrop
