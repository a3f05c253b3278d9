import MirageConfig

let count = Key<Int>.configure("count", default: 4, documentation: "How many greetings, compiled in.")
let greeting = Key<String>.boot("greeting", documentation: "What to say; required at boot.")
let loud = Key<Bool>.boot("loud-voice", default: false, documentation: "Whether to shout.")

let main = Main("Greeter", needs: Block.self, Console.self, keys: [count, greeting, loud])

register("greeter", main(block("data"), defaultConsole()))
