import MirageConfig

extension Target {
    /// Whether the image is Embedded Swift, built with `SWIFT_EMBEDDED=1` for a freestanding link.
    var isEmbedded: Bool { self == .hvt }

    /// The image's file name in `dist/`.
    func imageName(_ unikernel: String) -> String {
        switch self {
        case .unix: unikernel
        case .hvt: unikernel + ".hvt"
        }
    }

    /// The Swift settings of the unikernel's own target. For hvt these are the Embedded flags of
    /// PLATFORM-NOTES.md with `-Osize`, as the root Package.swift's `embeddedSwiftSettings` gives
    /// the libraries outside the network data path. Both targets run nonisolated async functions
    /// on their caller's executor, as the libraries do (the root Package.swift's
    /// `runOnCallersExecutor`): the mangled names of async closure types depend on it.
    var executableSwiftSettings: [String] {
        let callersExecutor = #".enableUpcomingFeature("NonisolatedNonsendingByDefault")"#
        switch self {
        case .unix:
            return [callersExecutor]
        case .hvt:
            return [
                callersExecutor,
                #".enableExperimentalFeature("Embedded")"#,
                #".enableExperimentalFeature("Extern")"#,
                #".unsafeFlags(["-Osize", "-wmo", "-Xfrontend", "-disable-stack-protector", "-Xcc", "-mno-red-zone", "-Xfrontend", "-function-sections"])"#,
            ]
        }
    }
}
