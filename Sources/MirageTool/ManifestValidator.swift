import MirageConfig

/// Checks a description for mistakes the Swift compiler cannot see, each reported at its line in
/// `config.swift`.
public enum ManifestValidator {
    /// Names of keys the runtime or the devices already use.
    static let reservedKeyNames: Set<String> = ["help", "h", "logs", "l"]

    /// Every problem in `description`, in the order of the manifest; empty when it is valid.
    public static func diagnose(_ description: UnikernelDescription) -> [Diagnostic] {
        var problems: [Diagnostic] = []
        func report(_ location: SourceLocation, _ message: String) {
            problems.append(Diagnostic(location: SourceLocationText(file: location.file, line: location.line), message: message))
        }
        if description.version != UnikernelDescription.currentVersion {
            report(description.location, "the manifest's description is version \(description.version), this tool reads version \(UnikernelDescription.currentVersion)")
        }
        if !isLowercaseName(description.name) {
            report(description.location, "unikernel name '\(description.name)' must start with a lowercase letter and hold only lowercase letters, digits and '-'")
        }
        if !isSwiftTypeName(description.main.typeName) {
            report(description.main.location, "'\(description.main.typeName)' is not a Swift type name")
        }
        var devicesByID: [String: DeviceDescription] = [:]
        for device in description.devices {
            if let kind = DeviceKind.named(device.kind) {
                if device.signature != kind.signature {
                    report(device.location, "the \(device.kind) device '\(device.name)' has the signature \(device.signature), but \(device.kind) devices are \(kind.signature)")
                }
            } else {
                let known = DeviceKind.all.map(\.name).joined(separator: ", ")
                report(device.location, "unknown device kind '\(device.kind)' for device '\(device.name)' (known: \(known)); is MirageConfig newer than the tool?")
            }
            if !isLowercaseName(device.name) {
                report(device.location, "device name '\(device.name)' must start with a lowercase letter and hold only lowercase letters, digits and '-'")
            }
            if let earlier = devicesByID[device.id], earlier != device, earlier.parameters != device.parameters || earlier.signature != device.signature {
                report(device.location, "a different \(device.kind) device named '\(device.name)' is already declared at \(earlier.location)")
            }
            devicesByID[device.id] = devicesByID[device.id] ?? device
        }
        var keyLocations: [String: SourceLocation] = [:]
        for key in description.keys {
            if !isLowercaseName(key.name) {
                report(key.location, "key name '\(key.name)' must start with a lowercase letter and hold only lowercase letters, digits and '-'")
            } else if reservedKeyNames.contains(key.name) {
                report(key.location, "key name '\(key.name)' is reserved for the runtime (--help, -l/--logs)")
            }
            if let earlier = keyLocations[key.name] {
                report(key.location, "key '\(key.name)' is already declared at \(earlier)")
            }
            keyLocations[key.name] = keyLocations[key.name] ?? key.location
            if key.stage == .configure && key.defaultValue == nil {
                report(key.location, "configure-time key '\(key.name)' needs a default")
            }
        }
        // References: the description is JSON from another process, so every name it uses must
        // name something it declares (the wiring generator relies on it).
        for id in description.main.devices where devicesByID[id] == nil {
            report(description.main.location, "the unikernel uses device '\(id)', which is not declared")
        }
        for name in description.main.keys where keyLocations[name] == nil {
            report(description.main.location, "the unikernel uses key '\(name)', which is not declared")
        }
        for device in description.devices {
            for id in device.dependencies where devicesByID[id] == nil {
                report(device.location, "device '\(device.name)' depends on device '\(id)', which is not declared")
            }
            // A device switched by a key (`tlsServer(..., enabledBy:)`) needs a configure-time Bool.
            if let name = device.parameters["enabledBy"], !name.isEmpty,
               !description.keys.contains(where: { $0.name == name && $0.stage == .configure && $0.type == "Bool" }) {
                report(device.location, "device '\(device.name)' is enabled by key '\(name)', which must be a configure-time Bool key the unikernel declares")
            }
        }
        return problems
    }

    /// `hello`, `static-website`: what SwiftPM, file names and boot arguments all accept.
    static func isLowercaseName(_ name: String) -> Bool {
        guard let first = name.utf8.first, (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(first) else { return false }
        return name.utf8.allSatisfy { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "-")
        }
    }

    static func isSwiftTypeName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first.properties.isAlphabetic || first == "_" else { return false }
        return name.unicodeScalars.allSatisfy { $0.properties.isAlphabetic || $0.properties.numericType != nil || $0 == "_" }
    }
}
