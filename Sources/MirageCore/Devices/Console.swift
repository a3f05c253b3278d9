/// A console: the text output a unikernel's logs go to (MirageOS's `Mirage_console`).
///
/// On unix it is standard error; on hvt the tender's console-write hypercall.
public protocol Console: AnyObject {
    /// Writes `bytes` as they are; a line ends with `\n`.
    func write(_ bytes: UnsafeRawBufferPointer)
}

extension Console {
    /// Writes the UTF-8 bytes of `text`.
    public func write(_ text: String) {
        var text = text
        text.withUTF8 { write(UnsafeRawBufferPointer($0)) }
    }
}
