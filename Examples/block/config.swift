import MirageConfig

let main = Main("BlockTest", needs: Block.self)

register("block", main(block("storage", image: "disk.img", size: .mebibytes(1))))
