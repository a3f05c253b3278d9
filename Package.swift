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
#if canImport(Glibc)
import Glibc
#endif

let embedded = Context.environment["SWIFT_EMBEDDED"].map { !$0.isEmpty && $0 != "0" } ?? false
/// `MIRAGE_FUZZ=1` adds `mirage-fuzz`, the libFuzzer harness over `MirageFuzzTargets`, which
/// `scripts/fuzz` builds with `-sanitize=fuzzer,address` in a scratch path of its own.
let fuzzing = Context.environment["MIRAGE_FUZZ"].map { !$0.isEmpty && $0 != "0" } ?? false

/// The flags every Embedded Swift library target builds with (PLATFORM-NOTES.md, "Embedded Swift
/// for the guest"). Kept in one place: examples and the hvt target reuse this manifest.
/// `optimizingForSize` adds `-Osize`, which the image's size wants for everything but the data
/// path (`-Osize` halves the speed of a checksum loop).
func embeddedSwiftSettings(optimizingForSize: Bool) -> [SwiftSetting] {
    [
        .enableExperimentalFeature("Embedded"),
        .enableExperimentalFeature("Extern"),
        .unsafeFlags((optimizingForSize ? ["-Osize"] : []) + [
            "-wmo", "-Xfrontend", "-disable-stack-protector",
            "-Xcc", "-mno-red-zone", "-Xfrontend", "-function-sections",
        ]),
    ]
}

/// Async functions that belong to no actor run on their caller's executor (SE-0461's
/// `nonisolated(nonsending)` by default) rather than hopping to the generic executor on entry and
/// after calls: on one thread with one executor there is nowhere to hop to, and the hops
/// (`swift_task_switch`) cost a web request more than its header writing. Every target gets it (see
/// the end of this file), and so does every unikernel's package (`swift-mirage configure`): it
/// changes how async closure types are mangled, so all the code of an image must agree.
let runOnCallersExecutor = SwiftSetting.enableUpcomingFeature("NonisolatedNonsendingByDefault")

/// Settings shared by the library targets. The unikernel runs on one thread under a cooperative
/// scheduler, so the libraries use the Swift 5 language mode: Sendable checking guards against
/// threads that do not exist here. Embedded, they are optimised for size: boot, logging and
/// configuration code runs once, and every byte is in every image.
let librarySettings: [SwiftSetting] = embedded ? embeddedSwiftSettings(optimizingForSize: true) : []

/// Settings of the libraries on the network data path (the stack and the hvt network device),
/// optimised for speed in release builds.
let dataPathLibrarySettings: [SwiftSetting] = embedded ? embeddedSwiftSettings(optimizingForSize: false) : []


/// The C flags of the freestanding guest support code (PLATFORM-NOTES.md).
let freestandingCFlags: [CSetting] = [
    .unsafeFlags([
        "-ffreestanding", "-fno-builtin", "-mno-red-zone", "-fno-stack-protector",
        "-ffunction-sections", "-fdata-sections", "-O2",
    ]),
]

/// The folders of the guest's C support (`Sources/CMirageHVTGuest`), one per role: the entry point
/// and linker script, the devices over hypercalls (console, clocks, entropy), the C library
/// subset, the allocator, and what the Swift runtime needs (executor hooks, C++ and compiler
/// runtime shims). Each is on the header search path, so a file includes another's header by name.
let guestSupportRoles = ["boot", "devices", "libc", "allocator", "runtime"]

/// How the hvt guest links: freestanding, at 0x100000 by the linker script, with the Embedded
/// concurrency runtime. Carried by `MirageHVTGuest`, so every unikernel that uses it links this way.
let hvtGuestLinkerSettings: [LinkerSetting] = [
    .unsafeFlags([
        "-Xclang-linker", "-nostdlib", "-Xclang-linker", "-static", "-Xclang-linker", "-fuse-ld=lld",
        "-Xlinker", "--gc-sections", "-Xlinker", "-z", "-Xlinker", "max-page-size=4096",
        "-Xlinker", "-T", "-Xlinker", Context.packageDirectory + "/Sources/CMirageHVTGuest/boot/link.ld",
        "-Xlinker", toolchainRoot + "/usr/lib/swift/embedded/x86_64-unknown-linux-gnu/libswift_Concurrency.a",
        // Strings are hashed and compared (boot arguments, log sources): Unicode normalisation data.
        "-Xlinker", toolchainRoot + "/usr/lib/swift/embedded/x86_64-unknown-linux-gnu/libswiftUnicodeDataTables.a",
    ]),
]

