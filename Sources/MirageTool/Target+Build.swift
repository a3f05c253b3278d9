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
    /// the libraries outside the network data path.
    var executableSwiftSettings: [String] {
        switch self {
        case .unix:
            return []
        case .hvt:
            return [
                #".enableExperimentalFeature("Embedded")"#,
                #".enableExperimentalFeature("Extern")"#,
                #".unsafeFlags(["-Osize", "-wmo", "-Xfrontend", "-disable-stack-protector", "-Xcc", "-mno-red-zone", "-Xfrontend", "-function-sections"])"#,
            ]
        }
    }
}
