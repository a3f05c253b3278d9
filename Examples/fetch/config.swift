import MirageConfig

let url = Key<String>.boot("url", default: "",
                           documentation: "GET this http:// or https:// URL, its host name resolved through the resolver, and log the status and the body's size.")
let lookup = Key<String>.boot("lookup", default: "",
                              documentation: "Resolve each NAME[/TYPE] of a comma-separated list (TYPE is A and AAAA when left out) and log the records.")

let main = Main("Fetch", needs: Stack.self, Resolver.self, TLS.self, keys: [url, lookup])

let network = stack()
register("fetch", main(network, resolver(over: network), tlsClient(over: network, trusting: keyValueStore("trust"))))
