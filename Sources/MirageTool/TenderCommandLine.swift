import Foundation
import MirageConfig

/// `swift-mirage run -t hvt`: the mirage-hvt tender's command line that runs the image.
extension UnikernelProject {
    /// The tender's command line for an hvt image: tender options (`--mem=`, `--block:NAME=FILE`,
    /// `--net:NAME=TAP`) taken from `bootArguments` or from the manifest's defaults (a block
    /// device's image, tap0 for a network device), then `--`, the image and the guest's own boot
    /// arguments.
    func tenderCommandLine(image: String, bootArguments: [String], log: (String) -> Void) throws(ToolError) -> [String] {
        let tender = try repository.tender(log: log)
        var tenderOptions: [String] = []
        var guestArguments: [String] = []
        for argument in bootArguments {
            let isTenderOption = argument.hasPrefix("--mem=") || argument.hasPrefix("--block:") || argument.hasPrefix("--net:")
            if isTenderOption { tenderOptions.append(argument) } else { guestArguments.append(argument) }
        }
        let generator = try configuredGenerator(target: .hvt)
        for (name, path) in try generator.tenderBlockDefaults() {
            let option = "--block:\(name)="
            if !tenderOptions.contains(where: { $0.hasPrefix(option) }) { tenderOptions.append(option + path) }
        }
        for name in try generator.tapNetworks() {
            let option = "--net:\(name)="
            if !tenderOptions.contains(where: { $0.hasPrefix(option) }) {
                tenderOptions.append(option + Self.defaultTap)
            }
        }
        return [tender] + tenderOptions + ["--", image] + guestArguments
    }
}
