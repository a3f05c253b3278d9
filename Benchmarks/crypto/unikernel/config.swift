import MirageConfig

let operation = Key<String>.boot("operation", default: "aes-128-gcm-16k",
                                 documentation: "What to measure: aes-128-gcm-16k, aes-128-gcm-1k, aes-256-gcm-16k, chacha20-poly1305-16k, chacha20-poly1305-1k, sha256-16k, x25519, p256-ecdh, p256-sign, p256-verify, rsa2048-sign, rsa2048-verify.")
let milliseconds = Key<Int>.boot("milliseconds", default: 1000, documentation: "How long to measure.")

let main = Main("CryptoBench", needs: MonotonicTime.self, Entropy.self, keys: [operation, milliseconds])

register("crypto-bench", main(defaultMonotonicClock(), defaultEntropy()))
