/// What a message's OPT pseudo-record says (RFC 6891 section 6.1): the sender's UDP payload
/// size, the EDNS version, the DNSSEC OK bit and options. The high bits of an extended
/// response code are not kept here but in ``DNSMessage/responseCode``.
public struct DNSEDNS: Hashable, Sendable {
    /// The largest UDP payload the sender can reassemble (the OPT record's CLASS). Values below
    /// 512 are to be treated as 512 (RFC 6891 section 6.2.3).
    public var udpPayloadSize: UInt16
    /// The EDNS version; only 0 is defined.
    public var version: UInt8
    /// The DNSSEC OK bit (RFC 3225).
    public var dnssecOK: Bool
    /// The other fifteen flag bits of the OPT record's TTL ("Z"), sent as zero and kept as
    /// received (RFC 6891 section 6.1.4).
    public var otherFlags: UInt16
    /// The options, in order, each its code and data undecoded (RFC 6891 section 6.1.2).
    public var options: [DNSEDNSOption]

    public init(
        udpPayloadSize: UInt16 = 1232, version: UInt8 = 0, dnssecOK: Bool = false,
        otherFlags: UInt16 = 0, options: [DNSEDNSOption] = []
    ) {
        self.udpPayloadSize = udpPayloadSize
        self.version = version
        self.dnssecOK = dnssecOK
        self.otherFlags = otherFlags & 0x7fff
        self.options = options
    }

    /// The bytes of the OPT record in wire form, used to reserve room for it when truncating.
    var wireLength: Int {
        11 + options.reduce(0) { $0 + 4 + $1.data.count }
    }
}

/// An EDNS option (RFC 6891 section 6.1.2), kept as its code and bytes.
public struct DNSEDNSOption: Hashable, Sendable {
    public var code: UInt16
    public var data: [UInt8]

    public init(code: UInt16, data: [UInt8]) {
        self.code = code
        self.data = data
    }
}
