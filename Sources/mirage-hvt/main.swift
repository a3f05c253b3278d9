import Glibc
import MirageHVTTender

// mirage-hvt: the KVM tender that runs swift-mirage's hvt unikernels. See Tender.swift.
exit(Tender.main(Array(CommandLine.arguments.dropFirst())))
