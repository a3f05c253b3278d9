import MirageConfig

let pool = Key<String>.boot("pool", default: "10.0.0.50-10.0.0.99",
                            documentation: "The addresses handed out, FIRST-LAST, inside the stack's network.")
let hosts = Key<String>.boot("hosts", default: "",
                             documentation: "Static leases, MAC=ADDRESS separated by commas.")
let leaseTime = Key<Int>.boot("lease-time", default: 3600, documentation: "The lease time in seconds given to clients that ask for none.")
let routers = Key<String>.boot("routers", default: "",
                               documentation: "The routers handed out (option 3), separated by commas; self for the server's own address.")
let dns = Key<String>.boot("dns", default: "", documentation: "The DNS servers handed out (option 6), separated by commas.")
let domain = Key<String>.boot("domain", default: "", documentation: "The domain name handed out (option 15).")

let main = Main("DHCPServerUnikernel", needs: Stack.self, MonotonicTime.self, WallTime.self, WritableKV.self,
                keys: [pool, hosts, leaseTime, routers, dns, domain])

// The leases live in a writable store on the block device `leases` (--block:leases=FILE), so
// that a restarted server keeps them; `swift-mirage run` makes leases.img when it is missing.
let leases = writableKeyValueStore("leases", on: block("leases", image: "leases.img", size: .kibibytes(256)))
register("dhcp-server", main(stack(), defaultMonotonicClock(), defaultWallClock(), leases))