/// The toolchain's root, two levels above the `swift` on PATH (PLATFORM-NOTES.md).
var toolchainRoot: String {
    for directory in (Context.environment["PATH"] ?? "").split(separator: ":") {
        let candidate = String(directory) + "/swift"
        if let resolved = try? resolvingSymlinks(candidate), resolved.hasSuffix("/usr/bin/swift") {
            return String(resolved.dropLast("/usr/bin/swift".count))
        }
    }
    return "/opt/swift"
}

/// `path` with symbolic links resolved, or nil when it does not exist.
func resolvingSymlinks(_ path: String) throws -> String? {
    guard let resolved = realpath(path, nil) else { return nil }
    defer { free(resolved) }
    return String(cString: resolved)
}

/// Libraries below the platform line: pure Swift, Embedded-clean, built by both modes.
let portableTargets: [Target] = [
    .target(name: "CMirageHVTABI"),
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
        name: "MirageNet",
        dependencies: ["MirageCore", "MirageRuntime"],
        swiftSettings: dataPathLibrarySettings
    ),
    .target(
        name: "MirageTesting",
        dependencies: ["MirageCore", "MirageRuntime", "MirageNet"],
        swiftSettings: librarySettings
    ),
    .target(
        name: "MirageHTTP",
        dependencies: ["MirageCore", "MirageRuntime"],
        swiftSettings: librarySettings
    ),
    .target(
        name: "MirageKV",
        dependencies: ["MirageCore", "MirageRuntime"],
        swiftSettings: librarySettings
    ),
    .target(
        name: "MirageDNS",
        dependencies: ["MirageCore", "MirageRuntime"],
        swiftSettings: librarySettings
    ),
    // BearSSL from Debian's libbearssl-dev (a static library and headers, no .pc file), linked
    // into both targets: the cryptographic primitives under MirageCrypto.
    .systemLibrary(name: "CBearSSL", providers: [.apt(["libbearssl-dev"])]),
    .target(
        name: "MirageCrypto",
        dependencies: ["MirageCore", "CBearSSL"],
        swiftSettings: dataPathLibrarySettings
    ),
    // TLS 1.3 and 1.2: a pure engine over MirageCrypto, in the style of ocaml-tls.
    .target(
        name: "MirageTLS",
        dependencies: ["MirageCore", "MirageCrypto"],
        swiftSettings: dataPathLibrarySettings
    ),
]

/// The hvt guest's platform: only in Embedded mode, where it links into a freestanding ELF.
let guestTargets: [Target] = [
    // Its generator behind arc4random_buf is BearSSL's HMAC-DRBG, so every guest links
    // Debian's libbearssl.a (as MirageCrypto does on both targets).
    .target(
        name: "CMirageHVTGuest",
        dependencies: ["CMirageHVTABI"],
        exclude: ["boot/link.ld"],
        cSettings: freestandingCFlags + guestSupportRoles.map { .headerSearchPath($0) },
        linkerSettings: [.linkedLibrary("bearssl")]
    ),
    .target(
        name: "MirageHVTGuest",
        dependencies: ["MirageCore", "MirageRuntime", "CMirageHVTGuest", "CMirageHVTABI"],
        swiftSettings: librarySettings,
        linkerSettings: hvtGuestLinkerSettings
    ),
    // The hvt network device and our stack over it: a module of its own, so that guests without
    // a network link none of MirageNet (the compiler keeps public functions of every module a
    // guest imports).
    .target(
        name: "MirageHVTGuestNet",
        dependencies: ["MirageHVTGuest", "MirageNet", "CMirageHVTGuest", "CMirageHVTABI"],
        swiftSettings: dataPathLibrarySettings
    ),
]

/// The Swift settings of the host programs built in Embedded Swift (the tender, the containerd
/// shim and mirage-runc): Embedded Swift for the host's triple, optimised for speed (the tender's
/// I/O thread copies every frame), with the stack protector and red zone of a normal process.
/// Each compiles the hosted libraries' files it needs into its one module, through symbolic links
/// in its folder: an Embedded module cannot import a hosted one.
let hostEmbeddedSwiftSettings: [SwiftSetting] = [
    .enableExperimentalFeature("Embedded"),
    .enableExperimentalFeature("Extern"),
    .unsafeFlags(["-wmo"]),
]

