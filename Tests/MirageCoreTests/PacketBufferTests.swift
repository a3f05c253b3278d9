import MirageCore
import Testing

/// `PacketBuffer`: a copy-on-write byte buffer with headroom for headers and tailroom for payload.
@Suite("PacketBuffer")
struct PacketBufferTests {

    // MARK: - Creating and measuring

    @Test("a buffer made from bytes holds them, with the headroom asked for and no tailroom")
    func initWithBytesAndHeadroom() {
        let buffer = PacketBuffer([0x01, 0x02, 0x03], headroom: 14)
        #expect(buffer.bytes == [0x01, 0x02, 0x03])
        #expect(buffer.count == 3)
        #expect(!buffer.isEmpty)
        #expect(buffer.headroom == 14)
        #expect(buffer.tailroom == 0)
    }

    @Test("a buffer made with a capacity is empty, its room split into headroom and tailroom")
    func initWithCapacity() {
        let buffer = PacketBuffer(capacity: 64, headroom: 16)
        #expect(buffer.bytes == [])
        #expect(buffer.count == 0)
        #expect(buffer.isEmpty)
        #expect(buffer.headroom == 16)
        #expect(buffer.tailroom == 48)
    }

    @Test("appending single bytes grows the storage as needed and never writes through shared storage")
    func appendBytes() {
        var buffer = PacketBuffer(capacity: 2)
        for byte in 0..<100 { buffer.append(UInt8(byte)) }
        #expect(buffer.bytes == (0..<100).map(UInt8.init))
        let shared = buffer
        buffer.append(200)
        #expect(shared.count == 100 && buffer.count == 101 && buffer[100] == 200 && shared.bytes == (0..<100).map(UInt8.init))
    }

    @Test("the subscript reads and writes bytes at offsets from the first readable byte")
    func subscriptIsRelativeToReadableBytes() {
        var buffer = PacketBuffer([0xaa, 0xbb, 0xcc, 0xdd], headroom: 2)
        buffer.removeFirst(1)
        #expect(buffer[0] == 0xbb)
        #expect(buffer[2] == 0xdd)
        buffer[1] = 0x11
        #expect(buffer.bytes == [0xbb, 0x11, 0xdd])
    }

    // MARK: - Dropping headers and trailers

    @Test("removeFirst drops bytes from the front, turning them into headroom")
    func removeFirst() {
        var buffer = PacketBuffer([0x45, 0x00, 0x00, 0x1c, 0xde, 0xad], headroom: 2)
        buffer.removeFirst(4)
        #expect(buffer.bytes == [0xde, 0xad])
        #expect(buffer.headroom == 6)
        #expect(buffer.tailroom == 0)
    }

    @Test("removeLast drops bytes from the end, turning them into tailroom")
    func removeLast() {
        var buffer = PacketBuffer([0x01, 0x02, 0x03, 0x00, 0x00], headroom: 2)
        buffer.removeLast(2)
        #expect(buffer.bytes == [0x01, 0x02, 0x03])
        #expect(buffer.headroom == 2)
        #expect(buffer.tailroom == 2)
    }

    @Test("removing every byte leaves an empty buffer")
    func removeEverything() {
        var buffer = PacketBuffer([0x01, 0x02, 0x03])
        buffer.removeFirst(1)
        buffer.removeLast(2)
        #expect(buffer.isEmpty)
        #expect(buffer.bytes == [])
        #expect(buffer.headroom == 1)
        #expect(buffer.tailroom == 2)
    }

    // MARK: - Prepending headers

    @Test("prepend uses the headroom in place and makes zeroed bytes readable in front")
    func prependIntoHeadroom() {
        var buffer = PacketBuffer([0xca, 0xfe], headroom: 20)
        buffer.prepend(8)
        #expect(buffer.bytes == [0, 0, 0, 0, 0, 0, 0, 0, 0xca, 0xfe])
        // In place: the headroom shrank by exactly 8. A reallocation would have left
        // max(8, 20) = 20 bytes of headroom.
        #expect(buffer.headroom == 12)
        #expect(buffer.tailroom == 0)
    }

    @Test("prepend zeroes headroom that held bytes dropped by removeFirst")
    func prependZeroesOldHeaderBytes() {
        var buffer = PacketBuffer([0xff, 0xff, 0xff, 0x01, 0x02])
        buffer.removeFirst(3)
        buffer.prepend(2)
        #expect(buffer.bytes == [0x00, 0x00, 0x01, 0x02])
        #expect(buffer.headroom == 1)
    }

