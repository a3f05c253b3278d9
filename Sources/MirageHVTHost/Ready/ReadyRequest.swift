/// What `mirage-hvt --via=SOCKET` asks of the process that keeps a VM ready (``ReadyServer``), in
/// one `SOCK_SEQPACKET` message: the tender's arguments (as the client got them, less `--via`) and,
/// when the client was asked for a boot trace, the instant its own code began.
///
/// The message carries four descriptors beside its bytes (`SCM_RIGHTS`): the client's standard
/// input, output and error, which become the tender's, and its working directory, from which the
/// tender opens the image and the block files, as the client would have.
///
/// Bytes: a version (1); a flags byte (bit 0: a boot trace); the trace's first instant
/// (CLOCK_MONOTONIC nanoseconds, little-endian, 0 without a trace); then each argument followed
/// by a zero byte. The reply is one message of four bytes: the tender's exit status, little-endian.
public struct ReadyRequest: Equatable {
    public var arguments: [String]
    /// The instant the client's code began, when it was asked for a boot trace.
    public var traceEntered: UInt64?

    /// The largest request: 64 KiB of arguments is more than any command line this tender takes
    /// (a boot argument's length is bounded far below it by the boot information page).
    public static let maximumSize = 64 << 10
    /// The descriptors a request carries: standard input, output, error and the working directory.
    public static let descriptorCount = 4
    static let version: UInt8 = 1
    static let headerSize = 10

    public init(arguments: [String], traceEntered: UInt64? = nil) {
        self.arguments = arguments
        self.traceEntered = traceEntered
    }

    /// The message's bytes.
    public var encoded: [UInt8] {
        var bytes: [UInt8] = [Self.version, traceEntered == nil ? 0 : 1]
        let instant = traceEntered ?? 0
        for shift in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: instant >> UInt64(shift))) }
        for argument in arguments {
            bytes += argument.utf8
            bytes.append(0)
        }
        return bytes
    }

    /// Decodes a received message.
    /// - Throws: a ``TenderError`` (``TenderExitStatus/usage``) naming what is wrong: another
    ///   version or flags, an instant without the trace flag, a message cut short or too large,
    ///   or a last argument without its terminating zero.
    public init(decoding bytes: UnsafeRawBufferPointer) throws(TenderError) {
        func refuse(_ reason: String) -> TenderError {
            TenderError("a request to the ready VM: \(reason)", status: TenderExitStatus.usage)
        }
        guard bytes.count <= Self.maximumSize else { throw refuse("larger than \(Self.maximumSize) bytes") }
        guard bytes.count >= Self.headerSize else { throw refuse("\(bytes.count) bytes, shorter than its header") }
        guard bytes[0] == Self.version else { throw refuse("version \(bytes[0]), not \(Self.version) (a client and server of different tenders)") }
        guard bytes[1] & ~1 == 0 else { throw refuse("unknown flags 0x\(String(bytes[1], radix: 16))") }
        var instant: UInt64 = 0
        for index in 0..<8 { instant |= UInt64(bytes[2 + index]) << UInt64(8 * index) }
        guard bytes[1] & 1 != 0 || instant == 0 else { throw refuse("a trace's instant without the trace flag") }
        traceEntered = bytes[1] & 1 != 0 ? instant : nil
        var arguments: [String] = []
        var start = Self.headerSize
        for index in Self.headerSize..<bytes.count where bytes[index] == 0 {
            arguments.append(String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self))
            start = index + 1
        }
        guard start == bytes.count else { throw refuse("its last argument does not end with a zero byte") }
        self.arguments = arguments
    }

    /// Decodes `bytes`, as ``init(decoding:)-(UnsafeRawBufferPointer)`` does.
    public init(decoding bytes: [UInt8]) throws(TenderError) {
        let decoded: Result<ReadyRequest, TenderError> = bytes.withUnsafeBytes { raw in
            do throws(TenderError) { return .success(try ReadyRequest(decoding: raw)) } catch { return .failure(error) }
        }
        self = try decoded.get()
    }
}
