import MirageConfig

let port = Key<UInt16>.boot("port", default: 80, documentation: "The TCP port to serve HTTP on.")
let connections = Key<Int>.boot("http-connections", default: 256,
                                documentation: "HTTP connections served at once; past it a new one is closed at once.")

let main = Main("Website", needs: Stack.self, KV.self, MonotonicTime.self, WallTime.self, keys: [port, connections])

register("static-website", main(stack(), keyValueStore("htdocs"), defaultMonotonicClock(), defaultWallClock()))
