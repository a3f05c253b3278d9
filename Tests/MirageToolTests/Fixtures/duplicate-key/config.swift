import MirageConfig

let first = Key<String>.boot("greeting", default: "hi", documentation: "A greeting.")
let second = Key<Int>.boot("greeting", default: 2, documentation: "Another greeting.")
let reserved = Key<Bool>.boot("help", default: false, documentation: "Shadows --help.")

let main = Main("Hello", keys: [first, second, reserved])

register("duplicate", main())
