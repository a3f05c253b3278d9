import MirageCore

/// Reassembly of IPv4 and IPv6 fragments (RFC 791 section 3.2, "An Example Reassembly
/// Procedure"; RFC 815 for the idea of tracking what is still missing; RFC 1122 section 3.3.2;
/// RFC 8200 section 4.5): a pure core that takes fragments and the time and hands back whole
/// datagrams. It never reads a clock; ``nextDeadline`` says when ``tick(now:)`` must run. One
/// works for each family (``IPv4Reassembler``, ``IPv6Reassembler``), its fragments described by a
/// ``FragmentedHeader``; the two share one memory budget (``receive(_:payload:now:charged:)``).
///
/// Fragments belong together when their ``FragmentedHeader/ReassemblyKey`` agrees: source,
/// destination, protocol and identification for IPv4 (RFC 791 section 3.2), source, destination
/// and identification for IPv6 (RFC 8200 section 4.5). Each datagram in progress keeps its fragments sorted by offset, never
/// overlapping, so it is complete exactly when it holds as many bytes as its last fragment says
/// it has: that stands in for RFC 815's hole list.
///
/// Defences, each dropped and counted in ``statistics``:
/// - Overlaps other than exact duplicates forget the whole datagram (in the spirit of RFC 5722).
/// - Data past 65,535 bytes, misaligned middle fragments and disagreeing ends forget it too.
/// - A datagram not complete within ``Configuration/timeout`` of its first fragment is forgotten
///   (RFC 1122 section 3.3.2 suggests 60 to 120 s; 30 s, as Linux uses, frees memory sooner).
/// - A fragment other than the last carrying fewer than ``Configuration/minimumFragmentPayload``
///   octets forgets its datagram (the tiny fragments of RFC 1858 section 3.1 have no honest use:
///   every real path carries at least 576-octet packets), and so does one past
///   ``Configuration/maximumFragmentsPerDatagram``.
/// - At most ``Configuration/maximumDatagrams`` datagrams and ``Configuration/memoryLimit`` bytes
///   of memory are held; past them the datagram started earliest is evicted to make room
///   (``limitReached(adding:header:to:now:)`` says why evicting, not refusing).
///
/// Memory is charged at its real size (``PacketBuffer/trueSize``, the whole buffer a fragment
/// keeps alive, plus the bookkeeping of each fragment and datagram), not by payload: a fragment
/// that would keep much more than its payload alive (a small slice of a large receive buffer) is
/// copied into a buffer of its own first. Inserting a fragment costs a binary search and a shift
/// of at most ``Configuration/maximumFragmentsPerDatagram`` entries, in whatever order they come.

/// IPv4's reassembler (RFC 791 section 3.2).
public typealias IPv4Reassembler = FragmentReassembler<IPv4Header>

/// The limits of a ``FragmentReassembler``.
public struct ReassemblyConfiguration: Sendable {
        /// How long a datagram may take to arrive whole, from its first fragment.
        public var timeout: Duration = .seconds(30)
        /// How many datagrams may be in reassembly at once.
        public var maximumDatagrams = 64
        /// How many bytes of memory fragments may hold at once, charged at their real size.
        public var memoryLimit = 1 << 20
        /// The fewest payload octets a fragment other than the last may carry (a multiple of 8).
        /// 256 is half what a 576-octet path carries per fragment (552).
        public var minimumFragmentPayload = 256
        /// The most fragments one datagram may arrive in: 64 carry 94,720 octets at MTU 1500, more
        /// than a datagram holds, and 35,328 at MTU 576.
        public var maximumFragmentsPerDatagram = 64
        public init() {}
}

    /// What a ``FragmentReassembler`` has done, for logs and tests.
public struct ReassemblyStatistics: Hashable, Sendable {
        /// Datagrams reassembled and handed out.
        public var reassembled: UInt64 = 0
        /// Datagrams forgotten because they did not complete in time.
        public var timedOut: UInt64 = 0
        /// Fragments that overlapped another and made their datagram be forgotten.
        public var overlapsDropped: UInt64 = 0
        /// Fragments refused as oversized, misaligned, too small or disagreeing on the end, with
        /// their datagram.
        public var malformedDropped: UInt64 = 0
        /// Fragments refused because a limit was reached that evicting could not make room under
        /// (the fragment limit of a datagram, or a fragment larger than the memory limit alone).
        public var limitDropped: UInt64 = 0
        /// Datagrams forgotten, started earliest first, to make room for a new one under the
        /// datagram or memory limit.
        public var evicted: UInt64 = 0
        /// Fragments copied out of a receive buffer much larger than themselves before being kept.
        public var fragmentsCompacted: UInt64 = 0
        /// Bytes of memory held now: fragments' buffers at their real size and the bookkeeping.
        public var chargedBytes = 0
        /// Datagrams in reassembly now.
        public var datagramsInProgress = 0
        /// All zero, as a new reassembler starts.
        public init() {}
}

