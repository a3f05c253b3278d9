/// ttrpc, the RPC protocol containerd speaks to its shims (containerd/ttrpc `PROTOCOL.md`): over
/// a stream socket, frames of a 10-byte header (payload length and stream ID as big-endian 32-bit
/// integers, a message type, flags) and a protobuf payload. A client's requests take odd stream
/// IDs and may be in flight together; each is answered on its own stream, in any order.
public struct TTRPCFrame: Equatable, Sendable {
    public static let headerLength = 10
    /// ttrpc's `messageLengthMax`: a larger frame ends the connection.
    public static let maximumPayload = 4 << 20

    public enum Kind: UInt8, Sendable {
        case request = 1
        case response = 2
        case data = 3
    }

    public var stream: UInt32
    public var kind: UInt8
    public var flags: UInt8
    public var payload: [UInt8]

    public init(stream: UInt32, kind: Kind, flags: UInt8 = 0, payload: [UInt8]) {
        self.stream = stream
        self.kind = kind.rawValue
        self.flags = flags
        self.payload = payload
    }

    /// The frame as it goes on the wire.
    public var encoded: [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Self.headerLength + payload.count)
        for value in [UInt32(payload.count), stream] {
            bytes += [UInt8(value >> 24), UInt8(truncatingIfNeeded: value >> 16), UInt8(truncatingIfNeeded: value >> 8), UInt8(truncatingIfNeeded: value)]
        }
        bytes += [kind, flags]
        return bytes + payload
    }
}

/// Cuts a connection's bytes into frames as they arrive. It holds at most one frame's header and
/// payload (``TTRPCFrame/maximumPayload``): a peer announcing more is refused, and the connection
/// is to be closed.
public struct TTRPCFrameReader {
    var buffered: [UInt8] = []

    public struct Oversized: Error, Equatable, CustomStringConvertible {
        public var length: Int

        public init(length: Int) {
            self.length = length
        }

        public var description: String { "a ttrpc frame of \(length) bytes is over the limit of \(TTRPCFrame.maximumPayload)" }
    }

    public init() {}

    /// Takes `bytes` and returns the frames now complete.
    public mutating func receive(_ bytes: some Collection<UInt8>) throws(Oversized) -> [TTRPCFrame] {
        buffered += bytes
        var frames: [TTRPCFrame] = []
        var start = 0
        while buffered.count - start >= TTRPCFrame.headerLength {
            func word(_ at: Int) -> UInt32 {
                UInt32(buffered[at]) << 24 | UInt32(buffered[at + 1]) << 16 | UInt32(buffered[at + 2]) << 8 | UInt32(buffered[at + 3])
            }
            let length = Int(word(start))
            guard length <= TTRPCFrame.maximumPayload else { throw Oversized(length: length) }
            guard buffered.count - start - TTRPCFrame.headerLength >= length else { break }
            let body = start + TTRPCFrame.headerLength
            var frame = TTRPCFrame(stream: word(start + 4), kind: .request, flags: buffered[start + 9], payload: Array(buffered[body ..< body + length]))
            frame.kind = buffered[start + 8]
            frames.append(frame)
            start = body + length
        }
        buffered.removeFirst(start)
        return frames
    }
}
