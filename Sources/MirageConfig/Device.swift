/// A device in the manifest, typed by the ``Signature`` it satisfies.
///
/// Made by the functions of each kind's file in `DeviceKinds/` (``block(_:image:size:file:line:)``,
/// ``defaultConsole(file:line:)``...), and passed to a ``Main`` that needs that signature.
public struct Device<S: Signature> {
    let description: DeviceDescription
    /// Devices this one is built on, dependencies first.
    let dependencies: [DeviceDescription]

    init(_ kind: DeviceKind, name: String, parameters: [String: String] = [:], dependsOn: [DeviceDescription] = [], file: String, line: Int) {
        description = DeviceDescription(
            id: "\(kind.name):\(name)", kind: kind.name, signature: S.name, name: name, parameters: parameters,
            dependencies: dependsOn.map(\.id), location: SourceLocation(file: file, line: line))
        dependencies = dependsOn
    }
}
