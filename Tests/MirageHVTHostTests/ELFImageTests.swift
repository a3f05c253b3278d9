import CMirageHVTABI
import Glibc
import MirageHVTHost
import Testing

/// Guest images: what a valid executable parses to and how it loads, and every way a malformed or
/// hostile file is refused with a clear message instead of a crash.
@Suite("ELF images")
struct ELFImageTests {
    /// The image area of a guest with 3 MiB of memory and a 1 MiB stack: 0x100000..<0x200000.
    static let memoryLimit: UInt64 = 0x20_0000

    // MARK: - A small ELF writer

    /// Writes a small ELF64 file: the header, the program headers, each segment's bytes, then (when
    /// there are sections) their bytes, the section name table and the section header table.
    struct Builder {
        struct Segment {
            var type: UInt32 = 1 // PT_LOAD
            var flags: UInt32
            var address: UInt64
            var data: [UInt8]
            var memorySize: UInt64
        }

        struct Section {
            var name: String
            var type: UInt32 = 1 // SHT_PROGBITS
            /// The section's bytes; an `SHT_NOBITS` section writes none but keeps the size.
            var data: [UInt8]
        }

        var type: UInt16 = 2     // ET_EXEC
        var machine: UInt16 = 62 // EM_X86_64
        var entry: UInt64 = 0x10_0010
        var segments: [Segment]
        var sections: [Section] = []

        /// The valid image most tests start from:
        /// - segment 0: code, R+X, 32 bytes at 0x100000, file offset 232;
        /// - segment 1: data, R+W, 16 bytes from the file at 0x101000 then bss up to 0x1800 bytes;
        /// - segment 2: PT_GNU_STACK at address 0, which is not loaded and so not checked;
        /// - sections `.text`, `.mirage.devices` ("block:storage\n"), `.bss` (SHT_NOBITS) and
        ///   `.shstrtab`, when `withSections`.
        static func standard(withSections: Bool = true) -> Builder {
            var builder = Builder(segments: [
                Segment(flags: 5, address: 0x10_0000, data: code, memorySize: 32),
                Segment(flags: 6, address: 0x10_1000, data: initializedData, memorySize: 0x1800),
                Segment(type: 0x6474_E551, flags: 6, address: 0, data: [], memorySize: 0),
            ])
            if withSections {
                builder.sections = [
                    Section(name: ".text", data: code),
                    Section(name: ".mirage.devices", data: Array("block:storage\n".utf8)),
                    Section(name: ".bss", type: 8, data: [UInt8](repeating: 0, count: 0x17F0)),
                ]
            }
            return builder
        }

        static let code = (0..<32).map { UInt8(0x90 &+ $0) }
        static let initializedData = (0..<16).map { UInt8(0xA0 &+ $0) }

        func build() -> [UInt8] {
            var file = [UInt8](repeating: 0, count: 64 + 56 * segments.count)
            var segmentOffsets: [Int] = []
            for segment in segments {
                segmentOffsets.append(file.count)
                file += segment.data
            }
            var sectionHeaders: [(name: Int, type: UInt32, offset: Int, size: Int)] = []
            var sectionHeaderOffset = 0
            if !sections.isEmpty {
                var names: [UInt8] = [0]
                sectionHeaders.append((0, 0, 0, 0)) // SHT_NULL
                for section in sections + [Section(name: ".shstrtab", type: 3, data: [])] {
                    let nameOffset = names.count
                    names += Array(section.name.utf8) + [0]
                    if section.name == ".shstrtab" {
                        sectionHeaders.append((nameOffset, 3, file.count, names.count))
                        file += names
                    } else {
                        sectionHeaders.append((nameOffset, section.type, file.count, section.data.count))
                        if section.type != 8 { file += section.data }
                    }
                }
                while file.count % 8 != 0 { file.append(0) }
                sectionHeaderOffset = file.count
                for header in sectionHeaders {
                    var entry = [UInt8](repeating: 0, count: 64)
                    Self.put(UInt32(header.name), at: 0, in: &entry)
                    Self.put(header.type, at: 4, in: &entry)
                    Self.put(UInt64(header.offset), at: 24, in: &entry)
                    Self.put(UInt64(header.size), at: 32, in: &entry)
                    file += entry
                }
            }
            file.replaceSubrange(0..<16, with: [0x7F, 0x45, 0x4C, 0x46, 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0])
            Self.put(type, at: 16, in: &file)
            Self.put(machine, at: 18, in: &file)
            Self.put(UInt32(1), at: 20, in: &file)
            Self.put(entry, at: 24, in: &file)
            Self.put(UInt64(64), at: 32, in: &file)
            Self.put(UInt64(sectionHeaderOffset), at: 40, in: &file)
            Self.put(UInt16(64), at: 52, in: &file)
            Self.put(UInt16(56), at: 54, in: &file)
            Self.put(UInt16(segments.count), at: 56, in: &file)
            Self.put(UInt16(sections.isEmpty ? 0 : 64), at: 58, in: &file)
            Self.put(UInt16(sectionHeaders.count), at: 60, in: &file)
            Self.put(UInt16(sections.isEmpty ? 0 : sectionHeaders.count - 1), at: 62, in: &file)
            for (index, segment) in segments.enumerated() {
                let header = 64 + 56 * index
                Self.put(segment.type, at: header, in: &file)
                Self.put(segment.flags, at: header + 4, in: &file)
                Self.put(UInt64(segmentOffsets[index]), at: header + 8, in: &file)
                Self.put(segment.address, at: header + 16, in: &file)
                Self.put(segment.address, at: header + 24, in: &file)
                Self.put(UInt64(segment.data.count), at: header + 32, in: &file)
                Self.put(segment.memorySize, at: header + 40, in: &file)
                Self.put(UInt64(0x1000), at: header + 48, in: &file)
            }
            return file
        }

