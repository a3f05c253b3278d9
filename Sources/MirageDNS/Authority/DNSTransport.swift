/// The transport a query came over, which bounds the response's size (RFC 1035 section 4.2;
/// RFC 6891 section 6.2.5) and decides whether a zone transfer may run (RFC 5936 section 4.2).
public enum DNSTransport: Hashable, Sendable {
    /// One datagram each way: 512 bytes, or the smaller of the two sides' EDNS payload sizes.
    case udp
    /// A stream: each message after a two-byte length, so up to 65535 bytes, and zone transfers.
    case tcp
}
