import MirageCore

/// The RDATA of a resource record, decoded for the types this library knows and kept as bytes
/// for any other (RFC 3597 section 2).
///
/// Equality compares names inside the data without regard to ASCII case, as ``DNSName`` does,
/// so that an RRset holds no two records that differ only in case (RFC 2181 section 5).
public enum DNSRecordData: Hashable, Sendable {
    /// An IPv4 address (RFC 1035 section 3.4.1).
    case a(IPv4Address)
    /// A name server for the owner's zone (RFC 1035 section 3.3.11).
    case ns(DNSName)
    /// The canonical name the owner is an alias of (RFC 1035 section 3.3.1).
    case cname(DNSName)
    /// The start of a zone of authority (RFC 1035 section 3.3.13).
    case soa(DNSSOA)
    /// A name the owner points to, as in reverse mapping (RFC 1035 section 3.3.12).
    case ptr(DNSName)
    /// A mail exchange and its preference, lower preferred (RFC 1035 section 3.3.9).
    case mx(preference: UInt16, exchange: DNSName)
    /// One or more character-strings of at most 255 bytes each (RFC 1035 section 3.3.14).
    case txt([[UInt8]])
    /// An IPv6 address (RFC 3596 section 2.2).
    case aaaa(IPv6Address)
    /// A service location (RFC 2782).
    case srv(DNSSRV)
    /// A certification authority authorization (RFC 8659 section 4.1).
    case caa(DNSCAA)
    /// The RDATA of any other type, as bytes (RFC 3597 section 2). Also what a known type's
    /// data would be if it were kept undecoded; the decoder never makes that.
    case unknown(DNSRecordType, [UInt8])

    /// The TYPE this data is of.
    public var type: DNSRecordType {
        switch self {
        case .a: .a
        case .ns: .ns
        case .cname: .cname
        case .soa: .soa
        case .ptr: .ptr
        case .mx: .mx
        case .txt: .txt
        case .aaaa: .aaaa
        case .srv: .srv
        case .caa: .caa
        case let .unknown(type, _): type
        }
    }

    /// The name a lookup of this record leads to, for additional section processing
    /// (RFC 1035 section 3.3; RFC 2782): the NS, MX or SRV target; nil for other types.
    public var additionalTarget: DNSName? {
        switch self {
        case let .ns(name): name
        case let .mx(_, exchange): exchange
        case let .srv(srv): srv.target
        default: nil
        }
    }
}

/// The RDATA of an SOA record (RFC 1035 section 3.3.13).
public struct DNSSOA: Hashable, Sendable {
    /// The primary name server of the zone (MNAME).
    public var primaryServer: DNSName
    /// The mailbox of the person responsible, its first label the local part (RNAME).
    public var responsibleMailbox: DNSName
    /// The version of the zone, compared in sequence space arithmetic (RFC 1982).
    public var serial: UInt32
    /// Seconds between a secondary's checks of the serial.
    public var refresh: UInt32
    /// Seconds before a secondary retries a failed refresh.
    public var retry: UInt32
    /// Seconds after which a secondary that cannot refresh stops answering.
    public var expire: UInt32
    /// The TTL of negative answers (RFC 2308 section 4).
    public var minimum: UInt32

    public init(
        primaryServer: DNSName, responsibleMailbox: DNSName, serial: UInt32,
        refresh: UInt32, retry: UInt32, expire: UInt32, minimum: UInt32
    ) {
        self.primaryServer = primaryServer
        self.responsibleMailbox = responsibleMailbox
        self.serial = serial
        self.refresh = refresh
        self.retry = retry
        self.expire = expire
        self.minimum = minimum
    }
}

/// The RDATA of an SRV record (RFC 2782).
public struct DNSSRV: Hashable, Sendable {
    /// Lower is tried first.
    public var priority: UInt16
    /// The relative share among targets of equal priority.
    public var weight: UInt16
    public var port: UInt16
    /// The host; the root name `.` means the service is not available there.
    public var target: DNSName

    public init(priority: UInt16, weight: UInt16, port: UInt16, target: DNSName) {
        self.priority = priority
        self.weight = weight
        self.port = port
        self.target = target
    }
}

/// The RDATA of a CAA record (RFC 8659 section 4.1).
public struct DNSCAA: Hashable, Sendable {
    /// The flags octet; bit 0 (128) is Issuer Critical.
    public var flags: UInt8
    /// The property tag, 1 to 15 ASCII letters and digits, such as `issue`.
    public var tag: [UInt8]
    /// The property value, the rest of the RDATA.
    public var value: [UInt8]

    public init(flags: UInt8, tag: [UInt8], value: [UInt8]) {
        self.flags = flags
        self.tag = tag
        self.value = value
    }

    /// Whether the Issuer Critical flag is set.
    public var isCritical: Bool { flags & 0x80 != 0 }
}
