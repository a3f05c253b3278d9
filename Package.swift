// swift-tools-version: 6.1
//
// swift-mirage: a library operating system in Swift.
//
// Two ways to build this one manifest (see ../shared/PLATFORM-NOTES.md and DESIGN.md):
//   swift build && swift test        hosted: every target, the tool and the tests
//   SWIFT_EMBEDDED=1 swift build --triple x86_64-unknown-linux-gnu --scratch-path .build-embedded
//                                    Embedded Swift: only the libraries below the platform line
// `scripts/check-embedded` runs the second form; `scripts/test` runs it along with the tests.

import PackageDescription

let embedded = Context.environment["SWIFT_EMBEDDED"].map { !$0.isEmpty && $0 != "0" } ?? false

/// The flags every Embedded Swift library target builds with (PLATFORM-NOTES.md, "Embedded Swift
/// for the guest"). Kept in one place: examples and the hvt target reuse this manifest.
let embeddedSwiftSettings: [SwiftSetting] = [
    .enableExperimentalFeature("Embedded"),
    .enableExperimentalFeature("Extern"),
    .unsafeFlags([
        "-wmo", "-Xfrontend", "-disable-stack-protector",
        "-Xcc", "-mno-red-zone", "-Xfrontend", "-function-sections",
    ]),
]

/// Settings shared by every library target. The unikernel runs on one thread under a cooperative
/// scheduler, so the libraries use the Swift 5 language mode: Sendable checking guards against
/// threads that do not exist here.
let librarySettings: [SwiftSetting] = embedded ? embeddedSwiftSettings : []

/// Libraries below the platform line: pure Swift, Embedded-clean, built by both modes.
let portableTargets: [Target] = [
    .target(
        name: "MirageCore",
        swiftSettings: librarySettings
    ),
    .target(
        name: "MirageRuntime",
        dependencies: ["MirageCore"] + (embedded ? [] : ["CMirageExecutorHooks"]),
        swiftSettings: librarySettings
    ),
    .target(
        name: "MirageTesting",
        dependencies: ["MirageCore", "MirageRuntime"],
        swiftSettings: librarySettings
    ),
]

/// Hosted-only targets: the Unix platform, the manifest DSL, the tool and the tests.
let hostedTargets: [Target] = [
    .target(name: "CMirageExecutorHooks"),
    .target(name: "CLinux"),
    .target(
        name: "MirageUnix",
        dependencies: ["MirageCore", "MirageRuntime", "CLinux"]
    ),
    .target(name: "MirageConfig"),
    .target(
        name: "MirageTool",
        dependencies: ["MirageConfig"]
    ),
    .executableTarget(
        name: "swift-mirage",
        dependencies: [
            "MirageTool",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]
    ),
    .testTarget(
        name: "MirageCoreTests",
        dependencies: ["MirageCore", "MirageTesting"]
    ),
    .testTarget(
        name: "MirageRuntimeTests",
        dependencies: ["MirageCore", "MirageRuntime", "MirageTesting"]
    ),
    .testTarget(
        name: "MirageUnixTests",
        dependencies: ["MirageCore", "MirageRuntime", "MirageUnix"]
    ),
    .testTarget(
        name: "MirageToolTests",
        dependencies: ["MirageTool", "MirageConfig"],
        exclude: ["Fixtures"]
    ),
    .testTarget(
        name: "EndToEndTests",
        dependencies: []
    ),
]

let package = Package(
    name: "swift-mirage",
    products: [
        .library(name: "MirageCore", targets: ["MirageCore"]),
        .library(name: "MirageRuntime", targets: ["MirageRuntime"]),
        .library(name: "MirageTesting", targets: ["MirageTesting"]),
    ] + (embedded ? [] : [
        .library(name: "MirageUnix", targets: ["MirageUnix"]),
        .library(name: "MirageConfig", targets: ["MirageConfig"]),
        .executable(name: "swift-mirage", targets: ["swift-mirage"]),
    ]),
    dependencies: embedded ? [] : [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: portableTargets + (embedded ? [] : hostedTargets),
    swiftLanguageModes: [.v5]
)
