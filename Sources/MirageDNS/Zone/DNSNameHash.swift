import MirageCore

/// A hash of a domain name without regard to ASCII case (RFC 4343), fed label by label from the
/// rightmost: the hash of a name is its parent's with one label more. A lookup walking down from
/// a zone's origin (RFC 1034 section 4.3.2 step 3) thus hashes each byte of the query name once
/// and makes no name of any ancestor.
///
/// Each label goes in as eight-byte words, its length byte first, the last word padded with
/// zeros: the length makes the encoding unambiguous. The words feed SipHash-1-3 under a key drawn
/// once per process (``MirageCore/SipHash13/Words``): the table's names are the zone's, and a
/// query only probes, but its name is the sender's choice. Fed straight, a distinct query's walk
/// hashes in 349 instructions, where `Hasher`'s generic interface took 505 (callgrind, as
/// Benchmarks/dns/instructions.py counts).
struct DNSNameHash {
    private static let key = SipHash13.seededKey()
    private var state = SipHash13.Words(key: DNSNameHash.key)

    /// The hash of the root name.
    init() {}

    /// The hash of the name whose wire labels (without the root label) are `labels`.
    init(labels: UnsafeRawBufferPointer) {
        DNSName.withLabelStarts(of: labels) { starts in
            for start in starts.reversed() { prepend(labelAt: Int(start), in: labels) }
        }
    }

    /// Adds the label whose length byte is at `start` in `labels`, in front of those added so far.
    mutating func prepend(labelAt start: Int, in labels: UnsafeRawBufferPointer) {
        let end = start + 1 + Int(labels[start])
        var offset = start
        while offset + 8 <= end {
            state.append(DNSName.lower(UInt64(littleEndian: labels.loadUnaligned(fromByteOffset: offset, as: UInt64.self))))
            offset += 8
        }
        guard offset < end else { return }
        state.append(DNSName.lower(labels.littleEndianTail(from: offset, to: end)))
    }

    /// The hash of the labels added so far.
    var value: Int { Int(truncatingIfNeeded: state.value) }
}

extension DNSName {
    /// Calls `body` with the offsets of each label's length byte in `labels` (wire labels
    /// without the root), leftmost first, kept on the stack.
    static func withLabelStarts<Result>(
        of labels: UnsafeRawBufferPointer, _ body: (UnsafeBufferPointer<UInt8>) -> Result
    ) -> Result {
        // A name of at most 255 bytes has at most 127 labels, each starting below offset 255.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 128) { buffer in
            var count = 0
            var offset = 0
            while offset < labels.count, count < buffer.count {
                buffer[count] = UInt8(truncatingIfNeeded: offset)
                count += 1
                offset += 1 + Int(labels[offset])
            }
            return body(UnsafeBufferPointer(rebasing: buffer[..<count]))
        }
    }
}
