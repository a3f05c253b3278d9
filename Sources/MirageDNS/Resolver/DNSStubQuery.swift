import MirageCore

/// One question sent to one recursive resolver, and the checks its answer must pass
/// (RFC 5452 section 9.1: the identifier, the question and the server it came from; RFC 1035
/// section 7.3).
///
/// Pure: the shell draws ``id`` and the source port at random (RFC 5452 section 9.2), sends
/// ``encoded(udpPayloadSize:)`` and gives every datagram that comes back to ``check(_:from:)``,
/// which tells an answer from a truncated one (to be asked again over TCP, RFC 7766 section 5)
/// and from a forgery or a stray, which is ignored while the real answer may still come.
public struct DNSStubQuery: Hashable, Sendable {
    public let question: DNSQuestion
    public let id: UInt16
    /// The resolver asked: an answer must come from this address and port.
    public let server: Endpoint

    public init(question: DNSQuestion, id: UInt16, server: Endpoint) {
        self.question = question
        self.id = id
        self.server = server
    }

    /// The query: the question with RD set (a stub asks a recursive resolver, RFC 1034 section
    /// 5.3.1) and an OPT record offering `udpPayloadSize` bytes over UDP (RFC 6891 section
    /// 6.2.5), or none when `udpPayloadSize` is nil.
    public func encoded(udpPayloadSize: UInt16?) -> [UInt8] {
        let message = DNSMessage(id: id, recursionDesired: true, questions: [question],
                                 edns: udpPayloadSize.map { DNSEDNS(udpPayloadSize: $0) })
        return message.encoded()
    }

    /// What a message that came back is.
    public enum Verdict: Hashable, Sendable {
        /// The answer to this query.
        case answer(DNSMessage)
        /// The answer, cut short (TC): ask again over TCP.
        case truncated
        /// Not an answer to this query: wait on for one.
        case ignored(DNSResponseMismatch)
    }

    /// Checks `bytes`, which came from `source` (nil over TCP, where the connection names the
    /// server), against this query.
    public func check(_ bytes: some Collection<UInt8>, from source: Endpoint?) -> Verdict {
        if let source, source != server { return .ignored(.wrongSource(source)) }
        guard bytes.count >= 12 else { return .ignored(.malformed(.truncatedHeader)) }
        // The identifier first: a datagram with another one is not ours, however it is formed.
        let start = bytes.startIndex
        let receivedID = UInt16(bytes[start]) << 8 | UInt16(bytes[bytes.index(after: start)])
        guard receivedID == id else { return .ignored(.wrongID(receivedID)) }
        let message: DNSMessage
        do {
            message = try DNSMessage.decode(bytes)
        } catch {
            return .ignored(.malformed(error))
        }
        guard message.isResponse, message.opcode == .query else { return .ignored(.notAResponse) }
        // RFC 5452 section 4.2: the question must come back as it was asked. A truncated
        // answer may carry it or not; a FORMERR may leave it out (RFC 6891 section 7).
        if message.questions.isEmpty, message.isTruncated || message.responseCode == .formatError {
            return message.isTruncated ? .truncated : .answer(message)
        }
        guard message.questions.count == 1, message.questions[0] == question,
              message.questions[0].recordClass == question.recordClass else {
            return .ignored(.wrongQuestion)
        }
        return message.isTruncated ? .truncated : .answer(message)
    }
}

/// Why a message that came back was not taken as the answer to a query.
public enum DNSResponseMismatch: Hashable, Sendable, CustomStringConvertible {
    /// It came from another address or port than the server asked.
    case wrongSource(Endpoint)
    /// Its identifier is another query's.
    case wrongID(UInt16)
    /// It does not decode.
    case malformed(DNSWireError)
    /// QR is clear or the opcode is not QUERY.
    case notAResponse
    /// Its question is not the one asked.
    case wrongQuestion

    public var description: String {
        switch self {
        case let .wrongSource(source): "from \(source), not the server asked"
        case let .wrongID(id): "identifier \(id) is not the query's"
        case let .malformed(error): "malformed: \(error)"
        case .notAResponse: "not a response to a query"
        case .wrongQuestion: "its question is not the one asked"
        }
    }
}
