/// An entry of the question section (RFC 1035 section 4.1.2): the name, type and class asked for.
public struct DNSQuestion: Hashable, Sendable, CustomStringConvertible {
    public var name: DNSName
    public var type: DNSRecordType
    public var recordClass: DNSClass

    public init(name: DNSName, type: DNSRecordType, recordClass: DNSClass = .in) {
        self.name = name
        self.type = type
        self.recordClass = recordClass
    }

    /// `name class type`, as dig shows a question.
    public var description: String {
        name.description + " " + recordClass.description + " " + type.description
    }
}

/// The sections of a message (RFC 1035 section 4.1), for errors that say where.
public enum DNSSection: Hashable, Sendable, CustomStringConvertible {
    case question, answer, authority, additional

    public var description: String {
        switch self {
        case .question: "question"
        case .answer: "answer"
        case .authority: "authority"
        case .additional: "additional"
        }
    }
}
