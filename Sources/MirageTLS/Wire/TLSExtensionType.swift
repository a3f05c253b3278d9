/// An extension's type (RFC 8446 section 4.2 and the IANA registry).
public struct TLSExtensionType: RawRepresentable, Hashable, Sendable {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let serverName = Self(rawValue: 0)                       // RFC 6066
    public static let maxFragmentLength = Self(rawValue: 1)                // RFC 6066
    public static let statusRequest = Self(rawValue: 5)                    // RFC 6066
    public static let supportedGroups = Self(rawValue: 10)                 // RFC 8422, 7919
    public static let ecPointFormats = Self(rawValue: 11)                  // RFC 8422
    public static let signatureAlgorithms = Self(rawValue: 13)             // RFC 8446
    public static let applicationLayerProtocolNegotiation = Self(rawValue: 16) // RFC 7301
    public static let signedCertificateTimestamp = Self(rawValue: 18)     // RFC 6962
    public static let padding = Self(rawValue: 21)                         // RFC 7685
    public static let encryptThenMAC = Self(rawValue: 22)                  // RFC 7366
    public static let extendedMasterSecret = Self(rawValue: 23)            // RFC 7627
    public static let recordSizeLimit = Self(rawValue: 28)                 // RFC 8449
    public static let sessionTicket = Self(rawValue: 35)                   // RFC 5077
    public static let preSharedKey = Self(rawValue: 41)                    // RFC 8446
    public static let earlyData = Self(rawValue: 42)                       // RFC 8446
    public static let supportedVersions = Self(rawValue: 43)               // RFC 8446
    public static let cookie = Self(rawValue: 44)                          // RFC 8446
    public static let pskKeyExchangeModes = Self(rawValue: 45)             // RFC 8446
    public static let certificateAuthorities = Self(rawValue: 47)          // RFC 8446
    public static let postHandshakeAuth = Self(rawValue: 49)               // RFC 8446
    public static let signatureAlgorithmsCert = Self(rawValue: 50)         // RFC 8446
    public static let keyShare = Self(rawValue: 51)                        // RFC 8446
    public static let renegotiationInfo = Self(rawValue: 0xFF01)           // RFC 5746
}

/// One extension as it arrived: its type and its undecoded data.
public struct TLSExtension: Equatable, Sendable {
    public let type: TLSExtensionType
    public let data: [UInt8]

    public init(_ type: TLSExtensionType, _ data: [UInt8]) {
        self.type = type
        self.data = data
    }
}

/// A message's extension block (RFC 8446 section 4.2), in the order sent. Reading one refuses a
/// type that appears twice (`illegal_parameter`: "There MUST NOT be more than one extension of
/// the same type in a given extension block") and a block that does not parse (`decode_error`).
public struct TLSExtensions: Equatable, Sendable {
    public private(set) var all: [TLSExtension]

    public init(_ all: [TLSExtension] = []) { self.all = all }

    /// The data of the extension of `type`, if present.
    public subscript(type: TLSExtensionType) -> [UInt8]? {
        all.first { $0.type == type }?.data
    }

    public func contains(_ type: TLSExtensionType) -> Bool { all.contains { $0.type == type } }

    public mutating func append(_ type: TLSExtensionType, _ data: [UInt8]) {
        precondition(!contains(type), "extension \(type.rawValue) twice")
        all.append(TLSExtension(type, data))
    }

    /// The extension block `extensions<minimum..2^16-1>` at the reader's position.
    static func read(from reader: inout TLSWireReader, minimum: Int = 0) throws(TLSError) -> TLSExtensions {
        var block = try reader.readVector(lengthBytes: 2, minimum: minimum, maximum: 0xFFFF)
        var result = TLSExtensions()
        while !block.isAtEnd {
            let type = TLSExtensionType(rawValue: try block.readUInt16())
            let data = try block.readOpaque(lengthBytes: 2, maximum: 0xFFFF)
            guard !result.contains(type) else { throw .illegal("extension \(type.rawValue) appears twice") }
            result.all.append(TLSExtension(type, data))
        }
        return result
    }

    /// Writes the block; an empty block is written as its two-byte zero length.
    func write(to writer: inout TLSWireWriter) {
        writer.appendVector(lengthBytes: 2) { block in
            for item in all {
                block.append(item.type.rawValue)
                block.appendOpaque(lengthBytes: 2, item.data)
            }
        }
    }
}
