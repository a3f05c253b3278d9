// The constant-time check (issue 14): runs MirageCrypto's code around secrets with the secrets
// marked undefined for valgrind's memcheck, so that memcheck reports each branch or memory index
// that depends on them ("Conditional jump or move depends on uninitialised value(s)", "Use of
// uninitialised value"). Values the library derives from secrets and then treats as public (a
// tag's verdict, a signature, a public key) pass through `ConstantTime.declassifyHook`, which
// marks them defined here. Run by MirageCryptoTests under `valgrind --error-exitcode=1`; it prints
// each step, then "ctgrind: N steps".
//
// Policy, as BearSSL's own code has it: the lengths of keys and of their parts are public, and so
// is the leading byte of each integer of an RSA private key (BearSSL strips leading zeros of p, q
// and the CRT values with a loop over them). Everything else of a key is secret.
import CValgrind
import Glibc
import MirageCore
import MirageCrypto

func secret(_ bytes: inout [UInt8], keeping publicPrefix: Int = 0) {
    bytes.withUnsafeMutableBytes { raw in
        guard raw.count > publicPrefix else { return }
        mirage_valgrind_secret(raw.baseAddress! + publicPrefix, raw.count - publicPrefix)
    }
}

func secret(_ bytes: [UInt8], keeping publicPrefix: Int = 0) -> [UInt8] {
    var copy = bytes
    secret(&copy, keeping: publicPrefix)
    return copy
}

ConstantTime.declassifyHook = { bytes in
    if let base = bytes.baseAddress { mirage_valgrind_public(base, bytes.count) }
}

var steps = 0
func step(_ name: String, _ body: () throws -> Void) {
    print("ctgrind step: \(name)")
    do { try body() } catch { print("ctgrind step \(name) threw \(error)") }
    steps += 1
}

/// Fixed inputs: the check is about control flow, not about randomness.
let keyBytes = (0..<32).map { UInt8($0 &* 7 &+ 1) }
let nonce = [UInt8](repeating: 3, count: 12), aad: [UInt8] = [1, 2, 3]
let plaintext = (0..<100).map { UInt8($0) }

// `--leaky`: the method's own check: a comparison with an early exit on secrets, which memcheck
// must report (the test expects this run to fail).
if CommandLine.arguments.contains("--leaky") {
    let a = secret(keyBytes), b = secret(keyBytes)
    var verdict = a == b
    withUnsafeMutableBytes(of: &verdict) { mirage_valgrind_public($0.baseAddress!, $0.count) }
    print("ctgrind: leaky comparison says \(verdict)")
    exit(0)
}

