/// A read-only key-value store called `name` of the files in `directory` (relative to
/// config.swift; the name by default), whose kind `configure --kv=` picks (MirageOS's
/// `generic_kv_ro`): `crunch` (the default) compiles the files into the image; `tar` has
/// `swift-mirage build` write them to `dist/NAME.tar`, read at start from the block device
/// `--block:NAME=FILE` (that archive unless given), so the files can change without a rebuild.
public func keyValueStore(_ name: String, directory: String? = nil, file: String = #filePath, line: Int = #line) -> Device<KV> {
    Device(.keyValueStore, name: name, parameters: ["directory": directory ?? name], file: file, line: line)
}

/// How a `keyValueStore` device holds its files (`configure --kv=`): compiled into the image, or
/// in a tar archive on a block device.
public enum KeyValueMode: String, CaseIterable, Codable, Sendable {
    case crunch
    case tar

    /// The configure-time key that picks the mode, known to every unikernel with a
    /// `keyValueStore` device.
    public static let key = "kv"
}

extension DeviceKind {
    /// ``keyValueStore(_:directory:file:line:)``: a crunch store, or with `--kv=tar` a tar store
    /// read through a block device.
    package static let keyValueStore = DeviceKind("kv", signature: KV.self, modules: [.kv], targets: [
        .unix: OnTarget { device, choices in
            guard choices.keyValue == .tar else { return .crunchStore(device) }
            let key = "block:\(device.name)"
            return DeviceImplementation(
                summary: "TarStore over FileBlockDevice, the archive --\(key)=FILE (default \(device.tarArchive)) of \(device.storeFolder)/",
                bootKeys: ["BootKey(\(swiftLiteral(key)), of: String.self, default: \(swiftLiteral(device.tarArchive)), form: \"FILE\", documentation: \(swiftLiteral("The tar archive holding key-value store '\(device.name)'.")), group: .device)"],
                connect: "try await TarStore.open { () throws(BlockError) in try FileBlockDevice.connect(path: arguments.value(\(swiftLiteral(key)), as: String.self), readOnly: true) }",
                errorType: "TarError",
                archive: (device.tarArchive, device.storeFolder))
        },
        .hvt: OnTarget { device, choices in
            guard choices.keyValue == .tar else { return .crunchStore(device) }
            return DeviceImplementation(
                summary: "TarStore over HVTBlockDevice, the tender's block device --block:\(device.name)=FILE (default \(device.tarArchive)) of \(device.storeFolder)/",
                connect: "try await TarStore.open { () throws(BlockError) in try HVTBlockDevice.connect(name: \(swiftLiteral(device.name))) }",
                errorType: "TarError",
                tenderDevice: TenderDevice(kind: .block, name: device.name),
                archive: (device.tarArchive, device.storeFolder))
        },
    ])
}

extension DeviceDescription {
    /// A tar store's archive, `dist/NAME.tar`, written by the build from the device's folder and
    /// read at start through a read-only block device.
    fileprivate var tarArchive: String { "dist/\(name).tar" }
}
