import MirageConfig

let port = Key<UInt16>.boot("port", default: 80, documentation: "The TCP port to serve HTTP on.")

let main = Main("Website", needs: Stack.self, KV.self, MonotonicTime.self, WallTime.self, keys: [port])

register("static-website", main(stack(), keyValueStore("htdocs"), defaultMonotonicClock(), defaultWallClock()))
