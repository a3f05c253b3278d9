import MirageConfig

let attack = Key<String>.boot("attack", default: "none",
                              documentation: "How to misbehave: send-pointer, send-wrap, ring-claim, receive-claim, region, argument, rewrite.")

let main = Main("HostileNet", needs: Network.self, keys: [attack])

register("hostile-net", main(network("service")))