/// They link statically against glibc, with the standard library's Unicode
/// tables (option names are compared as Strings) and libm (`ceil`, which Dictionary sizing calls).
let hostEmbeddedLinkerSettings: [LinkerSetting] = [
    .unsafeFlags([
        "-Xclang-linker", "-static",
        "-Xlinker", toolchainRoot + "/usr/lib/swift/embedded/x86_64-unknown-linux-gnu/libswiftUnicodeDataTables.a",
    ]),
    .linkedLibrary("m"),
]

/// Hosted-only targets: the Unix platform, the manifest DSL, the tool and the tests.
let hostedTargets: [Target] = [
    .target(name: "CMirageExecutorHooks"),
    .target(name: "CLinux"),
    // Linux system calls behind Swift names, EINTR retried and errno typed in one place, for the
    // unix platform, the tender and the tool.
    .target(name: "MirageHostSystem", dependencies: ["CLinux"]),
    .target(
        name: "MirageUnix",
        dependencies: ["MirageCore", "MirageRuntime", "MirageNet", "MirageHostSystem", "CLinux"]
    ),
    .target(name: "CKVM"),
    .target(
        name: "MirageHVTHost",
        dependencies: ["CMirageHVTABI", "CKVM", "CLinux", "MirageHostSystem"]
    ),
    // The tender itself is Embedded Swift, linked statically against the C library: no Swift
    // runtime to start (its start-up and exit cost ~400 us of every boot) and a binary of a few
    // hundred KiB, one copy per running guest. It compiles MirageHVTHost's and MirageHostSystem's
    // files into its one module (the symbolic links in its folder): an Embedded module cannot
    // import a hosted one, and the hosted `MirageHVTHost` library stays for the tests and fuzzers.
    .executableTarget(
        name: "mirage-hvt",
        dependencies: ["CMirageHVTABI", "CKVM", "CLinux"],
        swiftSettings: hostEmbeddedSwiftSettings,
        linkerSettings: hostEmbeddedLinkerSettings
    ),
    .executableTarget(
        name: "checksum-benchmark",
        dependencies: ["MirageNet"],
        path: "Benchmarks/checksum"
    ),
    .target(name: "MirageConfig"),
    .target(
        name: "MirageTool",
        dependencies: ["MirageConfig", "MirageHostSystem", "MirageOCI"]
    ),
    .executableTarget(
        name: "swift-mirage",
        dependencies: [
            "MirageConfig",
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
        dependencies: ["MirageCore", "MirageRuntime", "MirageNet", "MirageUnix"]
    ),
    // What mirage-runc does to a bundle (config.json as JSONValue, the pod's tap through ioctls
    // and route netlink), without Foundation: the runtime is a static executable that starts in a
    // millisecond, as the shim runs it for every command of every container.
    .target(
        name: "MirageOCI",
        dependencies: ["CLinux", "MirageCore", "MirageHostSystem"]
    ),
    // Embedded as well (containerd's runc shim runs it for every command of every container),
    // with the same files as the shim through symbolic links.
    .executableTarget(
        name: "mirage-runc",
        dependencies: ["CLinux"],
        swiftSettings: hostEmbeddedSwiftSettings,
        linkerSettings: hostEmbeddedLinkerSettings
    ),
    // The shim is Embedded Swift too, as the tender is (above): one server per containerd
    // namespace stays resident beside every pod. Its module takes MirageOCI's and
    // MirageHostSystem's files, and MirageCore's IPv4Address, through symbolic links.
    .executableTarget(
        name: "containerd-shim-mirage-v2",
        dependencies: ["CLinux"],
        swiftSettings: hostEmbeddedSwiftSettings,
        linkerSettings: hostEmbeddedLinkerSettings
    ),
    .testTarget(
        name: "MirageOCITests",
        dependencies: ["MirageOCI", "MirageCore"]
    ),
    .executableTarget(
        name: "mirage-pause",
        linkerSettings: [.unsafeFlags(["-static-executable"])]
    ),
    .testTarget(
        name: "MirageToolTests",
        dependencies: ["MirageTool", "MirageConfig", "MirageOCI"],
        exclude: ["Fixtures"]
    ),
    .testTarget(
        name: "MirageNetTests",
        dependencies: ["MirageNet", "MirageCore", "MirageRuntime", "MirageTesting"]
    ),
    .testTarget(
        name: "MirageKVTests",
        dependencies: ["MirageKV", "MirageCore", "MirageRuntime", "MirageTesting"]
    ),
    .testTarget(
        name: "MirageHTTPTests",
        dependencies: ["MirageHTTP", "MirageKV", "MirageCore", "MirageRuntime", "MirageNet", "MirageTesting"]
    ),
    .testTarget(
        name: "MirageDNSTests",
        dependencies: ["MirageDNS", "MirageCore", "MirageRuntime", "MirageNet", "MirageTesting"]
    ),
    // The constant-time check of MirageCrypto under valgrind (Tests/ctgrind): its valgrind client
    // requests, and the program MirageCryptoTests runs under memcheck.
    .target(name: "CValgrind", path: "Tests/ctgrind/CValgrind"),
    .executableTarget(
        name: "ctgrind-check",
        dependencies: ["MirageCrypto", "MirageCore", "CValgrind"],
        path: "Tests/ctgrind/Sources"
    ),
    .testTarget(
        name: "MirageTLSTests",
        dependencies: ["MirageTLS", "MirageCrypto", "MirageCore", "MirageTesting", "MirageHTTP", "MirageNet", "MirageRuntime", "MirageKV"],
        exclude: ["Fixtures"]
    ),
    .testTarget(
        name: "MirageCryptoTests",
        dependencies: ["MirageCrypto", "MirageCore", "MirageTesting"],
        exclude: ["Fixtures"]
    ),
    .testTarget(
        name: "MirageHVTHostTests",
        dependencies: ["MirageHVTHost", "CMirageHVTABI"]
    ),
    .target(
        name: "MirageFuzzTargets",
        dependencies: ["MirageCore", "MirageRuntime", "MirageNet", "MirageHTTP", "MirageDNS", "MirageKV",
                       "MirageCrypto", "MirageTLS", "MirageTesting", "MirageHVTHost", "CMirageHVTABI", "MirageTool", "MirageConfig", "MirageOCI"],
        path: "Fuzz/Sources/MirageFuzzTargets"
    ),
    .testTarget(
        name: "MirageFuzzTargetTests",
        dependencies: ["MirageFuzzTargets"],
        path: "Tests/MirageFuzzTargetTests"
    ),
    .testTarget(
        name: "EndToEndTests",
        dependencies: [],
        exclude: ["Fixtures"]
    ),
]

/// The libFuzzer harness (``fuzzing``): entry points only; the targets are `MirageFuzzTargets`.
let fuzzTargets: [Target] = [
    .executableTarget(name: "mirage-fuzz", dependencies: ["MirageFuzzTargets"], path: "Fuzz/Sources/mirage-fuzz"),
]

let package = Package(
    name: "swift-mirage",
    products: [
        .library(name: "MirageCore", targets: ["MirageCore"]),
        .library(name: "MirageRuntime", targets: ["MirageRuntime"]),
        .library(name: "MirageTesting", targets: ["MirageTesting"]),
        .library(name: "MirageNet", targets: ["MirageNet"]),
        .library(name: "MirageHTTP", targets: ["MirageHTTP"]),
        .library(name: "MirageKV", targets: ["MirageKV"]),
        .library(name: "MirageDNS", targets: ["MirageDNS"]),
        .library(name: "MirageCrypto", targets: ["MirageCrypto"]),
        .library(name: "MirageTLS", targets: ["MirageTLS"]),
    ] + (embedded ? [
        .library(name: "MirageHVTGuest", targets: ["MirageHVTGuest"]),
        .library(name: "MirageHVTGuestNet", targets: ["MirageHVTGuestNet"]),
    ] : [
        .executable(name: "mirage-hvt", targets: ["mirage-hvt"]),
        .library(name: "MirageUnix", targets: ["MirageUnix"]),
        .library(name: "MirageConfig", targets: ["MirageConfig"]),
        .executable(name: "swift-mirage", targets: ["swift-mirage"]),
    ] + (fuzzing ? [.executable(name: "mirage-fuzz", targets: ["mirage-fuzz"])] : [])),
    dependencies: embedded ? [] : [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: portableTargets + (embedded ? guestTargets : hostedTargets + (fuzzing ? fuzzTargets : [])),
    swiftLanguageModes: [.v5]
)

// Every Swift target, tests and tools included, compiles with `runOnCallersExecutor` (above).
for target in package.targets where target.type != .system && target.type != .binary {
    target.swiftSettings = (target.swiftSettings ?? []) + [runOnCallersExecutor]
}
