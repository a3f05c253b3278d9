/// A SACK block: the sequence numbers `left ..< right` the receiver holds (RFC 2018 section 3).
public struct SACKBlock: Hashable, Sendable {
    public var left: UInt32
    public var right: UInt32
    public init(left: UInt32, right: UInt32) {
        self.left = left
        self.right = right
    }
}

/// Up to four SACK blocks, stored inline so that parsing an acknowledgment allocates nothing
/// (40 option bytes fit at most four; with timestamps, three).
public struct SACKBlocks: Hashable, Sendable, RandomAccessCollection {
    private var storage: (SACKBlock, SACKBlock, SACKBlock, SACKBlock)
    public private(set) var count: Int

    public static let capacity = 4
    private static let empty = SACKBlock(left: 0, right: 0)

    public init() {
        storage = (Self.empty, Self.empty, Self.empty, Self.empty)
        count = 0
    }

    public init(_ blocks: [SACKBlock]) {
        precondition(blocks.count <= Self.capacity, "at most four SACK blocks fit in a TCP header")
        self.init()
        for block in blocks { append(block) }
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { count }

    public subscript(index: Int) -> SACKBlock {
        precondition(index >= 0 && index < count, "SACK block index out of range")
        switch index {
        case 0: return storage.0
        case 1: return storage.1
        case 2: return storage.2
        default: return storage.3
        }
    }

    public mutating func append(_ block: SACKBlock) {
        precondition(count < Self.capacity, "at most four SACK blocks fit in a TCP header")
        switch count {
        case 0: storage.0 = block
        case 1: storage.1 = block
        case 2: storage.2 = block
        default: storage.3 = block
        }
        count += 1
    }

    public static func == (lhs: SACKBlocks, rhs: SACKBlocks) -> Bool { lhs.elementsEqual(rhs) }

    public func hash(into hasher: inout Hasher) {
        for block in self { hasher.combine(block) }
    }
}

/// A TCP timestamps option (RFC 7323 section 3): the sender's clock and the echo of the peer's.
public struct TCPTimestamps: Hashable, Sendable {
    public var value: UInt32
    public var echoReply: UInt32
    public init(value: UInt32, echoReply: UInt32) {
        self.value = value
        self.echoReply = echoReply
    }
}

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

    /// The bytes the options take when emitted, padded to a multiple of 4.
    public var encodedLength: Int {
        var length = 0
        if maximumSegmentSize != nil { length += 4 }
        if windowScale != nil { length += 3 }
        if sackPermitted { length += 2 }
        if timestamps != nil { length += 10 }
        if !sackBlocks.isEmpty { length += 2 + 8 * sackBlocks.count }
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
            if kind == 0 { break }              // end of option list
            if kind == 1 { offset += 1; continue } // no-operation
            guard offset + 1 < bytes.count else { throw .malformed(field: "TCP option length", value: UInt32(kind)) }
            let length = Int(bytes[offset + 1])
            guard length >= 2, offset + length <= bytes.count else {
                throw .malformed(field: "TCP option length", value: UInt32(length))
            }
            let body = offset + 2
            switch (kind, length) {
            case (2, 4): options.maximumSegmentSize = bytes.bigEndian(UInt16.self, at: body)
            case (3, 3): options.windowScale = min(bytes[body], 14) // RFC 7323 section 2.3
            case (4, 2): options.sackPermitted = true
            case (5, _):
                guard (length - 2) % 8 == 0, length > 2, (length - 2) / 8 <= SACKBlocks.capacity else {
                    throw .malformed(field: "TCP SACK option length", value: UInt32(length))
                }
                var blocks = SACKBlocks()
                for index in 0..<(length - 2) / 8 {
                    blocks.append(SACKBlock(
                        left: bytes.bigEndian(UInt32.self, at: body + 8 * index),
                        right: bytes.bigEndian(UInt32.self, at: body + 8 * index + 4)))
                }
                options.sackBlocks = blocks
            case (8, 10):
                options.timestamps = TCPTimestamps(value: bytes.bigEndian(UInt32.self, at: body), echoReply: bytes.bigEndian(UInt32.self, at: body + 4))
            case (2, _), (3, _), (4, _), (8, _):
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
            bytes[offset] = 2; bytes[offset + 1] = 4
            bytes.storeBigEndian(maximumSegmentSize, at: offset + 2)
            offset += 4
        }
        if let windowScale {
            bytes[offset] = 3; bytes[offset + 1] = 3; bytes[offset + 2] = windowScale
            offset += 3
        }
        if sackPermitted {
            bytes[offset] = 4; bytes[offset + 1] = 2
            offset += 2
        }
        if let timestamps {
            bytes[offset] = 8; bytes[offset + 1] = 10
            bytes.storeBigEndian(timestamps.value, at: offset + 2)
            bytes.storeBigEndian(timestamps.echoReply, at: offset + 6)
            offset += 10
        }
        if !sackBlocks.isEmpty {
            bytes[offset] = 5; bytes[offset + 1] = UInt8(2 + 8 * sackBlocks.count)
            for (index, block) in sackBlocks.enumerated() {
                bytes.storeBigEndian(block.left, at: offset + 2 + 8 * index)
                bytes.storeBigEndian(block.right, at: offset + 6 + 8 * index)
            }
            offset += 2 + 8 * sackBlocks.count
        }
        while offset < encodedLength {
            bytes[offset] = 0
            offset += 1
        }
    }
}
