import MirageConfig

/// Prints a unikernel's device graph for `swift-mirage describe`: each device with its signature
/// and the implementation the target gives it, as MirageOS's `mirage describe` does.
public enum GraphPrinter {
    /// The graph as text: the unikernel, its target, its application, keys and devices.
    public static func text(_ wiring: WiringGenerator) -> String {
        let description = wiring.description
        var text = "unikernel \(description.name)\n"
        text += "  target: \(targetText(wiring))\n"
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
                text += "      implementation: \(wiring.implementationSummary(of: device))\n"
            }
        }
        return text
    }

    /// The graph in Graphviz's dot language: devices point at what uses them, and each device's
    /// implementation hangs below it.
    public static func dot(_ wiring: WiringGenerator) -> String {
        let description = wiring.description
        var text = "digraph \(swiftLiteral(description.name)) {\n  rankdir=BT;\n"
        text += "  label=\(swiftLiteral("target: " + targetText(wiring)));\n"
        text += "  \"main\" [label=\(swiftLiteral(description.main.typeName)), shape=box, style=bold];\n"
        for device in description.devices {
            text += "  \(swiftLiteral(device.id)) [label=\(swiftLiteral("\(device.id)\n\(device.signature)"))];\n"
            let implementation = swiftLiteral(device.id + " implementation")
            text += "  \(implementation) [label=\(swiftLiteral(wiring.implementationSummary(of: device))), shape=note];\n"
            text += "  \(implementation) -> \(swiftLiteral(device.id)) [style=dashed, arrowhead=none];\n"
            for dependency in device.dependencies {
                text += "  \(swiftLiteral(dependency)) -> \(swiftLiteral(device.id));\n"
            }
        }
        for id in description.main.devices {
            text += "  \(swiftLiteral(id)) -> \"main\";\n"
        }
        return text + "}\n"
    }

    /// The target and what `configure` chose for it, as on its command line: `unix --net=direct --kv=tar`.
    static func targetText(_ wiring: WiringGenerator) -> String {
        let network = wiring.network.map { ["--net=\($0.rawValue)"] } ?? []
        let values = wiring.configureValues.sorted { $0.key < $1.key }.map { "--\($0.key)=\($0.value)" }
        return ([wiring.target.rawValue] + network + values).joined(separator: " ")
    }
}
