/// A netlink message being built (RFC 3549; `linux/netlink.h`): the 16-byte `nlmsghdr`, the
/// family's fixed header, then attributes (`nlattr`: length, type, payload, padded to 4 bytes),
/// in the host's byte order as the kernel reads them.
struct NetlinkMessage {
    static let request: UInt16 = 0x001 // NLM_F_REQUEST
    static let acknowledge: UInt16 = 0x004 // NLM_F_ACK
    static let exclusive: UInt16 = 0x200 // NLM_F_EXCL
    static let create: UInt16 = 0x400 // NLM_F_CREATE
    /// `NLA_F_NESTED`, which the kernel requires on some nested attributes.
    static let nested: UInt16 = 0x8000

    private(set) var bytes: [UInt8] = []

    /// A message of `type` with `flags` and the family's fixed `header`; the length and
    /// sequence number are filled in by ``finished(sequence:)``.
    init(type: UInt16, flags: UInt16, header: [UInt8]) {
        Self.append(UInt32(0), to: &bytes)
        Self.append(type, to: &bytes)
        Self.append(flags, to: &bytes)
        Self.append(UInt32(0), to: &bytes) // sequence
        Self.append(UInt32(0), to: &bytes) // port: the kernel's
        bytes += header
        pad()
    }

    static func append<Integer: FixedWidthInteger>(_ value: Integer, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value) { bytes += $0 }
    }

    /// The bytes of `values`, each in the host's byte order.
    static func fields(_ values: [UInt32]) -> [UInt8] {
        var result: [UInt8] = []
        for value in values { append(value, to: &result) }
        return result
    }

    private mutating func pad() {
        while bytes.count % 4 != 0 { bytes.append(0) }
    }

    private mutating func overwrite<Integer: FixedWidthInteger>(at offset: Int, with value: Integer) {
        withUnsafeBytes(of: value) { raw in
            for index in raw.indices { bytes[offset + index] = raw[index] }
        }
    }

    /// Adds the attribute `type` with `payload`.
    mutating func attribute(_ type: UInt16, _ payload: [UInt8]) {
        Self.append(UInt16(4 + payload.count), to: &bytes)
        Self.append(type, to: &bytes)
        bytes += payload
        pad()
    }

    /// Adds the attribute `type` with a zero-terminated string.
    mutating func attribute(_ type: UInt16, string: String) {
        attribute(type, Array(string.utf8) + [0])
    }

    /// Adds the attribute `type` holding the attributes `body` adds.
    mutating func nest(_ type: UInt16, _ body: (inout NetlinkMessage) -> Void) {
        let start = bytes.count
        Self.append(UInt16(0), to: &bytes)
        Self.append(type, to: &bytes)
        body(&self)
        overwrite(at: start, with: UInt16(bytes.count - start))
    }

    /// The message with its length and `sequence` set.
    func finished(sequence: UInt32) -> [UInt8] {
        var message = self
        message.overwrite(at: 0, with: UInt32(bytes.count))
        message.overwrite(at: 8, with: sequence)
        return message.bytes
    }
}