public struct FragmentReassembler<Header: FragmentedHeader> {
    public typealias Configuration = ReassemblyConfiguration
    public typealias Statistics = ReassemblyStatistics
    typealias DatagramKey = Header.ReassemblyKey

    /// A fragment's payload and where it belongs, in bytes from the datagram's start.
    struct Fragment {
        var offset: Int
        var payload: PacketBuffer
        var end: Int { offset + payload.count }
    }

    /// A datagram in reassembly.
    struct PartialDatagram {
        /// When it is forgotten if still incomplete.
        var expires: Instant
        /// Its fragments, sorted by offset, never overlapping.
        var fragments: [Fragment] = []
        /// The header of the fragment at offset 0, once it has arrived.
        var firstHeader: Header?
        /// The payload length, once the last fragment has arrived.
        var totalLength: Int?
        /// The sum of the fragments' lengths.
        var bufferedBytes = 0
        /// The memory it holds: ``IPv4Reassembler/datagramCharge`` and each fragment's
        /// ``IPv4Reassembler/charge(of:)``.
        var chargedBytes = FragmentReassembler.datagramCharge

        /// The end of the data received so far.
        var highestEnd: Int { fragments.last?.end ?? 0 }

        /// Whether every byte from 0 to the end has arrived. With no overlaps, holding as many bytes
        /// as the total means there is no hole.
        var isComplete: Bool { totalLength == bufferedBytes && firstHeader != nil }
    }


