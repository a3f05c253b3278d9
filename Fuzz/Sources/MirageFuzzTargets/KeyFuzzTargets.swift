import MirageCrypto

extension FuzzTargets {
    /// Key files and signatures from outside (MirageCrypto): the first byte chooses the reader —
    /// 0 PKCS #8, 1 SubjectPublicKeyInfo, 2 SEC 1, 3 PKCS #1, 4 PEM text (private and public), 5
    /// an ECDSA DER signature — the rest is its input. What reads is encoded again and must read
    /// back as the same key or signature.
    static let keys = FuzzTarget("keys", "PKCS #8, SPKI, SEC 1, PKCS #1, PEM and ECDSA DER readers, round-tripped") { bytes in
        guard let mode = bytes.first else { return }
        let input = Array(bytes.dropFirst())
        switch mode % 6 {
        case 0:
            guard let key = try? PrivateKey(pkcs8: input), let encoded = try? key.pkcs8() else { return }
            let again = try? PrivateKey(pkcs8: encoded)
            require(again != nil && (try? again?.publicKey()) == (try? key.publicKey()), "a PKCS #8 key does not read back")
        case 1:
            guard let key = try? PublicKey(subjectPublicKeyInfo: input) else { return }
            require((try? PublicKey(subjectPublicKeyInfo: key.subjectPublicKeyInfo)) == key, "an SPKI key does not read back")
        case 2:
            _ = try? PrivateKey.sec1(input, curve: .p256)
            _ = try? PrivateKey.sec1(input, curve: nil)
        case 3:
            _ = try? PrivateKey.pkcs1(input)
        case 4:
            let text = String(decoding: input, as: UTF8.self)
            _ = try? PrivateKey(pem: text)
            _ = try? PublicKey(pem: text)
            if let blocks = try? PEM.decode(text) {
                for block in blocks {
                    require((try? PEM.decode(PEM.encode(block.der, label: block.label))) == [block], "a PEM block does not read back")
                }
            }
        default:
            for scalarLength in [32, 48] {
                guard let raw = ECDSASignatureDER.raw(fromDER: input, scalarLength: scalarLength) else { continue }
                require(ECDSASignatureDER.raw(fromDER: ECDSASignatureDER.der(fromRaw: raw), scalarLength: scalarLength) == raw,
                        "an ECDSA signature does not read back")
            }
        }
    }
}
