import MirageConfig

let port = Key<UInt16>.boot("port", default: 80, documentation: "The TCP port to serve HTTP on.")
let connections = Key<Int>.boot("http-connections", default: 256,
                                documentation: "HTTP connections served at once; past it a new one is closed at once.")
let tls = Key<Bool>.configure("tls", default: false,
                              documentation: "Serve HTTPS on --tls-port with certificates/server.pem and server.key (scripts/dev-certificate makes them), and redirect HTTP there.")
let tlsPort = Key<UInt16>.boot("tls-port", default: 443, documentation: "The TCP port to serve HTTPS on, when configured with --tls=true.")
let hsts = Key<Bool>.boot("hsts", default: false,
                          documentation: "Send Strict-Transport-Security over HTTPS (RFC 6797): browsers then use HTTPS only, for a year.")

let main = Main("Website", needs: Stack.self, TLS.self, KV.self, MonotonicTime.self, WallTime.self,
                keys: [port, connections, tls, tlsPort, hsts])

let network = stack()
register("static-website", main(network, tlsServer(over: network, certificates: keyValueStore("certificates"), enabledBy: tls),
                                keyValueStore("htdocs"), defaultMonotonicClock(), defaultWallClock()))
