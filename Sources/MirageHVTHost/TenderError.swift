/// Why the tender could not start or run the guest; `description` is the message it prints.
public struct TenderError: Error, CustomStringConvertible, Equatable {
    public var description: String
    /// The tender's exit status for this failure (``TenderExitStatus``).
    public var status: Int32

    public init(_ description: String, status: Int32) {
        self.description = description
        self.status = status
    }
}

/// The tender's own exit statuses, from sysexits.h; otherwise it exits with the guest's status.
public enum TenderExitStatus {
    /// A bad command line: unknown option, malformed value, devices that do not match the image.
    public static let usage: Int32 = 64
    /// The image is not a valid guest ELF.
    public static let badImage: Int32 = 65
    /// A file or tap interface named on the command line cannot be opened.
    public static let noInput: Int32 = 66
    /// The guest crashed: a triple fault, an access outside its memory, a bad hypercall.
    public static let guestCrashed: Int32 = 70
    /// The host refused: no /dev/kvm, a failed ioctl, no memory.
    public static let hostFailure: Int32 = 71
}
