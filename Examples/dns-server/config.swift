import MirageConfig

let port = Key<UInt16>.boot("port", default: 53, documentation: "The UDP and TCP port to answer DNS queries on.")
let transfers = Key<Bool>.boot("transfers", default: true,
                               documentation: "Whether any client may have the zones by AXFR or IXFR over TCP.")

let connections = Key<Int>.boot("dns-tcp-connections", default: 100,
                                documentation: "DNS connections over TCP served at once; past it a new one is closed at once.")

let main = Main("NameServer", needs: Stack.self, KV.self, MonotonicTime.self, keys: [port, transfers, connections])

register("dns-server", main(stack(), keyValueStore("zones"), defaultMonotonicClock()))
