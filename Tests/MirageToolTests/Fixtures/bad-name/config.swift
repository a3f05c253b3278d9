import MirageConfig

let main = Main("Hello")

register("Hello World", main())
