import CMirageHVTABI

/// The hvt ABI version a guest image speaks: the little-endian 64-bit number in its
/// `MIRAGE_HVT_ABI_SECTION` (`.mirage.abi`), which the guest's C support defines when it is built
/// (mirage_hvt_abi.h). The tender runs only images that speak its own `MIRAGE_HVT_ABI_VERSION`.
public enum GuestABIVersion: Equatable {
    /// The section holds this version.
    case version(UInt64)
    /// The image has no such section: not a swift-mirage guest, or one built before version 2.
    case missing
    /// The section is there but is not 8 bytes long.
    case malformed(length: Int)

    /// The version `image` declares.
    public init(of image: ELFImage) {
        guard let bytes = image.contents(ofSection: MIRAGE_HVT_ABI_SECTION) else {
            self = .missing
            return
        }
        guard bytes.count == 8 else {
            self = .malformed(length: bytes.count)
            return
        }
        self = .version(bytes.reversed().reduce(0) { $0 << 8 | UInt64($1) })
    }

    /// Checks that the image speaks this tender's version.
    /// - Throws: a ``TenderError`` with ``TenderExitStatus/badImage`` saying what the image
    ///   speaks and what to do.
    public func check(image path: String) throws(TenderError) {
        let expected = UInt64(MIRAGE_HVT_ABI_VERSION)
        let problem: String
        switch self {
        case .version(expected): return
        case let .version(other):
            problem = "it was built for hvt ABI version \(other), and this tender speaks version \(expected)"
        case .missing:
            problem = "it has no \(MIRAGE_HVT_ABI_SECTION) section, so it is not a swift-mirage hvt guest or was built for hvt ABI version 1, and this tender speaks version \(expected)"
        case let .malformed(length):
            problem = "its \(MIRAGE_HVT_ABI_SECTION) section is \(length) bytes long, not 8"
        }
        throw TenderError("\(path): \(problem); rebuild it with this checkout's swift-mirage build", status: TenderExitStatus.badImage)
    }
}
