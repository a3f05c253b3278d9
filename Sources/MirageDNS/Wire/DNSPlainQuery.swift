/// A query in the form nearly every client sends, read straight from its bytes: the header, one
/// question with an uncompressed name, no answer or authority records, and at most an OPT
/// record of EDNS version 0 (RFC 1035 section 4.1; RFC 6891 section 6.1.2).
///
/// Anything else (a compression pointer, more records, another EDNS version, an OPT record
/// whose options do not add up, bytes after the end) is not a plain query: ``init(_:)`` gives
/// nil and the caller decodes the message in full (``DNSMessage/decode(_:allowingTrailingBytes:)``),
/// which says what is wrong. A plain query is exactly a message that decodes with these fields.
struct DNSPlainQuery {
    var id: UInt16
    /// The header's flags (QR, opcode, AA, TC, RD, RA, Z, AD, CD, RCODE).
    var flags: UInt16
    var question: DNSQuestion
    /// The OPT record's payload size and DO bit, when the query has one.
    var edns: (udpPayloadSize: UInt16, dnssecOK: Bool)?

    /// Reads `bytes`, a whole message; nil when it is not a plain query.
    init?(_ bytes: UnsafeRawBufferPointer) {
        var nameRoom: [UInt8] = []
        self.init(bytes, nameRoom: &nameRoom)
    }

    /// ``init(_:)`` with the question's name read into `nameRoom` (emptied first, its room kept),
    /// which the name then shares: a caller that holds no name from it by the next query reads
    /// that one with no allocation.
    init?(_ bytes: UnsafeRawBufferPointer, nameRoom: inout [UInt8]) {
        guard bytes.count >= 17 else { return nil }
        func uint16(_ offset: Int) -> UInt16 { UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1]) }
        guard uint16(4) == 1, uint16(6) == 0, uint16(8) == 0 else { return nil }
        let additionalCount = uint16(10)
        guard additionalCount <= 1 else { return nil }
        // The question's name: labels of at most 63 bytes, at most 255 bytes with the root.
        var offset = 12
        while true {
            guard offset < bytes.count else { return nil }
            let length = Int(bytes[offset])
            if length == 0 { break }
            guard length <= DNSName.maximumLabelLength else { return nil }
            offset += 1 + length
        }
        let nameEnd = offset
        guard nameEnd + 1 - 12 <= DNSName.maximumWireLength, nameEnd + 5 <= bytes.count else { return nil }
        // One replacement of the whole room, its capacity kept (emptying and appending took two).
        UnsafeRawBufferPointer(rebasing: bytes[12..<nameEnd]).withMemoryRebound(to: UInt8.self) {
            nameRoom.replaceSubrange(nameRoom.startIndex..<nameRoom.endIndex, with: $0)
        }
        let name = DNSName(storage: nameRoom)
        question = DNSQuestion(name: name, type: DNSRecordType(uint16(nameEnd + 1)), recordClass: DNSClass(uint16(nameEnd + 3)))
        offset = nameEnd + 5
        edns = nil
        if additionalCount == 1 {
            // The OPT record: the root's name, TYPE 41, CLASS the payload size, TTL the extended
            // code, version and flags, then options that fill RDLENGTH exactly.
            guard offset + 11 <= bytes.count, bytes[offset] == 0, uint16(offset + 1) == DNSRecordType.opt.rawValue,
                  bytes[offset + 6] == 0 else { return nil }
            let payloadSize = uint16(offset + 3)
            let dnssecOK = bytes[offset + 7] & 0x80 != 0
            let end = offset + 11 + Int(uint16(offset + 9))
            guard end <= bytes.count else { return nil }
            offset += 11
            while offset < end {
                guard end - offset >= 4, Int(uint16(offset + 2)) <= end - offset - 4 else { return nil }
                offset += 4 + Int(uint16(offset + 2))
            }
            edns = (payloadSize, dnssecOK)
        }
        guard offset == bytes.count else { return nil }
        id = uint16(0)
        flags = uint16(2)
    }
}