        /// Writes `value` little-endian at `offset`.
        static func put<T: FixedWidthInteger>(_ value: T, at offset: Int, in bytes: inout [UInt8]) {
            for index in 0..<(T.bitWidth / 8) {
                bytes[offset + index] = UInt8(truncatingIfNeeded: value >> (8 * index))
            }
        }

        /// Reads the little-endian `T` at `offset`.
        static func get<T: FixedWidthInteger>(_: T.Type, at offset: Int, in bytes: [UInt8]) -> T {
            (0..<(T.bitWidth / 8)).reduce(T(0)) { $0 | T(truncatingIfNeeded: bytes[offset + $1]) << (8 * $1) }
        }
    }

    /// File offsets of the fields tests patch (System V gABI, `Elf64_Ehdr`, `Elf64_Phdr`, `Elf64_Shdr`).
    enum Field {
        static let type = 16, machine = 18, version = 20, entry = 24, programHeaderOffset = 32
        static let sectionHeaderOffset = 40, headerSize = 52, programHeaderEntrySize = 54
        static let programHeaderCount = 56, sectionHeaderEntrySize = 58, sectionHeaderCount = 60
        static let sectionNameTableIndex = 62

        /// A field of program header `index`: p_type +0, p_flags +4, p_offset +8, p_vaddr +16,
        /// p_paddr +24, p_filesz +32, p_memsz +40.
        static func segment(_ index: Int, _ field: Int) -> Int { 64 + 56 * index + field }
        static let segmentType = 0, segmentOffset = 8, virtualAddress = 16, physicalAddress = 24
        static let fileSize = 32, memorySize = 40

        /// A field of section header `index` in `file`: sh_name +0, sh_type +4, sh_offset +24,
        /// sh_size +32, sh_link +40.
        static func section(_ index: Int, _ field: Int, in file: [UInt8]) -> Int {
            Int(Builder.get(UInt64.self, at: sectionHeaderOffset, in: file)) + 64 * index + field
        }
        static let sectionName = 0, sectionOffset = 24, sectionSize = 32, sectionLink = 40
    }

    static func put<T: FixedWidthInteger>(_ value: T, at offset: Int, in bytes: inout [UInt8]) {
        Builder.put(value, at: offset, in: &bytes)
    }

    /// Moves segment `index` to `address`, virtual and physical.
    static func move(segment index: Int, to address: UInt64, in bytes: inout [UInt8]) {
        put(address, at: Field.segment(index, Field.virtualAddress), in: &bytes)
        put(address, at: Field.segment(index, Field.physicalAddress), in: &bytes)
    }

    /// The error parsing `bytes` throws, or nil when it parses.
    static func rejection(_ bytes: [UInt8], memoryLimit: UInt64 = memoryLimit) -> ELFError? {
        do {
            _ = try ELFImage(bytes: bytes, memoryLimit: memoryLimit)
            return nil
        } catch {
            return error
        }
    }

