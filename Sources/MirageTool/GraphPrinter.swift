import MirageConfig

/// Prints a unikernel's device graph for `swift-mirage describe`.
public enum GraphPrinter {
    /// The graph as text: the unikernel, its application, keys and devices.
    public static func text(_ description: UnikernelDescription) -> String {
        var text = "unikernel \(description.name)\n"
        let deviceList = description.main.devices.joined(separator: ", ")
        text += "  main: \(description.main.typeName)(\(deviceList))\n"
        if !description.keys.isEmpty {
            text += "  keys:\n"
            for key in description.keys {
                let value = key.defaultValue.map { " = \(swiftLiteral($0))" } ?? " (required)"
                text += "    --\(key.name): \(key.type)\(value), \(key.stage.rawValue) time. \(key.documentation)\n"
            }
        }
        if !description.devices.isEmpty {
            text += "  devices:\n"
            for device in description.devices {
                let parameters = device.parameters.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
                let dependencies = device.dependencies.isEmpty ? "" : " <- " + device.dependencies.joined(separator: ", ")
                text += "    \(device.id): \(device.signature)" + (parameters.isEmpty ? "" : " (\(parameters.joined(separator: ", ")))") + dependencies + "\n"
            }
        }
        return text
    }

    /// The graph in Graphviz's dot language: devices point at what uses them.
    public static func dot(_ description: UnikernelDescription) -> String {
        var text = "digraph \(swiftLiteral(description.name)) {\n  rankdir=BT;\n"
        text += "  \"main\" [label=\(swiftLiteral(description.main.typeName)), shape=box, style=bold];\n"
        for device in description.devices {
            text += "  \(swiftLiteral(device.id)) [label=\(swiftLiteral("\(device.id)\n\(device.signature)"))];\n"
            for dependency in device.dependencies {
                text += "  \(swiftLiteral(dependency)) -> \(swiftLiteral(device.id));\n"
            }
        }
        for id in description.main.devices {
            text += "  \(swiftLiteral(id)) -> \"main\";\n"
        }
        return text + "}\n"
    }
}
