/// A record's content type (RFC 8446 section 5.1). A record of any other type is
/// `unexpected_message`.
public enum TLSContentType: UInt8, Sendable {
    case changeCipherSpec = 20
    case alert = 21
    case handshake = 22
    case applicationData = 23
}

/// A protocol version on the wire (RFC 8446 section 4.2.1): TLS 1.2 is 0x0303, TLS 1.3 0x0304.
public struct TLSProtocolVersion: RawRepresentable, Hashable, Comparable, Sendable {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let tls10 = Self(rawValue: 0x0301)
    public static let tls11 = Self(rawValue: 0x0302)
    public static let tls12 = Self(rawValue: 0x0303)
    public static let tls13 = Self(rawValue: 0x0304)

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }

    /// RFC 8701: the reserved values clients send to keep servers tolerant (0x?A?A).
    public var isGREASE: Bool { rawValue & 0x0F0F == 0x0A0A && rawValue >> 8 == rawValue & 0xFF }
}

/// A handshake message's type (RFC 8446 section 4, RFC 5246 section 7.4).
public struct TLSHandshakeType: RawRepresentable, Hashable, Sendable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// TLS 1.2's HelloRequest: a server asking to renegotiate.
    public static let helloRequest = Self(rawValue: 0)
    public static let clientHello = Self(rawValue: 1)
    public static let serverHello = Self(rawValue: 2)
    public static let newSessionTicket = Self(rawValue: 4)
    public static let endOfEarlyData = Self(rawValue: 5)
    public static let encryptedExtensions = Self(rawValue: 8)
    public static let certificate = Self(rawValue: 11)
    /// TLS 1.2 only.
    public static let serverKeyExchange = Self(rawValue: 12)
    public static let certificateRequest = Self(rawValue: 13)
    /// TLS 1.2 only.
    public static let serverHelloDone = Self(rawValue: 14)
    public static let certificateVerify = Self(rawValue: 15)
    /// TLS 1.2 only.
    public static let clientKeyExchange = Self(rawValue: 16)
    public static let finished = Self(rawValue: 20)
    public static let keyUpdate = Self(rawValue: 24)
    /// The stand-in for the first ClientHello in the transcript after a HelloRetryRequest
    /// (RFC 8446 section 4.4.1); never sent.
    public static let messageHash = Self(rawValue: 254)
}
