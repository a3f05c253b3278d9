/// What a device is, declared once: its name in the manifest's description, the signature its
/// devices satisfy, and how each target implements them (boot arguments, wiring, and what the
/// tool prepares). The manifest functions, the validator and the wiring generator all read it.
///
/// Each kind is declared in its own file in `DeviceKinds/`, beside the manifest function that
/// makes its devices (`Block.swift` holds `block(_:image:size:file:line:)` and
/// ``DeviceKind/block``), and listed in ``all``. To add a kind, write its file (with its signature
/// when it is a new one) and add it to ``all``: the validator, the wiring, `run` and `describe`
/// follow.
package struct DeviceKind: Sendable {
    /// The name in descriptions and device ids: `block`, `kv`, `monotonic-clock`.
    package let name: String
    /// The name of the signature its devices satisfy (``Signature/name``), such as `BlockDevice`.
    package let signature: String
    /// The library modules the wiring imports for a device of this kind, on every target.
    package let modules: [MirageModule]
    /// How each target that has the kind provides it.
    let targets: [Target: OnTarget]

    /// How a target provides devices of a kind.
    package struct OnTarget: Sendable {
        /// The target's modules the wiring imports (after the platform's) for a device of this kind.
        let modules: [MirageModule]
        /// The implementation of one device, given what `configure` chose; throws when the
        /// choices rule it out.
        let implement: @Sendable (DeviceDescription, ConfigureChoices) throws(DeviceUnavailable) -> DeviceImplementation

        init(modules: [MirageModule] = [],
             _ implement: @escaping @Sendable (DeviceDescription, ConfigureChoices) throws(DeviceUnavailable) -> DeviceImplementation) {
            self.modules = modules
            self.implement = implement
        }
    }

    init<S: Signature>(_ name: String, signature: S.Type, modules: [MirageModule] = [], targets: [Target: OnTarget]) {
        self.name = name
        self.signature = S.name
        self.modules = modules
        self.targets = targets
    }

    /// A kind the platform object of every target provides itself, as `platform.PROPERTY`.
    /// - Parameter summaries: what implements it on each target, for `describe`.
    static func providedByPlatform<S: Signature>(_ name: String, signature: S.Type, property: String,
                                                 summaries: [Target: String]) -> DeviceKind {
        DeviceKind(name, signature: signature, targets: summaries.mapValues { summary in
            OnTarget { _, _ in DeviceImplementation(summary: summary, connect: "platform." + property) }
        })
    }

    /// Every device kind there is.
    package static let all: [DeviceKind] = [
        .block, .crunch, .keyValueStore, .console, .entropy, .monotonicClock, .wallClock, .network, .stack, .tls, .tlsClient,
        .resolver, .writableKeyValueStore,
    ]

    /// The kind called `name` in a description.
    package static func named(_ name: String) -> DeviceKind? {
        all.first { $0.name == name }
    }

    /// The target's own modules the wiring imports for a device of this kind: none when the
    /// target does not provide it.
    package func modules(on target: Target) -> [MirageModule] {
        targets[target]?.modules ?? []
    }

    /// How `target` provides `device`, a device of this kind, given what `configure` chose.
    package func implementation(of device: DeviceDescription, on target: Target,
                                choices: ConfigureChoices) throws(DeviceUnavailable) -> DeviceImplementation {
        guard let onTarget = targets[target] else { throw .notOnTarget(device, target) }
        return try onTarget.implement(device, choices)
    }

    /// How `target` provides `device`, of whichever kind it is.
    /// - Throws: ``DeviceUnavailable`` when its kind is unknown or the target has none.
    package static func implementation(of device: DeviceDescription, on target: Target,
                                       choices: ConfigureChoices) throws(DeviceUnavailable) -> DeviceImplementation {
        guard let kind = named(device.kind) else { throw .notOnTarget(device, target) }
        return try kind.implementation(of: device, on: target, choices: choices)
    }
}
