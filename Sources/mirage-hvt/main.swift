import Glibc
import MirageHVTHost

// mirage-hvt: the KVM tender that runs swift-mirage's hvt unikernels. See Tender.swift.
//
// The first instant of a boot trace (MIRAGE_HVT_BOOT_TRACE): the program's own code begins.
let entered = Tender.now()
//
// The arguments come from argv directly: `CommandLine.arguments` builds its array in the
// standard library, which looks the array's type up by its mangled name at every start.
var arguments: [String] = []
arguments.reserveCapacity(Int(CommandLine.argc))
for index in 1..<max(1, Int(CommandLine.argc)) {
    arguments.append(CommandLine.unsafeArgv[index].map { String(cString: $0) } ?? "")
}
exit(Tender.main(arguments, entered: entered))
