#if canImport(Glibc)
import Glibc
#endif
import CLinux

/// Volumes as block devices: a volume mounted or placed at ``blockVolumeFolder``/NAME in the
/// container supplies the block device NAME of the image's manifest, in place of the file packaged
/// in the image. In Kubernetes that is a `hostPath` volume of type `File` (or a claim's file with
/// `subPath`) in `volumeMounts`, or a claim with `volumeMode: Block` in `volumeDevices`; with
/// `ctr run`, `--mount type=bind,src=FILE,dst=/unikernel/block/NAME,options=rbind:rw`.
extension UnikernelBundle {
    /// Where volumes for block devices go in the container.
    public static let blockVolumeFolder = "/unikernel/block/"

    /// What a path on the host is.
    public enum HostFileKind: Equatable, Sendable {
        case regularFile
        case blockDevice(major: Int, minor: Int)
        case characterDevice(major: Int, minor: Int)
        case directory
        case other
        case missing
    }

    /// The block devices that volumes supply: the file each is at in the container, by name, and
    /// the host's block devices bind-mounted there, which the container must be allowed to open.
    public struct BlockVolumes: Equatable, Sendable {
        public var files: [String: String]
        public var mountedDevices: [Device]

        public init(files: [String: String] = [:], mountedDevices: [Device] = []) {
            self.files = files
            self.mountedDevices = mountedDevices
        }
    }

    /// Finds the mounts and devices under ``blockVolumeFolder``; each must name a block device of
    /// the image's manifest and be a regular file or a block device on the host (`hostFile`).
    public func blockVolumes(hostFile: (String) -> HostFileKind = UnikernelBundle.hostFileKind) throws(RuntimeError) -> BlockVolumes {
        var volumes = BlockVolumes()
        for mount in configuration["mounts"]?.arrayValue ?? [] {
            guard let given = mount["destination"]?.stringValue, let (name, destination) = try blockVolume(at: given) else { continue }
            guard volumes.files[name] == nil else { throw RuntimeError("block device \(name) is given two volumes") }
            let source = mount["source"]?.stringValue ?? ""
            switch hostFile(source) {
            case .regularFile:
                break
            case let .blockDevice(major, minor):
                volumes.mountedDevices.append(Device(path: destination, type: "b", major: major, minor: minor))
            case .directory:
                throw RuntimeError("the volume for block device \(name) (\(source)) is a directory: give a file (a hostPath of type File, a subPath) or a raw block volume")
            case .characterDevice, .other, .missing:
                throw RuntimeError("the volume for block device \(name) (\(source)) is neither a file nor a block device on this host")
            }
            volumes.files[name] = destination
        }
        for device in configuration["linux"]?["devices"]?.arrayValue ?? [] {
            guard let given = device["path"]?.stringValue, let (name, path) = try blockVolume(at: given) else { continue }
            guard device["type"]?.stringValue == "b" else {
                throw RuntimeError("the device at \(path) for block device \(name) is not a block device")
            }
            guard volumes.files[name] == nil else { throw RuntimeError("block device \(name) is given two volumes") }
            volumes.files[name] = path
        }
        return volumes
    }

    /// The block device a path under ``blockVolumeFolder`` is for, and the path without trailing
    /// slashes; nil for other paths.
    func blockVolume(at path: String) throws(RuntimeError) -> (name: String, path: String)? {
        var path = path
        while path.count > 1, path.hasSuffix("/") { path.removeLast() }
        guard path.hasPrefix(Self.blockVolumeFolder) else { return nil }
        let name = String(path.dropFirst(Self.blockVolumeFolder.count))
        guard metadata.blocks[name] != nil else {
            let named = metadata.blocks.isEmpty ? "none" : metadata.blocks.keys.sorted().joined(separator: ", ")
            throw RuntimeError("a volume at \(path) is for block device \"\(name)\", which the image's manifest does not name (it names: \(named))")
        }
        return (name, path)
    }

    /// `stat` of a host path.
    public static func hostFileKind(_ path: String) -> HostFileKind {
        var status = stat()
        guard stat(path, &status) == 0 else { return .missing }
        let mode = status.st_mode
        let numbers = Device.numbers(status.st_rdev)
        if mirage_is_regular_file(mode) != 0 { return .regularFile }
        if mirage_is_directory(mode) != 0 { return .directory }
        if mirage_is_block_device(mode) != 0 { return .blockDevice(major: numbers.major, minor: numbers.minor) }
        if mirage_is_character_device(mode) != 0 { return .characterDevice(major: numbers.major, minor: numbers.minor) }
        return .other
    }
}
