import MirageConfig

let main = Main("BlockTest", needs: Block.self)

register("wrong", main(defaultConsole()))
