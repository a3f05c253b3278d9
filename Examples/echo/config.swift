import MirageConfig

let connect = Key<String>.boot("connect", default: "",
                               documentation: "Run as a client: send a stream to this ADDRESS:PORT and check the echo.")
let bytes = Key<Int>.boot("bytes", default: 1 << 20, documentation: "How many bytes the client sends.")

let main = Main("Echo", needs: Stack.self, keys: [connect, bytes])

register("echo", main(stack()))
