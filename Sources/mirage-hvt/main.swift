#if canImport(Glibc)
import Glibc
#endif
import CLinux

// mirage-hvt: the KVM tender that runs swift-mirage's hvt unikernels. See Tender.swift.
//
// The first instant of a boot trace (MIRAGE_HVT_BOOT_TRACE): the program's own code begins.
let entered = Tender.now()
//
// The arguments as `main` received them (Embedded Swift has no `CommandLine`).
let arguments = Array(ProgramArguments.all.dropFirst())
exit(Tender.main(arguments, entered: entered))
