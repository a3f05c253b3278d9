import MirageConfig

let port = Key<UInt16>.boot("port", default: 443, documentation: "The TCP port to serve the piñata on (HTTPS, client certificates required).")

let main = Main("Pinata", needs: TLS.self, KV.self, MonotonicTime.self, WallTime.self, keys: [port])

// The server's certificate and key, and client-ca.pem: the CAs a client's certificate must chain
// to. Without client-ca.pem the piñata does not start (it never serves its secret to everyone).
let certificates = keyValueStore("certificates")
register("tls-pinata", main(tlsServer(over: stack(), certificates: certificates, requiringClientCertificates: true),
                            keyValueStore("secret"), defaultMonotonicClock(), defaultWallClock()))