    @Test("prepend may use the whole headroom")
    func prependExactlyTheHeadroom() {
        var buffer = PacketBuffer([0x01], headroom: 4)
        buffer.prepend(4)
        #expect(buffer.bytes == [0, 0, 0, 0, 0x01])
        #expect(buffer.headroom == 0)
    }

    @Test("prepend beyond the headroom reallocates and keeps the bytes and the tailroom")
    func prependBeyondHeadroom() {
        var buffer = PacketBuffer(capacity: 8, headroom: 2)
        buffer.append(contentsOf: [0x01, 0x02, 0x03])
        #expect(buffer.tailroom == 3)
        buffer.prepend(5)
        #expect(buffer.bytes == [0, 0, 0, 0, 0, 0x01, 0x02, 0x03])
        #expect(buffer.headroom == 0)
        #expect(buffer.tailroom == 3)
    }

    @Test("prepend then setting the header fields writes a header in front of the payload")
    func prependAndFillAHeader() {
        var buffer = PacketBuffer([0x68, 0x69], headroom: 8)
        buffer.prepend(4)
        buffer.setUInt16(0x1f90, at: 0)
        buffer.setUInt16(0x0006, at: 2)
        #expect(buffer.bytes == [0x1f, 0x90, 0x00, 0x06, 0x68, 0x69])
    }

    // MARK: - Appending

    @Test("append fills the tailroom in place")
    func appendIntoTailroom() {
        var buffer = PacketBuffer(capacity: 8, headroom: 2)
        buffer.append(contentsOf: [0x01, 0x02])
        buffer.append(contentsOf: [0x03])
        #expect(buffer.bytes == [0x01, 0x02, 0x03])
        #expect(buffer.headroom == 2)
        #expect(buffer.tailroom == 3)
    }

    @Test("append beyond the tailroom grows the buffer and keeps the bytes and the headroom")
    func appendGrows() {
        var buffer = PacketBuffer(capacity: 5, headroom: 2)
        buffer.append(contentsOf: [0x01, 0x02, 0x03])
        #expect(buffer.tailroom == 0)
        buffer.append(contentsOf: [0x04, 0x05, 0x06, 0x07])
        #expect(buffer.bytes == [0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07])
        #expect(buffer.count == 7)
        #expect(buffer.headroom == 2)
    }

    @Test("append accepts any collection of bytes")
    func appendAnyCollection() {
        var buffer = PacketBuffer(capacity: 0)
        buffer.append(contentsOf: [0x00, 0x01, 0x02, 0x03][1...])
        buffer.append(contentsOf: "hi".utf8)
        buffer.append(contentsOf: [])
        #expect(buffer.bytes == [0x01, 0x02, 0x03, 0x68, 0x69])
    }

    @Test("appendZeros appends zero bytes and returns the offset of the first",
          arguments: [
              ([], 3, 0, [0, 0, 0]),
              ([0x01, 0x02], 3, 2, [0x01, 0x02, 0, 0, 0]),
              ([0x01, 0x02], 0, 2, [0x01, 0x02]),
          ] as [([UInt8], Int, Int, [UInt8])])
    func appendZeros(initial: [UInt8], n: Int, offset: Int, result: [UInt8]) {
        var buffer = PacketBuffer(initial)
        #expect(buffer.appendZeros(n) == offset)
        #expect(buffer.bytes == result)
    }

    @Test("appendZeros zeroes tailroom that held bytes dropped by removeLast")
    func appendZerosOverOldTrailer() {
        var buffer = PacketBuffer([0x01, 0xff, 0xff])
        buffer.removeLast(2)
        #expect(buffer.appendZeros(2) == 1)
        #expect(buffer.bytes == [0x01, 0x00, 0x00])
    }

    // MARK: - Slices and copy-on-write

    @Test("a slice holds the bytes in the range and reads them from the same storage")
    func sliceSharesStorage() {
        let frame = PacketBuffer([0x10, 0x11, 0x12, 0x13, 0x14, 0x15], headroom: 4)
        let payload = frame.slice(2 ..< 5)
        #expect(payload.bytes == [0x12, 0x13, 0x14])
        // The slice's room is the rest of the frame's storage: nothing was copied.
        #expect(payload.headroom == 6)
        #expect(payload.tailroom == 1)
        let frameStart = frame.withUnsafeBytes { $0.baseAddress }
        let payloadStart = payload.withUnsafeBytes { $0.baseAddress }
        #expect(payloadStart == frameStart.map { $0 + 2 })
    }

