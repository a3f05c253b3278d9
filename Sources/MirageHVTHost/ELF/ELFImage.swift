#if canImport(Glibc)
import Glibc
#endif
import CLinux
import CMirageHVTABI

/// A guest image: an ELF64 x86-64 executable (System V gABI and x86-64 psABI), checked so that
/// loading it touches nothing outside the guest and a malformed or hostile file is refused with a
/// clear ``ELFError`` instead of a crash.
///
/// What `init(bytes:memoryLimit:)` checks:
/// - the ELF header: magic, 64-bit class, little-endian data, version 1, `ET_EXEC`, `EM_X86_64`,
///   `e_ehsize` 64 and `e_phentsize` 56, and the program header table inside the file;
/// - each `PT_LOAD` segment: `p_filesz <= p_memsz`, `p_vaddr == p_paddr` (the guest is
///   identity-mapped), its file bytes inside the file and its memory inside
///   `MIRAGE_HVT_IMAGE_BASE..<memoryLimit`; segments do not overlap; there is at least one;
/// - the entry point lies in a segment with `PF_X`;
/// - the section header table, when there is one (`e_shentsize` 64, the table, the name table,
///   every name and every section's file bytes inside the file).
///
/// No sum or product of file values can wrap: each bounds check is written so it cannot overflow.
public struct ELFImage {
    /// A `PT_LOAD` segment: `fileSize` bytes from the file, then zeros up to `memorySize`.
    public struct LoadSegment: Equatable {
        /// `p_flags`.
        public struct Flags: OptionSet, Equatable {
            public var rawValue: UInt32
            public init(rawValue: UInt32) { self.rawValue = rawValue }
            /// `PF_X`.
            public static let execute = Flags(rawValue: 1)
            /// `PF_W`.
            public static let write = Flags(rawValue: 2)
            /// `PF_R`.
            public static let read = Flags(rawValue: 4)
        }

        /// `p_offset`: where the bytes start in the file.
        public let fileOffset: UInt64
        /// `p_filesz`: bytes copied from the file.
        public let fileSize: UInt64
        /// `p_paddr` (equal to `p_vaddr`): the guest address it loads at.
        public let address: UInt64
        /// `p_memsz`: bytes in guest memory, at least `fileSize`; the rest is zeroed (bss).
        public let memorySize: UInt64
        /// `p_flags`.
        public let flags: Flags

        /// The segment's bytes in the file, which lie inside it.
        public var fileRange: Range<Int> { Int(fileOffset)..<Int(fileOffset + fileSize) }
        /// The guest addresses it occupies, inside the guest memory it was checked against.
        public var addressRange: Range<UInt64> { address..<address + memorySize }
    }

    /// A named section, from the section header table.
    public struct Section: Equatable {
        /// Its index in the section header table.
        public let index: Int
        /// Its name from the section name table; bytes that are not UTF-8 read as U+FFFD.
        public let name: String
        /// `sh_type`.
        public let type: UInt32
        /// Its bytes in the file, which lie inside it; `nil` for `SHT_NOBITS`.
        public let fileRange: Range<Int>?
    }

    /// `e_entry`: where the guest starts, inside an executable segment.
    public let entry: UInt64
    /// The `PT_LOAD` segments in program header order; at least one, none overlapping.
    public let segments: [LoadSegment]
    /// The end of the highest segment (`address + memorySize`), rounded up to a 4096-byte page:
    /// the heap can start here.
    public let imageEnd: UInt64
    /// The sections other than `SHT_NULL` ones, in table order; empty when the file has no section
    /// header table or no section name table.
    public let sections: [Section]
    /// The file, for ``load(into:)`` and the bytes of ``sections``.
    public let file: ImageFile

    /// Parses and checks the executable in `bytes` for a guest whose image may occupy
    /// `MIRAGE_HVT_IMAGE_BASE..<memoryLimit`.
    /// - Parameters:
    ///   - bytes: the whole file, which is copied.
    ///   - memoryLimit: where the image's area ends; the tender passes guest memory's size minus
    ///     the stack. Taken as at most `MIRAGE_HVT_MAX_MEMORY`, where guest memory always ends.
    /// - Throws: ``ELFError`` describing the first problem found.
    public init(bytes: [UInt8], memoryLimit: UInt64) throws(ELFError) {
        try self.init(file: ImageFile(copying: bytes), memoryLimit: memoryLimit)
    }

