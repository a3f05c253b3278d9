/// A block device called `name`, given at boot as `--block:NAME=FILE` (on unix a file, on hvt
/// the tender's `--block:NAME=FILE`), as MirageOS's `block_of_file`.
///
/// - Parameters:
///   - image: the file used when the boot argument is absent, relative to where the unikernel
///     runs.
///   - size: the size `swift-mirage run` creates a missing image with.
public func block(_ name: String, image: String? = nil, size: ByteCount = .mebibytes(1),
                  file: String = #filePath, line: Int = #line) -> Device<Block> {
    var parameters = ["size": String(size.bytes)]
    if let image { parameters["image"] = image }
    return Device(.block, name: name, parameters: parameters, file: file, line: line)
}

/// A size in bytes, for block device images.
public struct ByteCount: Equatable, Sendable {
    public var bytes: UInt64
    public init(bytes: UInt64) { self.bytes = bytes }
    public static func kibibytes(_ count: UInt64) -> ByteCount { ByteCount(bytes: count << 10) }
    public static func mebibytes(_ count: UInt64) -> ByteCount { ByteCount(bytes: count << 20) }
    public static func gibibytes(_ count: UInt64) -> ByteCount { ByteCount(bytes: count << 30) }
}

extension DeviceKind {
    /// ``block(_:image:size:file:line:)``: a file on unix, the tender's block device on hvt.
    package static let block = DeviceKind("block", signature: Block.self, targets: [
        .unix: OnTarget { device, _ in
            let key = "block:\(device.name)"
            let defaultArgument = device.blockImage.map { ", default: \(swiftLiteral($0.path))" } ?? ", required: true"
            return DeviceImplementation(
                summary: "FileBlockDevice over the file --\(key)=FILE" + device.blockImageNote,
                bootKeys: ["BootKey(\(swiftLiteral(key)), of: String.self\(defaultArgument), form: \"FILE\", documentation: \(swiftLiteral("The file backing block device '\(device.name)'.")), group: .device)"],
                connect: "try FileBlockDevice.connect(path: arguments.value(\(swiftLiteral(key)), as: String.self))",
                errorType: "BlockError",
                image: device.blockImage)
        },
        // The tender attaches the file (`mirage-hvt --block:NAME=FILE`); the image lists the
        // device in its `.mirage.devices` section so the tender can check the command line.
        .hvt: OnTarget { device, _ in
            DeviceImplementation(
                summary: "HVTBlockDevice over the tender's block device --block:\(device.name)=FILE" + device.blockImageNote,
                connect: "try HVTBlockDevice.connect(name: \(swiftLiteral(device.name)))",
                errorType: "BlockError",
                image: device.blockImage,
                tenderDevice: TenderDevice(kind: .block, name: device.name))
        },
    ])
}

extension DeviceDescription {
    /// A block device's default image and the size `run` creates it with: the parameters
    /// ``block(_:image:size:file:line:)`` records.
    fileprivate var blockImage: (path: String, bytes: UInt64)? {
        parameters["image"].map { ($0, UInt64(parameters["size"] ?? "") ?? 1 << 20) }
    }

    /// ` (default IMAGE)`, or ` (required)` when the block device has no default image.
    fileprivate var blockImageNote: String {
        blockImage.map { " (default \($0.path))" } ?? " (required)"
    }
}