    @Test("an empty range gives an empty slice")
    func emptySlice() {
        let buffer = PacketBuffer([0x01, 0x02, 0x03])
        #expect(buffer.slice(1 ..< 1).isEmpty)
        #expect(buffer.slice(3 ..< 3).isEmpty)
        #expect(buffer.slice(0 ..< 3) == buffer)
    }

    @Test("writing to a slice copies it first and leaves the original unchanged")
    func writingToASliceCopies() {
        let original = PacketBuffer([0x01, 0x02, 0x03, 0x04])
        var slice = original.slice(1 ..< 3)
        slice[0] = 0xee
        slice.setUInt16(0xbeef, at: 0)
        #expect(slice.bytes == [0xbe, 0xef])
        #expect(original.bytes == [0x01, 0x02, 0x03, 0x04])
    }

    @Test("writing to the original leaves an earlier slice unchanged")
    func writingToTheOriginalCopies() {
        var original = PacketBuffer([0x01, 0x02, 0x03, 0x04])
        let slice = original.slice(1 ..< 3)
        original[1] = 0xee
        original.withUnsafeMutableBytes { $0[2] = 0xdd }
        #expect(original.bytes == [0x01, 0xee, 0xdd, 0x04])
        #expect(slice.bytes == [0x02, 0x03])
    }

    @Test("a copy behaves as a value: prepend, append and set on one do not show in the other")
    func copiesAreIndependent() {
        var original = PacketBuffer(capacity: 16, headroom: 4)
        original.append(contentsOf: [0x01, 0x02])
        let copy = original
        original.prepend(2)
        original.append(contentsOf: [0x03])
        original.setUInt16(0xffff, at: 0)
        #expect(original.bytes == [0xff, 0xff, 0x01, 0x02, 0x03])
        #expect(copy.bytes == [0x01, 0x02])
        #expect(copy.headroom == 4)
    }

    @Test("a uniquely held buffer is written in place")
    func uniqueBufferWritesInPlace() {
        var buffer = PacketBuffer([0x01, 0x02, 0x03])
        let before = buffer.withUnsafeBytes { $0.baseAddress }
        buffer[0] = 0xff
        buffer.setUInt16(0xabcd, at: 1)
        let after = buffer.withUnsafeBytes { $0.baseAddress }
        #expect(before == after)
        #expect(buffer.bytes == [0xff, 0xab, 0xcd])
    }

    // MARK: - Big-endian integers

    static let integers = PacketBuffer([0x12, 0x34, 0x56, 0x78, 0x9a])

    @Test("getUInt8 reads one byte, nil outside the readable bytes",
          arguments: [(0, 0x12), (4, 0x9a), (-1, nil), (5, nil)] as [(Int, UInt8?)])
    func getUInt8(offset: Int, value: UInt8?) {
        #expect(Self.integers.getUInt8(at: offset) == value)
    }

    @Test("getUInt16 reads big-endian, nil when the two bytes do not fit",
          arguments: [(0, 0x1234), (1, 0x3456), (3, 0x789a), (4, nil), (-1, nil), (5, nil), (.max, nil)]
              as [(Int, UInt16?)])
    func getUInt16(offset: Int, value: UInt16?) {
        #expect(Self.integers.getUInt16(at: offset) == value)
    }

    @Test("getUInt32 reads big-endian, nil when the four bytes do not fit",
          arguments: [(0, 0x1234_5678), (1, 0x3456_789a), (2, nil), (-1, nil), (.min, nil)] as [(Int, UInt32?)])
    func getUInt32(offset: Int, value: UInt32?) {
        #expect(Self.integers.getUInt32(at: offset) == value)
    }

    @Test("integer getters on a buffer shorter than the integer give nil")
    func gettersOnShortBuffers() {
        #expect(PacketBuffer([]).getUInt8(at: 0) == nil)
        #expect(PacketBuffer([]).getUInt16(at: 0) == nil)
        #expect(PacketBuffer([0x01]).getUInt16(at: 0) == nil)
        #expect(PacketBuffer([0x01, 0x02, 0x03]).getUInt32(at: 0) == nil)
    }

