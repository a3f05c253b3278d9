import MirageHostSystem
import Testing

/// `ProgramArguments`, the command line the Embedded host programs (the tender, the shim,
/// mirage-runc) read, saved by CLinux's constructor before `main`.
struct ProgramArgumentsTests {
    @Test("ProgramArguments.all is the command line main received, the program's name first (as CommandLine.arguments)")
    func sameAsCommandLine() {
        #expect(ProgramArguments.all == CommandLine.arguments)
        #expect(!ProgramArguments.all.isEmpty)
    }
}