step("ConstantTime.equal and isAllZero on secrets") {
    let a = secret(keyBytes), b = secret(keyBytes.reversed())
    var verdicts = [ConstantTime.equal(a, b), ConstantTime.equal(a, a), a.withUnsafeBytes { ConstantTime.isAllZero($0) }]
    verdicts.withUnsafeMutableBytes { mirage_valgrind_public($0.baseAddress!, $0.count) }
    print("  verdicts \(verdicts)")
}
step("AES-128-GCM and AES-256-GCM: seal and open (right and wrong tags) under a secret key") {
    for length in [16, 32] {
        let cipher = try AESGCM(key: secret(Array(keyBytes.prefix(length))))
        let sealed = ConstantTime.declassifyBytes(try cipher.seal(secret(plaintext), nonce: nonce, associatedData: aad))
        _ = try cipher.open(sealed, nonce: nonce, associatedData: aad)
        var wrong = sealed
        wrong[0] ^= 1
        _ = try? cipher.open(wrong, nonce: nonce, associatedData: aad)
    }
}
step("ChaCha20-Poly1305: seal and open (right and wrong tags) under a secret key") {
    let cipher = try ChaChaPoly(key: secret(keyBytes))
    let sealed = ConstantTime.declassifyBytes(try cipher.seal(secret(plaintext), nonce: nonce, associatedData: aad))
    _ = try cipher.open(sealed, nonce: nonce, associatedData: aad)
    var wrong = sealed
    wrong[wrong.count - 1] ^= 1
    _ = try? cipher.open(wrong, nonce: nonce, associatedData: aad)
}
step("HMAC and HKDF under secret keys; HMAC.isValid") {
    let code = ConstantTime.declassifyBytes(HMAC.authenticationCode(.sha256, key: secret(keyBytes), message: plaintext))
    _ = HMAC.isValid(code, .sha256, key: secret(keyBytes), message: plaintext)
    let prk = HKDF.extract(.sha384, salt: [1], inputKeyingMaterial: secret(keyBytes))
    _ = ConstantTime.declassifyBytes(try HKDF.expandLabel(.sha384, secret: prk, label: Array("key".utf8), context: [], length: 32))
}
step("X25519 with a secret private key") {
    let peer = try X25519.publicKey(privateKey: keyBytes.reversed())
    _ = try X25519.sharedSecret(privateKey: secret(keyBytes), peerPublicKey: peer)
    _ = try X25519.publicKey(privateKey: secret(keyBytes))
}
step("P-256 and P-384: ECDH and ECDSA with secret scalars") {
    for curve in [NISTCurve.p256, .p384] {
        let scalar = Array(repeating: 0x35 as UInt8, count: curve.scalarLength)
        let peer = try ECDH.publicKey(privateKey: [UInt8](repeating: 0x47, count: curve.scalarLength), curve: curve)
        _ = try ECDH.sharedSecret(privateKey: secret(scalar), peerPublicKey: peer, curve: curve)
        _ = try ECDH.publicKey(privateKey: secret(scalar), curve: curve)
        _ = try ECDSA.sign(message: plaintext, hash: .sha256, privateKey: secret(scalar), curve: curve)
    }
}
step("private keys read from DER (PKCS #8 EC and X25519, SEC 1) with secret contents") {
    let ec = try PrivateKey.ec(.p256, [UInt8](repeating: 0x35, count: 32)).pkcs8()
    // PKCS #8 for P-256 as we write it: the scalar is the 32 bytes after the OCTET STRING header.
    guard let start = ec.indices.first(where: { ec[$0] == 0x04 && ec[$0 + 1] == 0x20 && $0 > 20 }) else { return }
    var marked = ec
    marked.withUnsafeMutableBytes { mirage_valgrind_secret($0.baseAddress! + start + 2, 32) }
    _ = try PrivateKey(pkcs8: marked)
    let x = try PrivateKey.x25519(keyBytes).pkcs8()
    var markedX = x
    markedX.withUnsafeMutableBytes { mirage_valgrind_secret($0.baseAddress! + x.count - 32, 32) }
    _ = try PrivateKey(pkcs8: markedX)
}
step("base64 of a private key: secret characters, public line breaks") {
    let der = try PrivateKey.ec(.p256, keyBytes).pkcs8()
    var text = Array(PEM.encode(der, label: "PRIVATE KEY").utf8)
    let body = text.indices.filter { index in
        text[index] != 0x0A && !text[..<index].suffix(5).contains(UInt8(ascii: "-")) && text.count - index > 30
    }
    let start = text.firstIndex(of: 0x0A)! + 1, end = text.lastIndex(of: UInt8(ascii: "\n"), before: text.count - 2)
    text.withUnsafeMutableBytes { raw in for index in body { mirage_valgrind_secret(raw.baseAddress! + index, 1) } }
    _ = Base64.decode(Array(text[start..<end]))
    print("  \(body.count) secret characters")
}
step("RSA-2048: PKCS #1 v1.5 and PSS signatures, and PKCS #1 DER read, with a secret key") {
    let random = CryptoRandom(source: FixedEntropy())
    guard case let .rsa(generated) = try PrivateKey.generateRSA(bits: 2048, using: random) else { return }
    let der = try PrivateKey.rsa(generated).pkcs8()
    // Mark every INTEGER of the inner RSAPrivateKey after n and e secret, but its leading byte.
    var marked = der
    var reader = 0
    var integers = 0
    while reader < der.count - 4 {
        if der[reader] == 0x02, der[reader + 1] == 0x82 {
            let length = Int(der[reader + 2]) << 8 | Int(der[reader + 3])
            integers += 1
            markSecret(&marked, contents: reader + 4, length: length, integer: integers)
            reader += 4 + length
        } else if der[reader] == 0x02, der[reader + 1] == 0x81 {
            let length = Int(der[reader + 2])
            integers += 1
            markSecret(&marked, contents: reader + 3, length: length, integer: integers)
            reader += 3 + length
        } else {
            reader += 1
        }
    }
    print("  \(integers) long integers in the key, \(max(0, integers - 2)) marked secret")
    guard case let .rsa(key) = try PrivateKey(pkcs8: marked) else { return }
    let digest = MessageDigest.hash(.sha256, plaintext)
    _ = try RSA.signPKCS1(digest: digest, hash: .sha256, key: key)
    _ = try RSA.signPSS(digest: digest, hash: .sha256, salt: [UInt8](repeating: 9, count: 32), key: key)
}
print("ctgrind: \(steps) steps")

/// Marks an INTEGER's contents secret, all but its leading byte (two when the first is the sign
/// byte 0x00): from the third integer of RSAPrivateKey on (n and e are public).
func markSecret(_ der: inout [UInt8], contents: Int, length: Int, integer: Int) {
    guard integer > 2 else { return }
    let publicPrefix = der[contents] == 0 ? 2 : 1
    guard length > publicPrefix else { return }
    der.withUnsafeMutableBytes { mirage_valgrind_secret($0.baseAddress! + contents + publicPrefix, length - publicPrefix) }
}

extension Array where Element == UInt8 {
    /// The last index of `byte` before `limit`.
    func lastIndex(of byte: UInt8, before limit: Int) -> Int {
        var index = limit - 1
        while index > 0, self[index] != byte { index -= 1 }
        return index
    }
}

/// Deterministic entropy for the RSA key (its secrecy is what the marking expresses).
final class FixedEntropy: EntropySource {
    var counter: UInt8 = 0
    func fill(_ buffer: UnsafeMutableRawBufferPointer) {
        for index in buffer.indices {
            counter &+= 0x9D
            buffer[index] = counter ^ UInt8(truncatingIfNeeded: index)
        }
    }
}

extension ConstantTime {
    /// The test's own declassification of an output it goes on to use.
    static func declassifyBytes(_ bytes: [UInt8]) -> [UInt8] {
        var copy = bytes
        copy.withUnsafeMutableBytes { mirage_valgrind_public($0.baseAddress!, $0.count) }
        return copy
    }
}
