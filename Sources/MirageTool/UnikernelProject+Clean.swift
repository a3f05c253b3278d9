import Foundation
import MirageConfig

/// `swift-mirage clean`.
extension UnikernelProject {
    /// Removes what configure and build made: `mirage/` and `dist/`.
    /// - Returns: the paths removed.
    @discardableResult
    public func clean() throws(ToolError) -> [String] {
        var removed: [String] = []
        for path in [wiringDirectory, distDirectory] where FileManager.default.fileExists(atPath: path) {
            do { try FileManager.default.removeItem(atPath: path) } catch {
                throw ToolError("cannot remove \(path): \(error)")
            }
            removed.append(path)
        }
        return removed
    }
}
