import MirageCore

/// The two hosts of the tests' network 10.0.0.0/24: the peer, and us.
let hostA = IPv4Address(10, 0, 0, 1)
let hostB = IPv4Address(10, 0, 0, 2)
