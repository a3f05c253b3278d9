import MirageConfig

let mode = Key<String>.boot("mode", default: "randread",
                            documentation: "The requests: read (sequential), randread, or randwrite (then one flush).")
let requests = Key<Int>.boot("requests", default: 20000, documentation: "How many requests to time.")
let requestSize = Key<Int>.boot("request-size", default: 4096, documentation: "The bytes of each request, a whole number of sectors.")
let seed = Key<Int>.boot("seed", default: 1, documentation: "The seed of the random offsets.")

let main = Main("BlockProbe", needs: Block.self, MonotonicTime.self, keys: [mode, requests, requestSize, seed])

register("block-probe", main(block("disk", image: "disk.img", size: .mebibytes(64)), defaultMonotonicClock()))
