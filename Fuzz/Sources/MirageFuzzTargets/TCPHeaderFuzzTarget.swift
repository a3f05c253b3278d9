import MirageCore
import MirageNet

extension FuzzTargets {
    /// A TCP header and its options (RFC 9293 section 3.1, RFC 7323, RFC 2018), checksum checked
    /// or taken as verified; a header that parses is emitted again and must parse the same.
    static let tcpHeader = FuzzTarget("tcp-header", "TCPHeader.parse and TCPOptions, emitted again") { bytes in
        guard let (header, offset) = try? TCPHeader.parse(bytes, pseudoHeader: InternetChecksum(), checksumVerified: true) else { return }
        require(offset >= TCPHeader.minimumLength && offset <= bytes.count, "payload offset \(offset) of \(bytes.count)")
        var again = [UInt8](repeating: 0, count: header.length)
        again.withUnsafeMutableBytes { header.emit(into: $0, pseudoHeader: InternetChecksum()) }
        let reparsed = again.withUnsafeBytes { try? TCPHeader.parse($0, pseudoHeader: InternetChecksum(), checksumVerified: true) }
        require(reparsed?.header.options == header.options, "options change when emitted and parsed again")
    }
}
