import MirageConfig

let attack = Key<String>.boot("attack", default: "none",
                              documentation: "How to misbehave: read-pointer, write-pointer, read-wrap, argument, small-buffer.")

let main = Main("HostileNet", needs: Network.self, keys: [attack])

register("hostile-net", main(network("service")))
