import MirageConfig

let main = Main("Echo", needs: Network.self)

register("echo", main(network("service")))
