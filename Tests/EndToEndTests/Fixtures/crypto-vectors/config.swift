import MirageConfig

let main = Main("CryptoVectors", needs: Block.self, Entropy.self)

register("crypto-vectors", main(block("vectors", image: "vectors.bin", size: .mebibytes(4)), defaultEntropy()))
