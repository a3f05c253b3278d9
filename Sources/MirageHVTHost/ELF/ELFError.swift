/// Why an image is not a guest the tender can load; `description` is the sentence it prints.
///
/// Segments and sections are named by their index in the program or section header table,
/// counted from 0 (as `readelf -l` and `readelf -S` list them). File offsets are decimal, guest
/// addresses hexadecimal.
public enum ELFError: Error, Equatable, CustomStringConvertible {
    /// The file does not begin with `\x7fELF` (`ELFMAG`).
    case badMagic
    /// `e_ident[EI_CLASS]` is not `ELFCLASS64` (2).
    case notClass64(UInt8)
    /// `e_ident[EI_DATA]` is not `ELFDATA2LSB` (1).
    case notLittleEndian(UInt8)
    /// `e_ident[EI_VERSION]` or `e_version` is not `EV_CURRENT` (1).
    case unsupportedVersion(UInt32)
    /// `e_type` is not `ET_EXEC` (2).
    case notExecutable(type: UInt16)
    /// `e_machine` is not `EM_X86_64` (62).
    case notX86_64(machine: UInt16)
    /// `e_ehsize` is not 64, the size of an ELF64 header.
    case badHeaderSize(UInt16)
    /// `e_phentsize` is not 56, the size of an ELF64 program header.
    case badProgramHeaderSize(UInt16)
    /// `e_phnum` is `PN_XNUM` (0xffff): extended program header numbering, which no guest needs.
    case extendedProgramHeaderCount
    /// `e_shentsize` is not 64, the size of an ELF64 section header, in a file with sections.
    case badSectionHeaderSize(UInt16)
    /// `part` claims the file's bytes `offset..<offset + length`, which the file does not have
    /// (or that end wraps around 64 bits).
    case truncated(ELFFilePart, offset: UInt64, length: UInt64, fileSize: Int)
    /// No program header has type `PT_LOAD`.
    case noLoadSegment
    /// A load segment has more bytes in the file than in memory (`p_filesz > p_memsz`).
    case fileSizeExceedsMemorySize(segment: Int, fileSize: UInt64, memorySize: UInt64)
    /// A load segment's `p_vaddr` differs from its `p_paddr`: the guest runs identity-mapped.
    case virtualAddressMismatch(segment: Int, virtualAddress: UInt64, physicalAddress: UInt64)
    /// A load segment's `p_paddr..<p_paddr + p_memsz` is not inside `memoryStart..<memoryEnd`
    /// (or that end wraps around 64 bits).
    case segmentOutsideMemory(segment: Int, address: UInt64, size: UInt64, memoryStart: UInt64, memoryEnd: UInt64)
    /// Two load segments claim some of the same guest addresses.
    case segmentsOverlap(first: Int, firstRange: Range<UInt64>, second: Int, secondRange: Range<UInt64>)
    /// `e_entry` is not inside a load segment whose flags include `PF_X`.
    case entryNotExecutable(UInt64)
    /// `e_shstrndx` (or, for `SHN_XINDEX`, section 0's `sh_link`) is not a section of the file.
    case sectionNameTableMissing(index: UInt64, sectionCount: UInt64)
    /// The section name table is `SHT_NOBITS`: it has no bytes in the file.
    case sectionNameTableNotInFile(index: UInt64)
    /// A section's `sh_name` is not the offset of a NUL-terminated string in the section name table.
    case badSectionName(section: Int, offset: UInt32, tableSize: UInt64)