    public let configuration: Configuration
    private var datagrams: [DatagramKey: PartialDatagram] = [:]
    public private(set) var statistics = Statistics()

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
    }

    /// The memory a held fragment costs: its buffer's real size and its entry in the list.
    static func charge(of payload: PacketBuffer) -> Int { payload.trueSize + MemoryLayout<Fragment>.stride }

    /// The memory a datagram in reassembly costs besides its fragments: its key and state in the
    /// table, and its fragment list's header.
    static var datagramCharge: Int { MemoryLayout<DatagramKey>.stride + MemoryLayout<PartialDatagram>.stride + 32 }

    /// Takes a received packet. A packet that is not a fragment comes straight back as
    /// ``Reassembly/complete(_:_:)``; a fragment is kept until its datagram is whole, then the
    /// datagram is returned in one contiguous buffer, under the first fragment's header made
    /// whole (for IPv4: more-fragments clear, offset 0 and the total length covering it all).
    ///
    /// - Parameters:
    ///   - header: the packet's parsed header.
    ///   - payload: the fragmentable part: for IPv4 the bytes in ``IPv4Header/payloadRange``, for
    ///     IPv6 what follows the Fragment header.
    ///   - now: the current time.
    /// - Parameter charged: bytes the other family's reassembler holds now, counted against
    ///   ``Configuration/memoryLimit`` as if held here (one budget for both; only this one's
    ///   datagrams are evicted to make room).
    public mutating func receive(_ header: Header, payload: consuming PacketBuffer, now: Instant, charged other: Int = 0) -> Reassembly<Header> {
        guard header.isFragment else { return .complete(header, consume payload) }
        let key = header.reassemblyKey
        forgetIfExpired(key, now: now)
        var fragment = Fragment(offset: header.fragmentByteOffset, payload: consume payload)
        // Taken out of the table while it changes, so that inserting does not copy its fragment
        // list; its memory stays counted in `statistics.chargedBytes` until it is kept or released.
        let held = datagrams.removeValue(forKey: key)
        var datagram = held ?? PartialDatagram(expires: now + configuration.timeout)
        if let reason = problem(with: fragment, header: header, in: datagram) {
            if held != nil { statistics.chargedBytes -= datagram.chargedBytes }
            return refuse(reason)
        }
        if isExactDuplicate(fragment, in: datagram) { return keep(datagram, key) }
        if let reason = limitReached(adding: fragment, header: header, to: datagram, now: now, charged: other) {
            _ = keep(datagram, key)
            return refuse(reason)
        }
        if fragment.payload.isWasteful {
            fragment.payload = fragment.payload.compacted()
            statistics.fragmentsCompacted += 1
        }
        let charge = Self.charge(of: fragment.payload) + (held == nil ? Self.datagramCharge : 0)
        insert(fragment, header: header, into: &datagram)
        statistics.chargedBytes += charge
        guard datagram.isComplete else { return keep(datagram, key) }
        statistics.chargedBytes -= datagram.chargedBytes
        statistics.datagramsInProgress = datagrams.count
        guard let whole = reassembled(datagram) else { return refuse(.oversized) }
        statistics.reassembled += 1
        return .complete(whole.header, whole.payload)
    }

    /// A datagram given up on at its timeout whose first fragment had come: what an ICMP Time
    /// Exceeded message (code 1, "fragment reassembly time exceeded") quotes (RFC 8200 section
    /// 4.5; RFC 792).
    public struct Abandoned {
        /// The first fragment's header.
        public var header: Header
        /// The first fragment's data.
        public var payload: PacketBuffer
    }

    /// Forgets the datagrams that did not complete within the timeout; returns those whose first
    /// fragment had come, for the error their sources should hear.
    @discardableResult
    public mutating func tick(now: Instant) -> [Abandoned] {
        var abandoned: [Abandoned] = []
        for (key, datagram) in datagrams where datagram.expires <= now {
            if let header = datagram.firstHeader, let first = datagram.fragments.first, first.offset == 0 {
                abandoned.append(Abandoned(header: header, payload: first.payload))
            }
            forget(key)
            statistics.timedOut += 1
        }
        return abandoned
    }

    /// When ``tick(now:)`` next has work: the earliest expiry of a datagram in reassembly.
    public var nextDeadline: Instant? {
        guard !datagrams.isEmpty else { return nil }  // read every scheduler round: no iterator made
        var earliest: Instant?
        for datagram in datagrams.values { earliest = earliest.earliest(datagram.expires) }
        return earliest
    }

    // MARK: - Checks

    /// Why `fragment` cannot belong to `datagram` at all, if it cannot.
    func problem(with fragment: Fragment, header: Header, in datagram: PartialDatagram) -> ReassemblyDrop? {
        if header.unfragmentableLength + fragment.end > Int(UInt16.max) { return .oversized }
        if fragment.payload.isEmpty { return .misaligned }
        if header.moreFragments {
            if fragment.payload.count % 8 != 0 { return .misaligned }
            if fragment.payload.count < configuration.minimumFragmentPayload { return .tooSmall }
            if let total = datagram.totalLength, fragment.end > total { return .conflictingEnd }
        } else {
            if let total = datagram.totalLength, total != fragment.end { return .conflictingEnd }
            if datagram.highestEnd > fragment.end { return .conflictingEnd }
        }
        if overlapsOtherThanDuplicate(fragment, in: datagram) { return .overlap }
        if datagram.fragments.count >= configuration.maximumFragmentsPerDatagram,
           !isExactDuplicate(fragment, in: datagram) { return .tooManyFragments }
        return nil
    }

    /// The index of the first fragment of `datagram` that starts at or after `offset`.
    func insertionIndex(of offset: Int, in datagram: PartialDatagram) -> Int {
        if datagram.highestEnd <= offset { return datagram.fragments.count }
        var low = 0
        var high = datagram.fragments.count
        while low < high {
            let middle = (low + high) / 2
            if datagram.fragments[middle].offset < offset { low = middle + 1 } else { high = middle }
        }
        return low
    }

    /// Whether `fragment` has the same offset and length as one already held.
    func isExactDuplicate(_ fragment: Fragment, in datagram: PartialDatagram) -> Bool {
        let index = insertionIndex(of: fragment.offset, in: datagram)
        guard index < datagram.fragments.count else { return false }
        let held = datagram.fragments[index]
        return held.offset == fragment.offset && held.end == fragment.end
    }

    /// Whether `fragment` shares bytes with a held fragment without being its exact duplicate.
    func overlapsOtherThanDuplicate(_ fragment: Fragment, in datagram: PartialDatagram) -> Bool {
        if isExactDuplicate(fragment, in: datagram) { return false }
        let index = insertionIndex(of: fragment.offset, in: datagram)
        if index > 0, datagram.fragments[index - 1].end > fragment.offset { return true }
        if index < datagram.fragments.count, datagram.fragments[index].offset < fragment.end { return true }
        return false
    }

    /// Makes room for `fragment` under the limits, or says why it cannot be kept. Expired
    /// datagrams are forgotten first; then, while a new datagram would pass
    /// ``Configuration/maximumDatagrams`` or the fragment would pass ``Configuration/memoryLimit``,
    /// the datagram whose first fragment came earliest is evicted (and counted in
    /// ``Statistics/evicted``). A fragment that completes its datagram is let in past the memory
    /// limit: the datagram leaves at once, freeing more than the fragment holds.
    ///
    /// Evicting rather than refusing: a real datagram's fragments arrive within about a round trip
    /// of each other, so an attacker would have to start ``Configuration/maximumDatagrams`` new
    /// datagrams within that time to flush one; refusing new fragments instead let 64 forged first
    /// fragments stop all reassembly for the 30 s of their timeout (measured over tap, issue 13).
    /// The work per fragment stays bounded: each eviction is a scan of at most
    /// ``Configuration/maximumDatagrams`` entries, and a fragment evicts at most that many.
    mutating func limitReached(adding fragment: Fragment, header: Header, to datagram: PartialDatagram,
                               now: Instant, charged other: Int) -> ReassemblyDrop? {
        let isNew = datagram.fragments.isEmpty
        if isNew, datagrams.count >= configuration.maximumDatagrams {
            tick(now: now)
            while datagrams.count >= configuration.maximumDatagrams {
                guard evictOldest() else { return .tooManyDatagrams }
            }
        }
        if completes(datagram, with: fragment, header: header) { return nil }
        // Charged as it will be kept: in a buffer of its own when its own is wasteful.
        let payloadSize = fragment.payload.isWasteful ? fragment.payload.count + PacketBuffer.storageOverhead
                                                      : fragment.payload.trueSize
        let charge = payloadSize + MemoryLayout<Fragment>.stride + (isNew ? Self.datagramCharge : 0)
        if other + statistics.chargedBytes + charge > configuration.memoryLimit {
            tick(now: now)
            while other + statistics.chargedBytes + charge > configuration.memoryLimit {
                guard evictOldest() else { return .memoryLimit }
            }
        }
        return nil
    }

    /// Forgets the held datagram whose first fragment came earliest; false when none is held.
    mutating func evictOldest() -> Bool {
        guard let oldest = datagrams.min(by: { $0.value.expires < $1.value.expires })?.key else { return false }
        forget(oldest)
        statistics.evicted += 1
        return true
    }

    /// Whether adding `fragment` (already checked against `datagram`) leaves it complete.
    func completes(_ datagram: PartialDatagram, with fragment: Fragment, header: Header) -> Bool {
        let total = header.moreFragments ? datagram.totalLength : fragment.end
        let hasFirst = datagram.firstHeader != nil || fragment.offset == 0
        return hasFirst && total == datagram.bufferedBytes + fragment.payload.count
    }

    // MARK: - Changes

    /// Adds `fragment`, already checked, to `datagram`.
    func insert(_ fragment: Fragment, header: Header, into datagram: inout PartialDatagram) {
        datagram.fragments.insert(fragment, at: insertionIndex(of: fragment.offset, in: datagram))
        datagram.bufferedBytes += fragment.payload.count
        datagram.chargedBytes += Self.charge(of: fragment.payload)
        if !header.moreFragments { datagram.totalLength = fragment.end }
        if fragment.offset == 0 { datagram.firstHeader = header }
    }

    /// The whole datagram, its fragments copied into one buffer, under the first fragment's header
    /// made whole (``FragmentedHeader/reassembled(payloadLength:)``), or nil when that header and
    /// the payload would pass 65,535 octets.
    func reassembled(_ datagram: PartialDatagram) -> (header: Header, payload: PacketBuffer)? {
        guard let first = datagram.firstHeader, let total = datagram.totalLength,
              let header = first.reassembled(payloadLength: total) else { return nil }
        var payload = PacketBuffer(capacity: total)
        payload.appendZeros(total)
        payload.withUnsafeMutableBytes { destination in
            for fragment in datagram.fragments {
                fragment.payload.withUnsafeBytes { source in
                    UnsafeMutableRawBufferPointer(rebasing: destination[fragment.offset..<fragment.end])
                        .copyMemory(from: source)
                }
            }
        }
        return (header, payload)
    }

    /// Puts `datagram` back in the table under `key`, unless it holds nothing.
    mutating func keep(_ datagram: PartialDatagram, _ key: DatagramKey) -> Reassembly<Header> {
        if !datagram.fragments.isEmpty { datagrams[key] = datagram }
        statistics.datagramsInProgress = datagrams.count
        return .incomplete
    }

    /// Refuses a fragment for `reason` and counts it.
    mutating func refuse(_ reason: ReassemblyDrop) -> Reassembly<Header> {
        switch reason {
        case .overlap: statistics.overlapsDropped += 1
        case .oversized, .misaligned, .tooSmall, .conflictingEnd: statistics.malformedDropped += 1
        case .tooManyDatagrams, .tooManyFragments, .memoryLimit: statistics.limitDropped += 1
        }
        statistics.datagramsInProgress = datagrams.count
        return .dropped(reason)
    }

    /// Forgets the datagram under `key` when its time is up, as ``tick(now:)`` would have.
    mutating func forgetIfExpired(_ key: DatagramKey, now: Instant) {
        if let datagram = datagrams[key], datagram.expires <= now {
            forget(key)
            statistics.timedOut += 1
        }
    }

    /// Forgets the datagram under `key`, releasing its bytes.
    mutating func forget(_ key: DatagramKey) {
        if let datagram = datagrams.removeValue(forKey: key) {
            statistics.chargedBytes -= datagram.chargedBytes
        }
        statistics.datagramsInProgress = datagrams.count
    }
}
