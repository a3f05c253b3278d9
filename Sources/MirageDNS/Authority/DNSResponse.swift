/// A response with how many of its first additional records must not be left out to fit (glue
/// for in-domain name servers, RFC 9471 section 3): what
/// ``DNSMessage/encoded(maximumSize:requiredAdditionalCount:)`` needs.
public struct DNSResponse: Hashable, Sendable {
    public var message: DNSMessage
    public var requiredAdditionalCount: Int

    public init(message: DNSMessage, requiredAdditionalCount: Int = 0) {
        self.message = message
        self.requiredAdditionalCount = requiredAdditionalCount
    }
}
