import CLinux

/// The command line as `main` received it, for hosted and Embedded programs alike (Embedded Swift
/// has no `CommandLine`): CLinux saves `main`'s arguments before it runs.
public enum ProgramArguments {
    /// Every argument, the program's name first.
    public static var all: [String] {
        let count = Int(mirage_argument_count())
        var arguments: [String] = []
        arguments.reserveCapacity(count)
        for index in 0..<count {
            arguments.append(mirage_arguments()[index].map { String(cString: $0) } ?? "")
        }
        return arguments
    }
}
