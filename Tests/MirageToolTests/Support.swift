import Foundation
import MirageTool

/// The checkout this test file is in.
let repository = Repository(root: URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path)

/// The folder of a fixture unikernel.
func fixture(_ name: String) -> String {
    repository.root + "/Tests/MirageToolTests/Fixtures/" + name
}

/// Loads a manifest, returning the tool's error message when it fails.
func loadError(_ directory: String) -> String? {
    do {
        _ = try UnikernelProject(directory: directory, repository: repository).loadDescription()
        return nil
    } catch {
        return error.message
    }
}
