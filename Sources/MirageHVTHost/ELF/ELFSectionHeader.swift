/// One ELF64 section header (`Elf64_Shdr`, System V gABI, "Sections").
struct ELFSectionHeader {
    /// `sizeof(Elf64_Shdr)`.
    static let size = 64
    /// `SHT_NULL`: an unused entry, such as section 0.
    static let nullType: UInt32 = 0
    /// `SHT_NOBITS`: a section that occupies no file bytes (bss).
    static let noBitsType: UInt32 = 8
    /// `SHN_XINDEX` in `e_shstrndx`: section 0's `sh_link` holds the index.
    static let extendedIndex: UInt16 = 0xFFFF

    /// `sh_name`: the offset of the name in the section name table.
    var name: UInt32
    /// `sh_type`.
    var type: UInt32
    /// `sh_offset`.
    var offset: UInt64
    /// `sh_size`; in section 0, the section count when `e_shnum` is 0.
    var size: UInt64
    /// `sh_link`; in section 0, the section name table's index when `e_shstrndx` is `SHN_XINDEX`.
    var link: UInt32

    /// Reads the section header at file offset `offset`; the caller has checked that its
    /// ``size`` bytes lie in the file.
    init(_ file: ELFFileBytes, at offset: Int) {
        name = file.read(UInt32.self, at: offset)
        type = file.read(UInt32.self, at: offset + 4)
        self.offset = file.read(UInt64.self, at: offset + 24)
        size = file.read(UInt64.self, at: offset + 32)
        link = file.read(UInt32.self, at: offset + 40)
    }

    /// Reads the section header table that `header` describes and names its sections.
    ///
    /// A file without a section header table (`e_shoff` 0) or without a section name table
    /// (`e_shstrndx` `SHN_UNDEF`) has no named sections. Extended numbering (`e_shnum` 0,
    /// `e_shstrndx` `SHN_XINDEX`) is followed to section 0.
    /// - Returns: every section but `SHT_NULL` ones, in table order.
    /// - Throws: when the table, the name table, a name or a section's file bytes are not all in
    ///   the file: a malformed section table makes the whole image invalid, so that a damaged
    ///   device manifest is never mistaken for a missing one.
    static func sections(in file: ELFFileBytes, header: ELFHeader) throws(ELFError) -> [ELFImage.Section] {
        let tableOffset = header.sectionHeaderOffset
        guard tableOffset != 0 else { return [] }
        guard header.sectionHeaderEntrySize == UInt16(size) else {
            throw .badSectionHeaderSize(header.sectionHeaderEntrySize)
        }
        var count = UInt64(header.sectionHeaderCount)
        var nameTableIndex = UInt64(header.sectionNameTableIndex)
        if count == 0 || header.sectionNameTableIndex == extendedIndex {
            let first = ELFSectionHeader(file, at: try file.extent(.sectionHeaderTable, offset: tableOffset, length: UInt64(size)).lowerBound)
            if count == 0 { count = first.size }
            if header.sectionNameTableIndex == extendedIndex { nameTableIndex = UInt64(first.link) }
        }
        let (tableLength, overflow) = count.multipliedReportingOverflow(by: UInt64(size))
        let table = try file.extent(.sectionHeaderTable, offset: tableOffset, length: overflow ? .max : tableLength)
        let headers = stride(from: table.lowerBound, to: table.upperBound, by: size).map { ELFSectionHeader(file, at: $0) }

        guard nameTableIndex != 0 else { return [] }
        guard nameTableIndex < count else {
            throw .sectionNameTableMissing(index: nameTableIndex, sectionCount: count)
        }
        let nameTable = headers[Int(nameTableIndex)]
        guard nameTable.type != noBitsType else { throw .sectionNameTableNotInFile(index: nameTableIndex) }
        let names = try file.extent(.section(Int(nameTableIndex)), offset: nameTable.offset, length: nameTable.size)

        var sections: [ELFImage.Section] = []
        for (index, section) in headers.enumerated() where section.type != nullType {
            guard UInt64(section.name) < nameTable.size,
                  let end = file.bytes[(names.lowerBound + Int(section.name))..<names.upperBound].firstIndex(of: 0)
            else {
                throw .badSectionName(section: index, offset: section.name, tableSize: nameTable.size)
            }
            let name = String(decoding: file.bytes[(names.lowerBound + Int(section.name))..<end], as: UTF8.self)
            let fileRange: Range<Int>? = if section.type == noBitsType {
                nil
            } else {
                try file.extent(.section(index), offset: section.offset, length: section.size)
            }
            sections.append(ELFImage.Section(index: index, name: name, type: section.type, fileRange: fileRange))
        }
        return sections
    }
}
