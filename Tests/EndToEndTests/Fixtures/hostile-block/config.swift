import MirageConfig

let attack = Key<String>.boot("attack", default: "none",
                              documentation: "How to misbehave: data-pointer, data-wrap, ring-claim, region, argument, rewrite; or refused: requests the tender answers INVALID.")

let main = Main("HostileBlock", needs: Block.self, keys: [attack])

register("hostile-block", main(block("storage", image: "disk.img", size: .kibibytes(64))))
