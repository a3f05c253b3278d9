import MirageConfig

let attack = Key<String>.boot("attack", default: "none", documentation: "How to misbehave: console, halt-pointer, trap, out-of-memory; clock prints the first monotonic reading.")

let main = Main("Hostile", keys: [attack])

register("hostile", main())
