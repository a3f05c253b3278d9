import Foundation
import MirageTool
import Testing

/// Compares generated wiring with the files in Fixtures/golden; `UPDATE_GOLDEN=1 swift test`
/// rewrites them after an intended change (review the diff).
@Suite("Generated wiring", .serialized)
struct WiringTests {
    static let cases: [(unikernel: String, target: Target, configure: [String])] = [
        ("Examples/hello", .unix, []),
        ("Examples/block", .unix, []),
        ("Examples/hello", .hvt, []),
        ("Examples/block", .hvt, []),
        ("Tests/MirageToolTests/Fixtures/keys", .unix, ["--count=7"]),
    ]

    @Test("main.swift is the golden file for each example and target", arguments: 0..<cases.count)
    func goldenMain(index: Int) throws {
        let (unikernel, target, configure) = Self.cases[index]
        let project = UnikernelProject(directory: repository.root + "/" + unikernel, repository: repository)
        let description = try project.loadDescription()
        let values = try UnikernelProject.parseConfigureValues(configure, for: description)
        let generated = try WiringGenerator(description: description, target: target, configureValues: values).mainSwift()
        let golden = fixture("golden/\(description.name).\(target.rawValue).main.swift")
        if ProcessInfo.processInfo.environment["UPDATE_GOLDEN"] == "1" {
            try generated.write(toFile: golden, atomically: true, encoding: .utf8)
        }
        #expect(generated == (try String(contentsOfFile: golden, encoding: .utf8)))
    }

    @Test("an hvt image lists the devices the tender must attach")
    func tenderDevices() throws {
        let description = try UnikernelProject(directory: repository.root + "/Examples/block", repository: repository).loadDescription()
        #expect(try WiringGenerator(description: description, target: .hvt).tenderDevices() == ["block:storage"])
        #expect(try WiringGenerator(description: description, target: .unix).tenderDevices() == [])
    }

    @Test("the hvt build package compiles the unikernel in Embedded Swift")
    func hvtPackage() throws {
        let description = try UnikernelProject(directory: repository.root + "/Examples/hello", repository: repository).loadDescription()
        let package = WiringGenerator(description: description, target: .hvt).packageSwift(repositoryPath: "../../..", repositoryIdentity: "main")
        #expect(package.contains(#".product(name: "MirageHVT", package: "main")"#))
        #expect(package.contains(#".enableExperimentalFeature("Embedded")"#))
    }

    @Test("the build package depends on the checkout by relative path and builds main.swift with the app")
    func packageSwift() throws {
        let description = try UnikernelProject(directory: repository.root + "/Examples/hello", repository: repository).loadDescription()
        let package = WiringGenerator(description: description, target: .unix).packageSwift(repositoryPath: "../../..", repositoryIdentity: "swift-mirage")
        #expect(package.contains(#"dependencies: [.package(path: "../../..")]"#))
        #expect(package.contains(#".product(name: "MirageUnix", package: "swift-mirage")"#))
        #expect(package.contains(#"sources: ["main.swift", "app"]"#))
        #expect(package.hasPrefix("// swift-tools-version: 6.1\n"))
    }
}
