import Foundation
import MirageConfig
import MirageTool

extension FuzzTargets {
    /// The description a manifest's `config.swift` prints (JSON), as the tool reads it: decoded,
    /// validated, and when valid wired for every target (main.swift, tender devices, archives).
    static let manifest = FuzzTarget("manifest", "UnikernelDescription JSON, ManifestValidator, WiringGenerator") { bytes in
        guard let description = try? JSONDecoder().decode(UnikernelDescription.self, from: Data(bytes)) else { return }
        guard ManifestValidator.diagnose(description).isEmpty else { return }
        for target in Target.allCases {
            let wiring = WiringGenerator(description: description, target: target)
            _ = try? wiring.mainSwift()
            _ = try? wiring.tenderDevices()
            _ = try? wiring.tapNetworks()
            _ = try? wiring.tenderBlockDefaults()
            _ = GraphPrinter.text(wiring)
        }
    }
}
