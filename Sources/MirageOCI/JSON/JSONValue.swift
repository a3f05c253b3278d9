/// A JSON value (RFC 8259) as `mirage-runc` reads and rewrites a bundle's `config.json`: objects
/// keep their members' order and numbers keep their text, so that what the runtime does not
/// change is written back as it was.
public enum JSONValue: Equatable, Sendable {
    case null
    case bool(Bool)
    /// The number's text as it appeared (RFC 8259 section 6): no precision lost either way.
    case number(String)
    case string(String)
    case array([JSONValue])
    /// Members in their order; a repeated name keeps its first value (section 4 leaves it open).
    case object([(key: String, value: JSONValue)])

    public static func == (left: JSONValue, right: JSONValue) -> Bool {
        switch (left, right) {
        case (.null, .null): true
        case let (.bool(a), .bool(b)): a == b
        case let (.number(a), .number(b)): a == b
        case let (.string(a), .string(b)): a == b
        case let (.array(a), .array(b)): a == b
        case let (.object(a), .object(b)): a.count == b.count && zip(a, b).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        default: false
        }
    }

    /// An integer as a number.
    public static func integer(_ value: Int) -> JSONValue { .number(String(value)) }

    /// The member `key` of an object; nil for other values and missing members.
    public subscript(key: String) -> JSONValue? {
        get {
            guard case let .object(members) = self else { return nil }
            return members.first { $0.key == key }?.value
        }
        set {
            guard case var .object(members) = self else { return }
            if let index = members.firstIndex(where: { $0.key == key }) {
                if let newValue { members[index].value = newValue } else { members.remove(at: index) }
            } else if let newValue {
                members.append((key, newValue))
            }
            self = .object(members)
        }
    }

    public var stringValue: String? {
        if case let .string(value) = self { value } else { nil }
    }

    public var arrayValue: [JSONValue]? {
        if case let .array(value) = self { value } else { nil }
    }

    public var objectValue: [(key: String, value: JSONValue)]? {
        if case let .object(value) = self { value } else { nil }
    }

    /// A number without fraction or exponent that fits an `Int`.
    public var intValue: Int? {
        if case let .number(text) = self { Int(text) } else { nil }
    }

    /// An array of strings; nil when any element is not one.
    public var stringArray: [String]? {
        guard let elements = arrayValue else { return nil }
        var result: [String] = []
        for element in elements {
            guard let string = element.stringValue else { return nil }
            result.append(string)
        }
        return result
    }

    /// An object of strings (`annotations`); members of other types are left out.
    public var stringMembers: [String: String] {
        var result: [String: String] = [:]
        for (key, value) in objectValue ?? [] where result[key] == nil {
            if let string = value.stringValue { result[key] = string }
        }
        return result
    }
}
