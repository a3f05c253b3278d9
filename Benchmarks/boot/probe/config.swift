import MirageConfig

let main = Main("Probe")

register("probe", main())