    /// Calls `body` with `size` bytes of guest memory filled with 0xCC.
    static func withGuestMemory<R>(size: Int, _ body: (GuestMemory, UnsafeMutableRawBufferPointer) throws -> R) rethrows -> R {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 4096)
        defer { buffer.deallocate() }
        buffer.initializeMemory(as: UInt8.self, repeating: 0xCC)
        return try body(GuestMemory(bytes: buffer), buffer)
    }

    // MARK: - A valid image

    @Test func aValidImageParsesToItsEntrySegmentsAndEnd() throws {
        let bytes = Builder.standard().build()
        let image = try ELFImage(bytes: bytes, memoryLimit: Self.memoryLimit)
        #expect(image.entry == 0x10_0010)
        #expect(image.segments.count == 2)
        let code = image.segments[0]
        #expect(code.fileOffset == 232 && code.fileSize == 32 && code.address == 0x10_0000 && code.memorySize == 32)
        #expect(code.flags == [.read, .execute])
        let data = image.segments[1]
        #expect(data.fileOffset == 264 && data.fileSize == 16 && data.address == 0x10_1000 && data.memorySize == 0x1800)
        #expect(data.flags == [.read, .write])
        #expect(Array(bytes[code.fileRange]) == Builder.code)
        #expect(data.addressRange == 0x10_1000..<0x10_2800)
        #expect(image.imageEnd == 0x10_3000)
    }

    @Test func theDeviceManifestSectionIsFoundByName() throws {
        let bytes = Builder.standard().build()
        let image = try ELFImage(bytes: bytes, memoryLimit: Self.memoryLimit)
        let manifest = try #require(image.section(named: MIRAGE_HVT_MANIFEST_SECTION))
        #expect(String(decoding: bytes[manifest], as: UTF8.self) == "block:storage\n")
        #expect(image.section(named: ".text").map { Array(bytes[$0]) } == Builder.code)
        #expect(image.contents(ofSection: MIRAGE_HVT_MANIFEST_SECTION) == Array("block:storage\n".utf8))
        #expect(image.contents(ofSection: ".data") == nil)
        #expect(image.sections.map(\.name) == [".text", ".mirage.devices", ".bss", ".shstrtab"])
        #expect(image.sections.map(\.index) == [1, 2, 3, 4])
    }

    @Test func sectionLookupIsNilForAMissingNameANoBitsSectionAndAPrefix() throws {
        let image = try ELFImage(bytes: Builder.standard().build(), memoryLimit: Self.memoryLimit)
        #expect(image.section(named: ".data") == nil)
        #expect(image.section(named: ".bss") == nil)
        #expect(image.section(named: ".mirage") == nil)
        #expect(image.section(named: "") == nil)
    }

    @Test func anImageWithoutSectionHeadersHasNoSections() throws {
        let image = try ELFImage(bytes: Builder.standard(withSections: false).build(), memoryLimit: Self.memoryLimit)
        #expect(image.sections.isEmpty)
        #expect(image.section(named: MIRAGE_HVT_MANIFEST_SECTION) == nil)
        #expect(image.segments.count == 2)
    }

    @Test func anImageWithoutASectionNameTableHasNoNamedSections() throws {
        var bytes = Builder.standard().build()
        Self.put(UInt16(0), at: Field.sectionNameTableIndex, in: &bytes) // SHN_UNDEF
        let image = try ELFImage(bytes: bytes, memoryLimit: Self.memoryLimit)
        #expect(image.sections.isEmpty)
    }

    @Test func extendedSectionNumberingIsFollowedToSectionZero() throws {
        var bytes = Builder.standard().build()
        let count = Builder.get(UInt16.self, at: Field.sectionHeaderCount, in: bytes)
        let names = Builder.get(UInt16.self, at: Field.sectionNameTableIndex, in: bytes)
        Self.put(UInt64(count), at: Field.section(0, Field.sectionSize, in: bytes), in: &bytes)
        Self.put(UInt32(names), at: Field.section(0, Field.sectionLink, in: bytes), in: &bytes)
        Self.put(UInt16(0), at: Field.sectionHeaderCount, in: &bytes)
        Self.put(UInt16(0xFFFF), at: Field.sectionNameTableIndex, in: &bytes) // SHN_XINDEX
        let image = try ELFImage(bytes: bytes, memoryLimit: Self.memoryLimit)
        let manifest = try #require(image.section(named: ".mirage.devices"))
        #expect(String(decoding: bytes[manifest], as: UTF8.self) == "block:storage\n")
    }

    @Test func aSegmentMayEndExactlyAtTheMemoryLimit() throws {
        var bytes = Builder.standard().build()
        Self.put(UInt64(0x20_0000 - 0x10_1000), at: Field.segment(1, Field.memorySize), in: &bytes)
        let image = try ELFImage(bytes: bytes, memoryLimit: Self.memoryLimit)
        #expect(image.imageEnd == 0x20_0000)
    }

    @Test func segmentsMayTouchWithoutOverlapping() throws {
        var bytes = Builder.standard().build()
        Self.move(segment: 1, to: 0x10_0020, in: &bytes)
        let image = try ELFImage(bytes: bytes, memoryLimit: Self.memoryLimit)
        #expect(image.imageEnd == 0x10_2000) // 0x100020 + 0x1800, rounded up
    }

    @Test func theEntryPointMayBeTheLastByteOfAnExecutableSegment() throws {
        var bytes = Builder.standard().build()
        Self.put(UInt64(0x10_001F), at: Field.entry, in: &bytes)
        #expect(try ELFImage(bytes: bytes, memoryLimit: Self.memoryLimit).entry == 0x10_001F)
    }

    // MARK: - Loading

    @Test func loadCopiesTheFileBytesAndZeroesTheBss() throws {
        let image = try ELFImage(bytes: Builder.standard().build(), memoryLimit: Self.memoryLimit)
        Self.withGuestMemory(size: Int(Self.memoryLimit)) { memory, raw in
            #expect(image.load(into: memory))
            #expect(Array(raw[0x10_0000..<0x10_0020]) == Builder.code)
            #expect(Array(raw[0x10_1000..<0x10_1010]) == Builder.initializedData)
            #expect(raw[0x10_1010..<0x10_2800].allSatisfy { $0 == 0 })
            // Nothing around the segments is touched.
            #expect(raw[..<0x10_0000].allSatisfy { $0 == 0xCC })
            #expect(raw[0x10_0020..<0x10_1000].allSatisfy { $0 == 0xCC })
            #expect(raw[0x10_2800...].allSatisfy { $0 == 0xCC })
        }
    }

    /// All of a /proc file, read until its end (its size says 0).
    static func readProcFile(_ path: String) -> [UInt8] {
        let fd = open(path, O_RDONLY)
        defer { close(fd) }
        var result: [UInt8] = [], chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count <= 0 { return result }
            result += chunk[..<count]
        }
    }

    @Test("--share-image: the whole pages of a read-only segment become a private mapping of the file, reading as the copy did; a write to them leaves the file as it was; a writable segment stays copied")
    func sharingReadOnlyPagesMapsTheFile() throws {
        // Code of three pages and a bit, at an address that agrees with its file offset (176,
        // after the header and two program headers)
        // modulo the page size, as linkers lay out PT_LOAD segments.
        let code = (0 ..< 3 * 4096 + 100).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 1) }
        var builder = Builder(entry: 0x10_0100, segments: [
            Builder.Segment(flags: 5, address: 0x10_00B0, data: code, memorySize: UInt64(code.count)),
            Builder.Segment(flags: 6, address: 0x10_5000, data: Builder.initializedData, memorySize: 0x1000),
        ])
        builder.sections = []
        let bytes = builder.build()
        let path = "/tmp/mirage-share-image-\(getpid()).elf"
        defer { unlink(path) }
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
        let image = try ELFImage(file: ImageFile(path: path), memoryLimit: Self.memoryLimit)
        let size = Int(Self.memoryLimit)
        let base = try #require(mmap(nil, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0))
        defer { munmap(base, size) }
        let raw = UnsafeMutableRawBufferPointer(start: base, count: size)
        let memory = GuestMemory(bytes: raw)
        #expect(image.load(into: memory))
        #expect(image.shareReadOnlyPages(from: path, in: memory) == 2 * 4096, "the pages wholly inside the code: 0x101000..<0x103000")
        #expect(Array(raw[0x10_00B0 ..< 0x10_00B0 + code.count]) == code)
        #expect(Array(raw[0x10_5000 ..< 0x10_5010]) == Builder.initializedData)
        // The mapped range is the file's (smaps names it); a write copies the page, not into the file.
        let maps = String(decoding: Self.readProcFile("/proc/self/maps"), as: UTF8.self)
        let start = String(UInt(bitPattern: base) + 0x10_1000, radix: 16)
        #expect(maps.split(separator: "\n").contains { $0.hasPrefix(start + "-") && $0.hasSuffix(path) }, "\(maps)")
        // Populated from the page cache, not copied: none of it is anonymous memory yet.
        let smaps = String(decoding: Self.readProcFile("/proc/self/smaps"), as: UTF8.self)
        let entry = smaps.components(separatedBy: "\n" + start + "-").dropFirst().first ?? ""
        let anonymous = entry.split(separator: "\n").first { $0.hasPrefix("Anonymous:") }
        #expect(anonymous?.split(separator: " ").dropFirst().first == "0", "\(entry.prefix(400))")
        let resident = entry.split(separator: "\n").first { $0.hasPrefix("Rss:") }
        #expect(resident?.split(separator: " ").dropFirst().first == "8", "populated: both pages resident, \(entry.prefix(400))")
        raw[0x10_1000] = 0xEE
        let reread = try ImageFile(path: path)
        #expect(reread.bytes[176 + 0xF50] == code[0xF50], "the file is unchanged")
        #expect(raw[0x10_1001] == code[0xF51])
    }

    @Test func loadRefusesMemorySmallerThanTheImageAndWritesNothing() throws {
        let image = try ELFImage(bytes: Builder.standard().build(), memoryLimit: Self.memoryLimit)
        Self.withGuestMemory(size: 0x10_27FF) { memory, raw in
            #expect(!image.load(into: memory))
            #expect(raw.allSatisfy { $0 == 0xCC })
        }
    }

    // MARK: - Rejections: the header

    @Test func badMagicIsRefused() {
        var bytes = Builder.standard().build()
        bytes[1] = UInt8(ascii: "e")
        #expect(Self.rejection(bytes) == .badMagic)
        #expect(Self.rejection(bytes)?.description == "not an ELF file (bad magic)")
        #expect(Self.rejection(Array("#!/bin/sh\necho hello\n".utf8)) == .badMagic)
        #expect(Self.rejection([0x7F, 0x45, 0x00]) == .badMagic)
    }

    @Test func anEmptyFileIsTruncated() {
        #expect(Self.rejection([]) == .truncated(.header, offset: 0, length: 64, fileSize: 0))
        #expect(Self.rejection([])?.description == "the image is truncated: the ELF header needs bytes 0..<64 but the file has 0")
    }

    @Test func a32BitFileIsRefusedEvenWhenShorterThanA64BitHeader() {
        var bytes = Builder.standard().build()
        bytes[4] = 1 // ELFCLASS32
        #expect(Self.rejection(bytes) == .notClass64(1))
        #expect(Self.rejection(bytes)?.description == "not a 64-bit ELF file (EI_CLASS 1, 32-bit; 64-bit is 2)")
        #expect(Self.rejection(Array(bytes.prefix(52))) == .notClass64(1))
    }

    @Test func aBigEndianFileIsRefused() {
        var bytes = Builder.standard().build()
        bytes[5] = 2 // ELFDATA2MSB
        #expect(Self.rejection(bytes) == .notLittleEndian(2))
        #expect(Self.rejection(bytes)?.description == "not a little-endian ELF file (EI_DATA 2, big-endian; little-endian is 1)")
    }

    @Test func anUnknownELFVersionIsRefused() {
        var identification = Builder.standard().build()
        identification[6] = 0
        #expect(Self.rejection(identification) == .unsupportedVersion(0))
        var header = Builder.standard().build()
        Self.put(UInt32(2), at: Field.version, in: &header)
        #expect(Self.rejection(header) == .unsupportedVersion(2))
        #expect(Self.rejection(header)?.description == "unsupported ELF version 2 (the only version is 1)")
    }

    @Test func anotherMachineIsRefused() {
        var builder = Builder.standard()
        builder.machine = 40 // EM_ARM
        #expect(Self.rejection(builder.build()) == .notX86_64(machine: 40))
        #expect(Self.rejection(builder.build())?.description == "not a 64-bit x86-64 executable (e_machine 40)")
    }

    @Test("a shared object, PIE or relocatable object is refused", arguments: [UInt16(3), 1, 0, 4, 0xFE00])
    func notAnExecutableIsRefused(type: UInt16) {
        var builder = Builder.standard()
        builder.type = type
        #expect(Self.rejection(builder.build()) == .notExecutable(type: type))
    }

    @Test func aPositionIndependentExecutableIsToldToLinkWithNoPIE() {
        var builder = Builder.standard()
        builder.type = 3 // ET_DYN
        #expect(Self.rejection(builder.build())?.description
            == "not a fixed-address executable (e_type 3, a shared object or position-independent executable); link the guest with -static -no-pie to get e_type 2")
    }

    @Test func theToolchainsBinTrueIsRefusedAsNotAFixedAddressExecutable() throws {
        let bytes = try #require(Self.readFile("/bin/true"))
        #expect(Self.rejection(bytes) == .notExecutable(type: 3))
        #expect(Self.rejection(bytes)?.description.hasPrefix("not a fixed-address executable (e_type 3") == true)
    }

    @Test func aWrongHeaderSizeIsRefused() {
        var bytes = Builder.standard().build()
        Self.put(UInt16(52), at: Field.headerSize, in: &bytes)
        #expect(Self.rejection(bytes) == .badHeaderSize(52))
        #expect(Self.rejection(bytes)?.description == "the ELF header size e_ehsize is 52, not 64")
    }

    @Test func aWrongProgramHeaderSizeIsRefused() {
        var bytes = Builder.standard().build()
        Self.put(UInt16(32), at: Field.programHeaderEntrySize, in: &bytes)
        #expect(Self.rejection(bytes) == .badProgramHeaderSize(32))
        #expect(Self.rejection(bytes)?.description == "the program header size e_phentsize is 32, not 56")
    }

    @Test func extendedProgramHeaderNumberingIsRefused() {
        var bytes = Builder.standard().build()
        Self.put(UInt16(0xFFFF), at: Field.programHeaderCount, in: &bytes)
        #expect(Self.rejection(bytes) == .extendedProgramHeaderCount)
    }

    // MARK: - Rejections: truncation

    @Test("a file cut inside the ELF header is truncated", arguments: [4, 16, 40, 63])
    func truncatedInsideTheHeader(length: Int) {
        let bytes = Array(Builder.standard().build().prefix(length))
        #expect(Self.rejection(bytes) == .truncated(.header, offset: 0, length: 64, fileSize: length))
    }

    @Test("a file cut inside the program header table is truncated", arguments: [64, 100, 231])
    func truncatedInsideTheProgramHeaders(length: Int) {
        let bytes = Array(Builder.standard().build().prefix(length))
        #expect(Self.rejection(bytes) == .truncated(.programHeaderTable, offset: 64, length: 168, fileSize: length))
        #expect(Self.rejection(bytes)?.description
            == "the image is truncated: the program header table needs bytes 64..<232 but the file has \(length)")
    }

    @Test("a file cut inside a segment's bytes is truncated", arguments: [(232, 0), (250, 0), (263, 0), (264, 1), (279, 1)])
    func truncatedInsideASegment(length: Int, segment: Int) {
        let bytes = Array(Builder.standard(withSections: false).build().prefix(length))
        let expected: ELFError = segment == 0
            ? .truncated(.segment(0), offset: 232, length: 32, fileSize: length)
            : .truncated(.segment(1), offset: 264, length: 16, fileSize: length)
        #expect(Self.rejection(bytes) == expected)
    }

    @Test func aProgramHeaderTableBeyondTheFileIsRefusedWithoutWrapping() {
        var bytes = Builder.standard().build()
        Self.put(UInt64.max - 10, at: Field.programHeaderOffset, in: &bytes)
        #expect(Self.rejection(bytes) == .truncated(.programHeaderTable, offset: .max - 10, length: 168, fileSize: bytes.count))
        #expect(Self.rejection(bytes)?.description
            == "the image is malformed: the program header table claims 168 bytes at file offset 18446744073709551605, which wraps around 64 bits (the file has \(bytes.count))")
    }

    @Test func aSegmentWhoseFileOffsetPlusSizeWrapsIsRefused() {
        var bytes = Builder.standard().build()
        Self.put(UInt64.max - 7, at: Field.segment(1, Field.segmentOffset), in: &bytes)
        #expect(Self.rejection(bytes) == .truncated(.segment(1), offset: .max - 7, length: 16, fileSize: bytes.count))
        #expect(Self.rejection(bytes)?.description.contains("wraps around 64 bits") == true)
    }

    @Test func aSegmentBeyondTheEndOfTheFileIsRefused() {
        var bytes = Builder.standard().build()
        Self.put(UInt64(bytes.count - 8), at: Field.segment(1, Field.segmentOffset), in: &bytes)
        #expect(Self.rejection(bytes) == .truncated(.segment(1), offset: UInt64(bytes.count - 8), length: 16, fileSize: bytes.count))
    }

    // MARK: - Rejections: segments

    @Test func aSegmentBelowTheImageBaseIsRefused() {
        var bytes = Builder.standard().build()
        Self.move(segment: 0, to: 0x5000, in: &bytes)
        #expect(Self.rejection(bytes) == .segmentOutsideMemory(segment: 0, address: 0x5000, size: 32, memoryStart: 0x10_0000, memoryEnd: 0x20_0000))
        #expect(Self.rejection(bytes)?.description == "segment 0 loads at 0x5000..<0x5020, outside guest memory 0x100000..<0x200000")
    }

    @Test func aSegmentBeyondGuestMemoryIsRefused() {
        var bytes = Builder.standard().build()
        Self.move(segment: 1, to: 0x1F_F000, in: &bytes)
        #expect(Self.rejection(bytes) == .segmentOutsideMemory(segment: 1, address: 0x1F_F000, size: 0x1800, memoryStart: 0x10_0000, memoryEnd: 0x20_0000))
        #expect(Self.rejection(bytes)?.description == "segment 1 loads at 0x1ff000..<0x200800, outside guest memory 0x100000..<0x200000")
        // One byte too many at the exact limit.
        var oneOver = Builder.standard().build()
        Self.put(UInt64(0x20_0000 - 0x10_1000 + 1), at: Field.segment(1, Field.memorySize), in: &oneOver)
        #expect(Self.rejection(oneOver) == .segmentOutsideMemory(segment: 1, address: 0x10_1000, size: 0xF_F001, memoryStart: 0x10_0000, memoryEnd: 0x20_0000))
    }

    @Test func aSegmentStartingPastTheMemoryLimitIsRefused() {
        var bytes = Builder.standard().build()
        Self.move(segment: 1, to: 0x30_0000, in: &bytes)
        Self.put(UInt64(0), at: Field.segment(1, Field.memorySize), in: &bytes)
        Self.put(UInt64(0), at: Field.segment(1, Field.fileSize), in: &bytes)
        #expect(Self.rejection(bytes) == .segmentOutsideMemory(segment: 1, address: 0x30_0000, size: 0, memoryStart: 0x10_0000, memoryEnd: 0x20_0000))
    }

    @Test func noSegmentLoadsAtOrAboveTheHypercallAddressesWhateverTheLimit() {
        var bytes = Builder.standard().build()
        Self.move(segment: 1, to: UInt64(MIRAGE_HVT_HYPERCALL_BASE), in: &bytes)
        #expect(Self.rejection(bytes, memoryLimit: .max)
            == .segmentOutsideMemory(segment: 1, address: 0xC000_0000, size: 0x1800, memoryStart: 0x10_0000, memoryEnd: 0xC000_0000))
    }

    @Test func aSegmentWhoseAddressPlusSizeWrapsIsRefused() {
        var bytes = Builder.standard().build()
        Self.move(segment: 1, to: 0xFFFF_FFFF_FFFF_F000, in: &bytes)
        Self.put(UInt64(0x2000), at: Field.segment(1, Field.memorySize), in: &bytes)
        #expect(Self.rejection(bytes, memoryLimit: .max)
            == .segmentOutsideMemory(segment: 1, address: 0xFFFF_FFFF_FFFF_F000, size: 0x2000, memoryStart: 0x10_0000, memoryEnd: 0xC000_0000))
        #expect(Self.rejection(bytes)?.description
            == "segment 1 claims 0x2000 bytes at 0xfffffffffffff000, which wraps around 64 bits (guest memory 0x100000..<0x200000)")
    }

    @Test func aSegmentWithMoreFileBytesThanMemoryIsRefused() {
        var bytes = Builder.standard().build()
        Self.put(UInt64(8), at: Field.segment(1, Field.memorySize), in: &bytes)
        #expect(Self.rejection(bytes) == .fileSizeExceedsMemorySize(segment: 1, fileSize: 16, memorySize: 8))
        #expect(Self.rejection(bytes)?.description == "segment 1 has 16 bytes in the file but only 8 in memory (p_filesz > p_memsz)")
    }

    @Test func aSegmentWhoseVirtualAndPhysicalAddressesDifferIsRefused() {
        var bytes = Builder.standard().build()
        Self.put(UInt64(0xFFFF_FFFF_8010_1000), at: Field.segment(1, Field.virtualAddress), in: &bytes)
        #expect(Self.rejection(bytes) == .virtualAddressMismatch(segment: 1, virtualAddress: 0xFFFF_FFFF_8010_1000, physicalAddress: 0x10_1000))
    }

    @Test func overlappingSegmentsAreRefused() {
        var bytes = Builder.standard().build()
        Self.move(segment: 1, to: 0x10_0010, in: &bytes)
        #expect(Self.rejection(bytes) == .segmentsOverlap(first: 0, firstRange: 0x10_0000..<0x10_0020, second: 1, secondRange: 0x10_0010..<0x10_1810))
        #expect(Self.rejection(bytes)?.description == "segments 0 (0x100000..<0x100020) and 1 (0x100010..<0x101810) overlap")
    }

    @Test func aSegmentInsideAnotherIsRefusedWhicheverComesFirst() {
        var builder = Builder.standard(withSections: false)
        builder.segments[1].address = 0x10_0000
        builder.segments[1].memorySize = 0x10_0000
        builder.segments[0].address = 0x10_0800
        builder.entry = 0x10_0800
        #expect(Self.rejection(builder.build()) == .segmentsOverlap(first: 1, firstRange: 0x10_0000..<0x20_0000, second: 0, secondRange: 0x10_0800..<0x10_0820))
    }

    @Test func anImageWithoutALoadSegmentIsRefused() {
        var bytes = Builder.standard().build()
        Self.put(UInt32(4), at: Field.segment(0, Field.segmentType), in: &bytes) // PT_NOTE
        Self.put(UInt32(4), at: Field.segment(1, Field.segmentType), in: &bytes)
        #expect(Self.rejection(bytes) == .noLoadSegment)
        #expect(Self.rejection(bytes)?.description == "the image has no loadable segment (PT_LOAD)")
        var empty = Builder.standard()
        empty.segments = []
        #expect(Self.rejection(empty.build()) == .noLoadSegment)
    }

    @Test("an entry point outside every executable segment is refused", arguments: [
        UInt64(0x123), 0x10_0020, 0x0F_FFFF, 0x10_1000, 0x10_1008, .max,
    ])
    func anEntryPointOutsideExecutableCodeIsRefused(entry: UInt64) {
        var builder = Builder.standard()
        builder.entry = entry
        #expect(Self.rejection(builder.build()) == .entryNotExecutable(entry))
    }

    @Test func theEntryPointMessageNamesTheAddress() {
        var builder = Builder.standard()
        builder.entry = 0x123
        #expect(Self.rejection(builder.build())?.description == "the entry point 0x123 is not in an executable segment")
    }

    // MARK: - Rejections: sections

    @Test func aWrongSectionHeaderSizeIsRefused() {
        var bytes = Builder.standard().build()
        Self.put(UInt16(40), at: Field.sectionHeaderEntrySize, in: &bytes)
        #expect(Self.rejection(bytes) == .badSectionHeaderSize(40))
        #expect(Self.rejection(bytes)?.description == "the section header size e_shentsize is 40, not 64")
    }

    @Test func aSectionHeaderTableCutShortIsRefused() {
        let whole = Builder.standard().build()
        let bytes = Array(whole.prefix(whole.count - 1))
        let tableOffset = Builder.get(UInt64.self, at: Field.sectionHeaderOffset, in: whole)
        #expect(Self.rejection(bytes) == .truncated(.sectionHeaderTable, offset: tableOffset, length: 5 * 64, fileSize: bytes.count))
    }

    @Test func aSectionCountThatOverflowsIsRefused() {
        var bytes = Builder.standard().build()
        Self.put(UInt64.max / 2, at: Field.section(0, Field.sectionSize, in: bytes), in: &bytes)
        Self.put(UInt16(0), at: Field.sectionHeaderCount, in: &bytes)
        guard case .truncated(.sectionHeaderTable, _, _, _)? = Self.rejection(bytes) else {
            Issue.record("expected a truncated section header table, got \(String(describing: Self.rejection(bytes)))")
            return
        }
    }

    @Test func aSectionNameTableIndexPastTheTableIsRefused() {
        var bytes = Builder.standard().build()
        Self.put(UInt16(9), at: Field.sectionNameTableIndex, in: &bytes)
        #expect(Self.rejection(bytes) == .sectionNameTableMissing(index: 9, sectionCount: 5))
        #expect(Self.rejection(bytes)?.description == "the section name table is section 9, but the file has 5 sections")
    }

    @Test func aNoBitsSectionNameTableIsRefused() {
        var bytes = Builder.standard().build()
        Self.put(UInt16(3), at: Field.sectionNameTableIndex, in: &bytes) // .bss
        #expect(Self.rejection(bytes) == .sectionNameTableNotInFile(index: 3))
    }

    @Test func aSectionNameOutsideTheNameTableIsRefused() {
        var bytes = Builder.standard().build()
        Self.put(UInt32(1000), at: Field.section(2, Field.sectionName, in: bytes), in: &bytes)
        let tableSize = Builder.get(UInt64.self, at: Field.section(4, Field.sectionSize, in: bytes), in: bytes)
        #expect(Self.rejection(bytes) == .badSectionName(section: 2, offset: 1000, tableSize: tableSize))
        #expect(Self.rejection(bytes)?.description
            == "section 2's name at offset 1000 is not a NUL-terminated string in the \(tableSize)-byte section name table")
    }

    @Test func aSectionNameWithoutItsNULIsRefused() {
        var bytes = Builder.standard().build()
        // Drop the name table's last byte, the NUL ending ".shstrtab", the last name.
        let size = Field.section(4, Field.sectionSize, in: bytes)
        let tableSize = Builder.get(UInt64.self, at: size, in: bytes)
        Self.put(tableSize - 1, at: size, in: &bytes)
        #expect(Self.rejection(bytes) == .badSectionName(section: 4, offset: UInt32(tableSize - 10), tableSize: tableSize - 1))
    }

    @Test func aSectionNameTableBeyondTheFileIsRefused() {
        var bytes = Builder.standard().build()
        Self.put(UInt64(0x10_0000), at: Field.section(4, Field.sectionOffset, in: bytes), in: &bytes)
        guard case .truncated(.section(4), 0x10_0000, _, _)? = Self.rejection(bytes) else {
            Issue.record("expected section 4 to be truncated, got \(String(describing: Self.rejection(bytes)))")
            return
        }
    }

    @Test func aSectionBeyondTheFileIsRefusedSoABrokenManifestIsNeverTakenForNone() {
        var bytes = Builder.standard().build()
        Self.put(UInt64.max, at: Field.section(2, Field.sectionOffset, in: bytes), in: &bytes)
        #expect(Self.rejection(bytes) == .truncated(.section(2), offset: .max, length: 14, fileSize: bytes.count))
    }

    // MARK: - Hostile input

    /// SplitMix64: a small seeded generator, so every run mutates the same way.
    struct SeededGenerator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    @Test func randomMutationsNeverTrapAndWhateverParsesIsSafeToLoad() {
        let valid = Builder.standard().build()
        var random = SeededGenerator(state: 0x6D69_7261_6765)
        let interesting: [UInt64] = [0, 1, 0x38, 0x40, 0xFF, 0xFFFF, 0x10_0000, 0x1F_FFFF, 0x20_0000,
                                     0x7FFF_FFFF_FFFF_FFFF, .max - 7, .max]
        var parsed = 0
        Self.withGuestMemory(size: Int(Self.memoryLimit)) { memory, _ in
            for _ in 0..<4000 {
                var bytes = valid
                for _ in 0..<Int.random(in: 1...4, using: &random) {
                    switch Int.random(in: 0..<5, using: &random) {
                    case 0, 1: // a random byte anywhere, mostly in the headers
                        let end = Bool.random(using: &random) ? min(bytes.count, 64 + 56 * 3) : bytes.count
                        if end > 0 { bytes[Int.random(in: 0..<end, using: &random)] = UInt8.random(in: 0...255, using: &random) }
                    case 2: // an interesting value written over an aligned field
                        let offset = Int.random(in: 0..<max(1, bytes.count / 8), using: &random) * 8
                        let value = interesting.randomElement(using: &random)!
                        let width = [2, 4, 8].randomElement(using: &random)!
                        for index in 0..<width where offset + index < bytes.count {
                            bytes[offset + index] = UInt8(truncatingIfNeeded: value >> (8 * index))
                        }
                    case 3: // cut the file
                        bytes = Array(bytes.prefix(Int.random(in: 0...bytes.count, using: &random)))
                    default: // flip one bit
                        if !bytes.isEmpty {
                            bytes[Int.random(in: 0..<bytes.count, using: &random)] ^= 1 << UInt8.random(in: 0..<8, using: &random)
                        }
                    }
                }
                guard let image = try? ELFImage(bytes: bytes, memoryLimit: Self.memoryLimit) else { continue }
                parsed += 1
                // What parses keeps every promise the tender relies on.
                for segment in image.segments {
                    #expect(segment.fileRange.upperBound <= bytes.count)
                    #expect(segment.address >= 0x10_0000 && segment.addressRange.upperBound <= Self.memoryLimit)
                    #expect(segment.fileSize <= segment.memorySize)
                    #expect(image.imageEnd >= segment.addressRange.upperBound)
                }
                #expect(image.segments.contains { $0.flags.contains(.execute) && $0.addressRange.contains(image.entry) })
                for section in image.sections {
                    if let range = section.fileRange { #expect(range.upperBound <= bytes.count) }
                }
                if let manifest = image.section(named: MIRAGE_HVT_MANIFEST_SECTION) { _ = bytes[manifest] }
                #expect(image.load(into: memory))
            }
        }
        // The mutations leave enough images valid that loading is exercised too.
        #expect(parsed > 100)
    }

    /// The bytes of the file at `path`, or nil when it cannot be read.
    static func readFile(_ path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = read(fd, &chunk, chunk.count)
            if count < 0 && errno == EINTR { continue }
            if count < 0 { return nil }
            if count == 0 { return bytes }
            bytes += chunk[0..<count]
        }
    }
}

