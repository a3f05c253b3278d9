import MirageConfig

let main = Main("Hello")
