import MirageConfig

let hello = Key<String>.boot("hello", default: "hello", documentation: "What the unikernel says.")

let main = Main("Hello", keys: [hello])

register("hello", main())