/// The hvt ABI version an image declares in its `.mirage.abi` section, which the tender checks
/// before it runs the image.
@Suite("Guest ABI version")
struct GuestABIVersionTests {
    typealias Builder = ELFImageTests.Builder

    /// The standard test image with a `.mirage.abi` section of `bytes` (none when nil).
    static func image(abiSection bytes: [UInt8]?) throws -> ELFImage {
        var builder = Builder.standard()
        if let bytes { builder.sections.append(Builder.Section(name: MIRAGE_HVT_ABI_SECTION, data: bytes)) }
        return try ELFImage(bytes: builder.build(), memoryLimit: ELFImageTests.memoryLimit)
    }

    static func littleEndian(_ value: UInt64) -> [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) } }

    @Test func anImageSpeakingThisVersionPasses() throws {
        let version = GuestABIVersion(of: try Self.image(abiSection: Self.littleEndian(UInt64(MIRAGE_HVT_ABI_VERSION))))
        #expect(version == .version(UInt64(MIRAGE_HVT_ABI_VERSION)))
        #expect(throws: Never.self) { try version.check(image: "guest.hvt") }
    }

    @Test func anImageOfAnotherVersionIsRefusedNamingBoth() throws {
        let version = GuestABIVersion(of: try Self.image(abiSection: Self.littleEndian(1)))
        #expect(version == .version(1))
        #expect(throws: TenderError("guest.hvt: it was built for hvt ABI version 1, and this tender speaks version \(MIRAGE_HVT_ABI_VERSION); rebuild it with this checkout's swift-mirage build", status: TenderExitStatus.badImage)) {
            try version.check(image: "guest.hvt")
        }
    }

    @Test func anImageWithoutTheSectionIsRefused() throws {
        let version = GuestABIVersion(of: try Self.image(abiSection: nil))
        #expect(version == .missing)
        #expect(throws: TenderError("guest.hvt: it has no .mirage.abi section, so it is not a swift-mirage hvt guest or was built for hvt ABI version 1, and this tender speaks version \(MIRAGE_HVT_ABI_VERSION); rebuild it with this checkout's swift-mirage build", status: TenderExitStatus.badImage)) {
            try version.check(image: "guest.hvt")
        }
    }

    @Test(arguments: [0, 4, 9]) func aSectionOfTheWrongSizeIsRefused(length: Int) throws {
        let version = GuestABIVersion(of: try Self.image(abiSection: [UInt8](repeating: 2, count: length)))
        #expect(version == .malformed(length: length))
        #expect(throws: TenderError.self) { try version.check(image: "guest.hvt") }
    }
}
