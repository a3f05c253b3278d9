import Foundation
import MirageFuzzTargets
import Testing

/// Every committed fuzz input, seeds (`Fuzz/Corpus/TARGET`) and regressions
/// (`Fuzz/Regressions/TARGET`, inputs that once crashed a target), replayed through its target
/// in the ordinary test run, without the sanitizers: a fixed crash stays fixed.
@Suite("Fuzz corpus and regressions, replayed")
struct FuzzCorpusTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fuzz")

    static func inputs(of target: String, in folder: String) -> [URL] {
        let directory = root.appendingPathComponent(folder).appendingPathComponent(target)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.sorted().map { directory.appendingPathComponent($0) }
    }

    @Test("each target has seeds, and every seed and regression runs through it", arguments: FuzzTargets.all.map(\.name))
    func replay(target name: String) throws {
        let target = try #require(FuzzTargets.named(name))
        let seeds = Self.inputs(of: name, in: "Corpus")
        #expect(!seeds.isEmpty, "no seed corpus in Fuzz/Corpus/\(name)")
        for file in seeds + Self.inputs(of: name, in: "Regressions") {
            target(Array(try Data(contentsOf: file)))
        }
    }
}
