/// Where a unikernel runs; each target implements the device kinds it can (each kind's file in
/// `DeviceKinds/` says how).
public enum Target: String, CaseIterable, Codable, Sendable {
    /// A Linux process, for development (DESIGN.md, "Targets").
    case unix
    /// A freestanding ELF booted as a KVM guest by the mirage-hvt tender.
    case hvt

    /// The module of the platform: the wiring imports it and the build package depends on it.
    package var platformModule: MirageModule {
        switch self {
        case .unix: .unix
        case .hvt: .hvt
        }
    }

    /// The platform type the wiring creates.
    package var platformType: String {
        switch self {
        case .unix: "UnixPlatform"
        case .hvt: "HVTPlatform"
        }
    }
}