    public var description: String {
        switch self {
        case .badMagic:
            return "not an ELF file (bad magic)"
        case let .notClass64(elfClass):
            return "not a 64-bit ELF file (EI_CLASS \(elfClass)\(elfClass == 1 ? ", 32-bit" : ""); 64-bit is 2)"
        case let .notLittleEndian(data):
            return "not a little-endian ELF file (EI_DATA \(data)\(data == 2 ? ", big-endian" : ""); little-endian is 1)"
        case let .unsupportedVersion(version):
            return "unsupported ELF version \(version) (the only version is 1)"
        case let .notExecutable(type):
            let kinds: [UInt16: String] = [0: "no file type", 1: "a relocatable object", 3: "a shared object or position-independent executable", 4: "a core file"]
            let kind = kinds[type].map { ", " + $0 } ?? ""
            return "not a fixed-address executable (e_type \(type)\(kind)); link the guest with -static -no-pie to get e_type 2"
        case let .notX86_64(machine):
            return "not a 64-bit x86-64 executable (e_machine \(machine))"
        case let .badHeaderSize(size):
            return "the ELF header size e_ehsize is \(size), not 64"
        case let .badProgramHeaderSize(size):
            return "the program header size e_phentsize is \(size), not 56"
        case .extendedProgramHeaderCount:
            return "extended program header numbering (e_phnum 0xffff) is not supported"
        case let .badSectionHeaderSize(size):
            return "the section header size e_shentsize is \(size), not 64"
        case let .truncated(part, offset, length, fileSize):
            let (end, wraps) = offset.addingReportingOverflow(length)
            if wraps {
                return "the image is malformed: \(part) claims \(length) bytes at file offset \(offset), which wraps around 64 bits (the file has \(fileSize))"
            }
            return "the image is truncated: \(part) needs bytes \(offset)..<\(end) but the file has \(fileSize)"
        case .noLoadSegment:
            return "the image has no loadable segment (PT_LOAD)"
        case let .fileSizeExceedsMemorySize(segment, fileSize, memorySize):
            return "segment \(segment) has \(fileSize) bytes in the file but only \(memorySize) in memory (p_filesz > p_memsz)"
        case let .virtualAddressMismatch(segment, virtualAddress, physicalAddress):
            return "segment \(segment) has virtual address \(hex(virtualAddress)) but physical address \(hex(physicalAddress)); the guest runs identity-mapped, so they must be equal"
        case let .segmentOutsideMemory(segment, address, size, memoryStart, memoryEnd):
            let memory = "guest memory \(hex(memoryStart))..<\(hex(memoryEnd))"
            let (end, wraps) = address.addingReportingOverflow(size)
            if wraps {
                return "segment \(segment) claims \(hex(size)) bytes at \(hex(address)), which wraps around 64 bits (\(memory))"
            }
            return "segment \(segment) loads at \(hex(address))..<\(hex(end)), outside \(memory)"
        case let .segmentsOverlap(first, firstRange, second, secondRange):
            return "segments \(first) (\(hex(firstRange))) and \(second) (\(hex(secondRange))) overlap"
        case let .entryNotExecutable(entry):
            return "the entry point \(hex(entry)) is not in an executable segment"
        case let .sectionNameTableMissing(index, sectionCount):
            return "the section name table is section \(index), but the file has \(sectionCount) sections"
        case let .sectionNameTableNotInFile(index):
            return "the section name table (section \(index)) has no bytes in the file (SHT_NOBITS)"
        case let .badSectionName(section, offset, tableSize):
            return "section \(section)'s name at offset \(offset) is not a NUL-terminated string in the \(tableSize)-byte section name table"
        }
    }
}

/// A part of an ELF file, as named in ``ELFError`` messages.
public enum ELFFilePart: Equatable, CustomStringConvertible {
    case header
    case programHeaderTable
    case sectionHeaderTable
    /// A program header's file bytes, by its index in the program header table.
    case segment(Int)
    /// A section's file bytes, by its index in the section header table.
    case section(Int)

    public var description: String {
        switch self {
        case .header: return "the ELF header"
        case .programHeaderTable: return "the program header table"
        case .sectionHeaderTable: return "the section header table"
        case let .segment(index): return "segment \(index)"
        case let .section(index): return "section \(index)"
        }
    }
}

/// `0x` and the value in lowercase hexadecimal.
private func hex(_ value: UInt64) -> String {
    "0x" + String(value, radix: 16)
}

/// A range of guest addresses as `0x1000..<0x2000`.
private func hex(_ range: Range<UInt64>) -> String {
    hex(range.lowerBound) + "..<" + hex(range.upperBound)
}