    @Test("integer getters read at offsets from the first readable byte, not into the headroom")
    func gettersAreRelativeToReadableBytes() {
        var buffer = PacketBuffer([0x00, 0x01, 0x02, 0x03, 0x04, 0x05])
        buffer.removeFirst(2)
        buffer.removeLast(1)
        #expect(buffer.getUInt16(at: 0) == 0x0203)
        #expect(buffer.getUInt16(at: 1) == 0x0304)
        #expect(buffer.getUInt16(at: 2) == nil)
        #expect(buffer.getUInt16(at: -1) == nil)
    }

    @Test("setUInt16 writes big-endian at the offset and touches nothing else")
    func setUInt16() {
        var buffer = PacketBuffer([0xee, 0xee, 0xee, 0xee])
        buffer.setUInt16(0xabcd, at: 1)
        #expect(buffer.bytes == [0xee, 0xab, 0xcd, 0xee])
        buffer.setUInt16(0x0001, at: 2)
        #expect(buffer.bytes == [0xee, 0xab, 0x00, 0x01])
    }

    @Test("setUInt32 writes big-endian at the offset and touches nothing else")
    func setUInt32() {
        var buffer = PacketBuffer([0xee, 0xee, 0xee, 0xee, 0xee, 0xee])
        buffer.setUInt32(0xdead_beef, at: 1)
        #expect(buffer.bytes == [0xee, 0xde, 0xad, 0xbe, 0xef, 0xee])
        #expect(buffer.getUInt32(at: 1) == 0xdead_beef)
    }

    // MARK: - Equality

    @Test("buffers are equal when their readable bytes are, whatever their room")
    func equalityByReadableBytes() {
        var trimmed = PacketBuffer([0x99, 0x01, 0x02, 0x03, 0x99])
        trimmed.removeFirst(1)
        trimmed.removeLast(1)
        let roomy = PacketBuffer([0x01, 0x02, 0x03], headroom: 32)
        var grown = PacketBuffer(capacity: 100, headroom: 10)
        grown.append(contentsOf: [0x01, 0x02, 0x03])

        #expect(trimmed == roomy)
        #expect(roomy == grown)
        #expect(trimmed != PacketBuffer([0x01, 0x02, 0x04]))
        #expect(trimmed != PacketBuffer([0x01, 0x02]))
        #expect(trimmed != PacketBuffer([0x01, 0x02, 0x03, 0x00]))
        #expect(PacketBuffer([]) == PacketBuffer(capacity: 8, headroom: 8))
    }

    @Test("a received frame: a long one is handed over after its prefix, a short one copied out with the headroom asked, leaving the buffer empty to reuse")
    func takeReceivedFrame() {
        var long = PacketBuffer(capacity: 64 + 100, headroom: 54)
        long.append(contentsOf: [UInt8](repeating: 7, count: 10) + (0..<90).map { UInt8($0) })
        let (handed, longReusable) = long.takeReceivedFrame(length: 80, after: 10, room: 100, headroom: 64)
        #expect(!longReusable && handed.bytes == (0..<80).map { UInt8($0) } && handed.headroom == 64)

        var short = PacketBuffer(capacity: 64 + 100, headroom: 54)
        short.append(contentsOf: [UInt8](repeating: 7, count: 10) + [1, 2, 3])
        let (copied, shortReusable) = short.takeReceivedFrame(length: 3, after: 10, room: 100, headroom: 64)
        #expect(shortReusable && copied.bytes == [1, 2, 3] && copied.headroom == 64 && copied.tailroom == 0)
        #expect(short.isEmpty && short.headroom == 54 && short.tailroom == 110)
    }

    // MARK: - Memory

    @Test("trueSize is the storage's capacity and overhead, for the buffer and every slice of it; compacted() holds only the bytes")
    func trueSizeAndCompaction() {
        #expect(PacketBuffer(capacity: 0).trueSize == 0)
        var buffer = PacketBuffer(capacity: 2048, headroom: 64)
        buffer.append(contentsOf: [UInt8](repeating: 7, count: 1500))
        buffer.offload.checksumStart = 34
        #expect(buffer.trueSize == 2048 + PacketBuffer.storageOverhead)
        #expect(!buffer.isWasteful)
        let slice = buffer.slice(10..<20)
        #expect(slice.trueSize == buffer.trueSize && slice.isWasteful)
        let compact = slice.compacted()
        #expect(compact.bytes == slice.bytes && compact.offload == slice.offload)
        #expect(compact.trueSize == 10 + PacketBuffer.storageOverhead && !compact.isWasteful)
    }
}
