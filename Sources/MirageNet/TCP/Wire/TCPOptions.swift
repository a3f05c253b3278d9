/// The TCP options this stack understands (RFC 9293 section 3.2); others are skipped.
public struct TCPOptions: Hashable, Sendable {
    /// Maximum segment size, in SYN segments (RFC 9293 section 3.7.1).
    public var maximumSegmentSize: UInt16?
    /// Window scale shift, in SYN segments (RFC 7323 section 2); at most 14.
    public var windowScale: UInt8?
    /// SACK permitted, in SYN segments (RFC 2018 section 2).
    public var sackPermitted = false
    public var sackBlocks = SACKBlocks()
    public var timestamps: TCPTimestamps?

    public init() {}

    /// Option kinds (IANA "TCP Option Kind Numbers"; RFC 9293 section 3.2, RFC 7323, RFC 2018).
    enum Kind {
        static let endOfList: UInt8 = 0
        static let noOperation: UInt8 = 1
        static let maximumSegmentSize: UInt8 = 2
        static let windowScale: UInt8 = 3
        static let sackPermitted: UInt8 = 4
        static let sack: UInt8 = 5
        static let timestamps: UInt8 = 8
    }

    /// The lengths, kind and length octets included, of the options with a fixed length; a SACK
    /// option is 2 octets plus 8 per block.
    enum Length {
        static let maximumSegmentSize = 4
        static let windowScale = 3
        static let sackPermitted = 2
        static let timestamps = 10
        static let sackBlock = 8
    }

    /// The bytes the options take when emitted, padded to a multiple of 4.
    public var encodedLength: Int {
        var length = 0
        if maximumSegmentSize != nil { length += Length.maximumSegmentSize }
        if windowScale != nil { length += Length.windowScale }
        if sackPermitted { length += Length.sackPermitted }
        if timestamps != nil { length += Length.timestamps }
        if !sackBlocks.isEmpty { length += 2 + Length.sackBlock * sackBlocks.count }
        return (length + 3) & ~3
    }

    /// Reads the options area of a TCP header.
    /// - Throws: ``WireError/malformed(field:value:)`` for an option whose length is too short,
    ///   runs past the header, or does not fit its kind.
    public static func parse(_ bytes: UnsafeRawBufferPointer) throws(WireError) -> TCPOptions {
        var options = TCPOptions()
        var offset = 0
        while offset < bytes.count {
            let kind = bytes[offset]
            if kind == Kind.endOfList { break }
            if kind == Kind.noOperation { offset += 1; continue }
            guard offset + 1 < bytes.count else { throw .malformed(field: "TCP option length", value: UInt32(kind)) }
            let length = Int(bytes[offset + 1])
            guard length >= 2, offset + length <= bytes.count else {
                throw .malformed(field: "TCP option length", value: UInt32(length))
            }
            let body = offset + 2
            switch (kind, length) {
            case (Kind.maximumSegmentSize, Length.maximumSegmentSize):
                options.maximumSegmentSize = bytes.bigEndian(UInt16.self, at: body)
            case (Kind.windowScale, Length.windowScale):
                options.windowScale = min(bytes[body], 14) // RFC 7323 section 2.3
            case (Kind.sackPermitted, Length.sackPermitted):
                options.sackPermitted = true
            case (Kind.sack, _):
                let blockCount = (length - 2) / Length.sackBlock
                guard (length - 2) % Length.sackBlock == 0, length > 2, blockCount <= SACKBlocks.capacity else {
                    throw .malformed(field: "TCP SACK option length", value: UInt32(length))
                }
                var blocks = SACKBlocks()
                for index in 0..<blockCount {
                    blocks.append(SACKBlock(
                        left: bytes.bigEndian(UInt32.self, at: body + Length.sackBlock * index),
                        right: bytes.bigEndian(UInt32.self, at: body + Length.sackBlock * index + 4)))
                }
                options.sackBlocks = blocks
            case (Kind.timestamps, Length.timestamps):
                options.timestamps = TCPTimestamps(value: bytes.bigEndian(UInt32.self, at: body), echoReply: bytes.bigEndian(UInt32.self, at: body + 4))
            case (Kind.maximumSegmentSize, _), (Kind.windowScale, _), (Kind.sackPermitted, _), (Kind.timestamps, _):
                throw .malformed(field: "TCP option length", value: UInt32(length))
            default:
                break // an unknown option: skipped by its length
            }
            offset += length
        }
        return options
    }

    /// Writes the options into `bytes` (``encodedLength`` of them), padding with end-of-list.
    public func emit(into bytes: UnsafeMutableRawBufferPointer) {
        precondition(bytes.count >= encodedLength, "no room for the TCP options")
        var offset = 0
        if let maximumSegmentSize {
            bytes[offset] = Kind.maximumSegmentSize; bytes[offset + 1] = UInt8(Length.maximumSegmentSize)
            bytes.storeBigEndian(maximumSegmentSize, at: offset + 2)
            offset += Length.maximumSegmentSize
        }
        if let windowScale {
            bytes[offset] = Kind.windowScale; bytes[offset + 1] = UInt8(Length.windowScale); bytes[offset + 2] = windowScale
            offset += Length.windowScale
        }
        if sackPermitted {
            bytes[offset] = Kind.sackPermitted; bytes[offset + 1] = UInt8(Length.sackPermitted)
            offset += Length.sackPermitted
        }
        if let timestamps {
            bytes[offset] = Kind.timestamps; bytes[offset + 1] = UInt8(Length.timestamps)
            bytes.storeBigEndian(timestamps.value, at: offset + 2)
            bytes.storeBigEndian(timestamps.echoReply, at: offset + 6)
            offset += Length.timestamps
        }
        if !sackBlocks.isEmpty {
            let length = 2 + Length.sackBlock * sackBlocks.count
            bytes[offset] = Kind.sack; bytes[offset + 1] = UInt8(length)
            for (index, block) in sackBlocks.enumerated() {
                bytes.storeBigEndian(block.left, at: offset + 2 + Length.sackBlock * index)
                bytes.storeBigEndian(block.right, at: offset + 6 + Length.sackBlock * index)
            }
            offset += length
        }
        while offset < encodedLength {
            bytes[offset] = Kind.endOfList
            offset += 1
        }
    }
}
