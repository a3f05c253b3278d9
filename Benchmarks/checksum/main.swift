// Internet checksum throughput (not a test): InternetChecksum (8 bytes per step, deferred carries)
// against the RFC 1071 reference loop (one 16-bit word per step, carry folded each time), over
// the same buffers in the same run. Run: swift run -c release checksum-benchmark
import MirageNet

#if canImport(Glibc)
import Glibc
#endif

func now() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
}

@inline(never)
func fastChecksum(_ bytes: UnsafeRawBufferPointer) -> UInt16 {
    InternetChecksum.of(bytes)
}

@inline(never)
func reference(_ bytes: UnsafeRawBufferPointer) -> UInt16 {
    var sum: UInt32 = 0
    var index = 0
    while index + 1 < bytes.count {
        sum += UInt32(bytes[index]) << 8 | UInt32(bytes[index + 1])
        sum = (sum & 0xFFFF) + (sum >> 16)
        index += 2
    }
    if index < bytes.count { sum += UInt32(bytes[index]) << 8; sum = (sum & 0xFFFF) + (sum >> 16) }
    return ~UInt16(sum)
}

let sizes = [64, 576, 1500, 9000, 65536]
print("| bytes | InternetChecksum GB/s | reference GB/s | ratio |")
print("|------:|----------------------:|---------------:|------:|")
for size in sizes {
    var buffer = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
    let rounds = max(1, 200_000_000 / size)
    var sink: UInt16 = 0
    // One byte changes every round, so neither loop can be hoisted out as invariant.
    let (fast, slow): (Double, Double) = buffer.withUnsafeMutableBytes { bytes in
        let view = UnsafeRawBufferPointer(bytes)
        precondition(fastChecksum(view) == reference(view), "the two checksums disagree")
        var start = now()
        for round in 0..<rounds { bytes[0] = UInt8(truncatingIfNeeded: round); sink ^= fastChecksum(view) }
        let fast = Double(size * rounds) / (now() - start) / 1e9
        start = now()
        for round in 0..<rounds { bytes[0] = UInt8(truncatingIfNeeded: round); sink ^= reference(view) }
        let slow = Double(size * rounds) / (now() - start) / 1e9
        return (fast, slow)
    }
    print("| \(size) | \(String(format2(fast))) | \(String(format2(slow))) | \(String(format2(fast / slow)))x |")
    if sink == 0x1234 { print("") }
}

func format2(_ value: Double) -> String {
    let hundredths = Int((value * 100).rounded())
    return "\(hundredths / 100).\(hundredths % 100 < 10 ? "0" : "")\(hundredths % 100)"
}
