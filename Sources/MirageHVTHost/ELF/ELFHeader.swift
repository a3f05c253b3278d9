/// The ELF64 file header (`Elf64_Ehdr`, System V gABI, "ELF Header"), checked for what the tender
/// loads: a little-endian 64-bit x86-64 executable at fixed addresses.
struct ELFHeader {
    /// `sizeof(Elf64_Ehdr)`.
    static let size = 64
    /// `ELFMAG`: `\x7f` `E` `L` `F`.
    static let magic: [UInt8] = [0x7F, 0x45, 0x4C, 0x46]
    /// `ELFCLASS64`.
    static let class64: UInt8 = 2
    /// `ELFDATA2LSB`.
    static let littleEndian: UInt8 = 1
    /// `EV_CURRENT`.
    static let currentVersion: UInt32 = 1
    /// `ET_EXEC`.
    static let executableType: UInt16 = 2
    /// `EM_X86_64`.
    static let x86_64: UInt16 = 62
    /// `PN_XNUM`: the program header count does not fit `e_phnum`.
    static let extendedProgramHeaderCount: UInt16 = 0xFFFF

    /// `e_entry`: the guest address where execution starts.
    var entry: UInt64
    /// `e_phoff`: the program header table's file offset.
    var programHeaderOffset: UInt64
    /// `e_shoff`: the section header table's file offset, 0 when there is none.
    var sectionHeaderOffset: UInt64
    /// `e_phnum`.
    var programHeaderCount: UInt16
    /// `e_shentsize`.
    var sectionHeaderEntrySize: UInt16
    /// `e_shnum`: 0 when there are no sections or, with a section header table, when section 0's
    /// `sh_size` holds the count.
    var sectionHeaderCount: UInt16
    /// `e_shstrndx`: the section name table's index, `SHN_UNDEF` (0) or `SHN_XINDEX` (0xffff).
    var sectionNameTableIndex: UInt16

    /// Reads and checks the header at the start of `file`.
    /// - Throws: the first problem found, in file order: ``ELFError/badMagic``, the identification
    ///   bytes, a short file, then `e_type`, `e_machine`, `e_version`, `e_ehsize` and `e_phentsize`.
    init(_ file: ELFFileBytes) throws(ELFError) {
        let bytes = file.bytes
        for (index, byte) in Self.magic.enumerated() where index < bytes.count && bytes[index] != byte {
            throw .badMagic
        }
        // e_ident[EI_CLASS], [EI_DATA], [EI_VERSION]: judged before the length, since a 32-bit
        // header is shorter.
        if bytes.count > 4, bytes[4] != Self.class64 { throw .notClass64(bytes[4]) }
        if bytes.count > 5, bytes[5] != Self.littleEndian { throw .notLittleEndian(bytes[5]) }
        if bytes.count > 6, UInt32(bytes[6]) != Self.currentVersion { throw .unsupportedVersion(UInt32(bytes[6])) }
        _ = try file.extent(.header, offset: 0, length: UInt64(Self.size))

        let type = file.read(UInt16.self, at: 16)
        guard type == Self.executableType else { throw .notExecutable(type: type) }
        let machine = file.read(UInt16.self, at: 18)
        guard machine == Self.x86_64 else { throw .notX86_64(machine: machine) }
        let version = file.read(UInt32.self, at: 20)
        guard version == Self.currentVersion else { throw .unsupportedVersion(version) }
        let headerSize = file.read(UInt16.self, at: 52)
        guard headerSize == UInt16(Self.size) else { throw .badHeaderSize(headerSize) }
        let programHeaderEntrySize = file.read(UInt16.self, at: 54)
        guard programHeaderEntrySize == UInt16(ELFProgramHeader.size) else {
            throw .badProgramHeaderSize(programHeaderEntrySize)
        }

        entry = file.read(UInt64.self, at: 24)
        programHeaderOffset = file.read(UInt64.self, at: 32)
        sectionHeaderOffset = file.read(UInt64.self, at: 40)
        programHeaderCount = file.read(UInt16.self, at: 56)
        sectionHeaderEntrySize = file.read(UInt16.self, at: 58)
        sectionHeaderCount = file.read(UInt16.self, at: 60)
        sectionNameTableIndex = file.read(UInt16.self, at: 62)
    }
}