    /// Parses and checks the executable in `file`, as ``init(bytes:memoryLimit:)`` does.
    public init(file imageFile: ImageFile, memoryLimit: UInt64) throws(ELFError) {
        let file = ELFFileBytes(bytes: imageFile.bytes)
        let header = try ELFHeader(file)
        guard header.programHeaderCount != ELFHeader.extendedProgramHeaderCount else {
            throw .extendedProgramHeaderCount
        }
        let table = try file.extent(
            .programHeaderTable, offset: header.programHeaderOffset,
            length: UInt64(header.programHeaderCount) * UInt64(ELFProgramHeader.size))

        let memoryStart = UInt64(MIRAGE_HVT_IMAGE_BASE)
        let memoryEnd = min(memoryLimit, UInt64(MIRAGE_HVT_MAX_MEMORY))
        var segments: [LoadSegment] = []
        var indices: [Int] = []
        for (index, offset) in stride(from: table.lowerBound, to: table.upperBound, by: ELFProgramHeader.size).enumerated() {
            let program = ELFProgramHeader(file, at: offset)
            guard program.type == ELFProgramHeader.loadType else { continue }
            guard program.fileSize <= program.memorySize else {
                throw .fileSizeExceedsMemorySize(segment: index, fileSize: program.fileSize, memorySize: program.memorySize)
            }
            guard program.virtualAddress == program.physicalAddress else {
                throw .virtualAddressMismatch(
                    segment: index, virtualAddress: program.virtualAddress, physicalAddress: program.physicalAddress)
            }
            _ = try file.extent(.segment(index), offset: program.offset, length: program.fileSize)
            let address = program.physicalAddress
            guard address >= memoryStart, address <= memoryEnd, program.memorySize <= memoryEnd - address else {
                throw .segmentOutsideMemory(
                    segment: index, address: address, size: program.memorySize,
                    memoryStart: memoryStart, memoryEnd: memoryEnd)
            }
            segments.append(LoadSegment(
                fileOffset: program.offset, fileSize: program.fileSize, address: address,
                memorySize: program.memorySize, flags: LoadSegment.Flags(rawValue: program.flags)))
            indices.append(index)
        }
        guard !segments.isEmpty else { throw .noLoadSegment }

        // Sorted by address, non-empty segments are disjoint when each ends by the next one's start.
        let occupied = zip(indices, segments).filter { $0.1.memorySize > 0 }.sorted { $0.1.address < $1.1.address }
        for (lower, upper) in zip(occupied, occupied.dropFirst()) where upper.1.address < lower.1.addressRange.upperBound {
            throw .segmentsOverlap(
                first: lower.0, firstRange: lower.1.addressRange, second: upper.0, secondRange: upper.1.addressRange)
        }

        let entry = header.entry
        guard segments.contains(where: { $0.flags.contains(.execute) && $0.addressRange.contains(entry) }) else {
            throw .entryNotExecutable(entry)
        }

        let end = segments.map { $0.addressRange.upperBound }.max() ?? memoryStart
        self.entry = entry
        self.segments = segments
        // `end` is at most MIRAGE_HVT_MAX_MEMORY, so rounding up cannot wrap.
        self.imageEnd = (end + 0xFFF) & ~0xFFF
        self.sections = try ELFSectionHeader.sections(in: file, header: header)
        self.file = imageFile
    }

    /// The file bytes of the first section called `name` (such as `MIRAGE_HVT_MANIFEST_SECTION`),
    /// a range inside the file that `init(bytes:memoryLimit:)` was given.
    /// - Returns: the range, or `nil` when no section has that name or it is `SHT_NOBITS`.
    public func section(named name: String) -> Range<Int>? {
        sections.first { $0.name == name }?.fileRange
    }

    /// A copy of the file bytes of the first section called `name`, as ``section(named:)`` finds it.
    public func contents(ofSection name: String) -> [UInt8]? {
        section(named: name).map { Array(file.bytes[$0]) }
    }

    /// Copies each segment's file bytes into `memory` and zeroes the rest of it (the bss part,
    /// `memorySize - fileSize` bytes), through ``GuestMemory``'s checked accessors.
    /// - Returns: whether the image was loaded; `false`, with nothing written, when a segment does
    ///   not fit `memory` (smaller than the `memoryLimit` the image was checked against).
    public func load(into memory: GuestMemory) -> Bool {
        guard segments.allSatisfy({ memory.contains(address: $0.address, length: $0.memorySize) }) else {
            return false
        }
        for segment in segments { memory.populate(at: segment.address, length: segment.memorySize) }
        return segments.allSatisfy { segment in
            memory.copy(UnsafeRawBufferPointer(rebasing: file.bytes[segment.fileRange]), to: segment.address)
                && memory.zero(at: segment.address + segment.fileSize, length: segment.memorySize - segment.fileSize)
        }
    }

    /// After ``load(into:)``: replaces the whole pages of each segment that is not writable
    /// (`PF_W` clear: code and constants) with private mappings of the same pages of the image
    /// file at `path`, so that the guests of one image share them through the page cache instead
    /// of each holding a copy. A page whose mapping does not read as the file bytes checked at
    /// load (the file changed since) is copied again. Only for an image that does not change
    /// while the guest runs (a container image's layers do not).
    /// - Returns: how many bytes are shared.
    public func shareReadOnlyPages(from path: String, in memory: GuestMemory) -> UInt64 {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return 0 }
        defer { close(fd) }
        let page = UInt64(sysconf(Int32(_SC_PAGESIZE)))
        var shared: UInt64 = 0
        for segment in segments where !segment.flags.contains(.write) && segment.fileSize > 0 {
            // File offsets and addresses of a segment agree modulo the page size (ELF's rule for
            // PT_LOAD): the pages wholly inside it can be mapped; its first and last part stay copied.
            guard segment.address % page == segment.fileOffset % page else { continue }
            let start = (segment.address + page - 1) / page * page
            let end = (segment.address + segment.fileSize) / page * page
            guard end > start else { continue }
            let offset = segment.fileOffset + (start - segment.address)
            guard memory.map(file: fd, offset: offset, at: start, length: end - start),
                  let mapped = memory.range(at: start, length: end - start) else { continue }
            let expected = UnsafeRawBufferPointer(rebasing: file.bytes[Int(offset) ..< Int(offset + (end - start))])
            if memcmp(mapped.baseAddress!, expected.baseAddress!, expected.count) != 0 {
                memory.copy(expected, to: start)
            } else {
                shared += end - start
            }
        }
        return shared
    }
}
