/// `text` as a Swift string literal.
package func swiftLiteral(_ text: String) -> String {
    var literal = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": literal += "\\\""
        case "\\": literal += "\\\\"
        case "\n": literal += "\\n"
        case "\t": literal += "\\t"
        case "\r": literal += "\\r"
        default:
            if scalar.value < 0x20 { literal += "\\u{\(String(scalar.value, radix: 16))}" } else { literal.unicodeScalars.append(scalar) }
        }
    }
    return literal + "\""
}

/// `block-size` as a Swift label: `blockSize`.
package func lowerCamelCase(_ name: String) -> String {
    let parts = name.split(whereSeparator: { $0 == "-" || $0 == ":" || $0 == "_" })
    guard let first = parts.first else { return name }
    return String(first) + parts.dropFirst().map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
}

extension DeviceDescription {
    /// The device's variable in the wiring: `block:storage` is `blockStorage`.
    package var wiringVariable: String { lowerCamelCase(kind + "-" + name) }
}
