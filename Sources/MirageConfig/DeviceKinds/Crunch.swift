/// A read-only key-value store called `name` of the files in `directory` (relative to
/// config.swift; the name by default), compiled into the image at configure time (MirageOS's
/// `crunch`): the same on every target.
public func crunch(_ name: String, directory: String? = nil, file: String = #filePath, line: Int = #line) -> Device<KV> {
    Device(.crunch, name: name, parameters: ["directory": directory ?? name], file: file, line: line)
}

extension DeviceKind {
    /// ``crunch(_:directory:file:line:)``: a `CrunchStore` of files compiled in, on every target.
    package static let crunch = DeviceKind("crunch", signature: KV.self, modules: [.kv], targets: [
        .unix: OnTarget { device, _ in .crunchStore(device) },
        .hvt: OnTarget { device, _ in .crunchStore(device) },
    ])
}

extension DeviceImplementation {
    /// A store of the files in the device's folder, compiled in: `crunched.swift` beside the
    /// wiring holds them. What `crunch` devices are, and `keyValueStore` devices by default.
    static func crunchStore(_ device: DeviceDescription) -> DeviceImplementation {
        DeviceImplementation(
            summary: "CrunchStore of the files in \(device.storeFolder)/, compiled in",
            connect: "CrunchStore(files: \(device.crunchedFilesConstant))",
            compiledFolder: device.storeFolder)
    }
}

extension DeviceDescription {
    /// The folder of a key-value store's files, relative to the unikernel's: the `directory`
    /// that ``crunch(_:directory:file:line:)`` and ``keyValueStore(_:directory:file:line:)`` record.
    var storeFolder: String { parameters["directory"] ?? name }

    /// The constant in `crunched.swift` holding a crunch store's files: `kvHtdocsFiles`.
    package var crunchedFilesConstant: String { wiringVariable + "Files" }
}
