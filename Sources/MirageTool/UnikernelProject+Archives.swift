import Foundation
import MirageConfig

/// The tar archives `swift-mirage build` writes for key-value stores configured `--kv=tar`.
extension UnikernelProject {
    /// Writes the tar archives of `keyValueStore` devices configured `--kv=tar`, from their
    /// folders (the files crunch would compile in), with GNU tar in pax format.
    func writeArchives(record: ConfigurationRecord, log: (String) -> Void) throws(ToolError) {
        for archive in try configuredGenerator(target: record.target).archives() {
            let files = try crunchedFiles(in: archive.folder, of: archive.device, reading: false).map(\.path).sorted()
            // In a hidden folder of the wiring, which SwiftPM skips: beside it, it would be a file
            // SwiftPM warns of.
            let list = wiringDirectory + "/.build-\(record.target.rawValue)/\(archive.device.name).files"
            try write(files.map { $0 + "\n" }.joined(), to: list)
            let output = directory + "/" + archive.path
            try? FileManager.default.createDirectory(atPath: (output as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            let tar = try Shell.capture([
                "tar", "--create", "--format=pax", "--owner=0", "--group=0", "--numeric-owner",
                "--file", output, "--directory", directory + "/" + archive.folder,
                "--verbatim-files-from", "--files-from", list,
            ])
            guard tar.status == 0 else {
                throw ToolError("\(archive.device.location): error: cannot write the tar archive \(archive.path): \(tar.errorOutput)")
            }
            log("wrote \(archive.path) (\(files.count) files) for key-value store '\(archive.device.name)'")
        }
    }
}
