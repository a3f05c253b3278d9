/// One ELF64 program header (`Elf64_Phdr`, System V gABI, "Program Header").
struct ELFProgramHeader {
    /// `sizeof(Elf64_Phdr)`.
    static let size = 56
    /// `PT_LOAD`: a segment to load into memory.
    static let loadType: UInt32 = 1

    /// `p_type`.
    var type: UInt32
    /// `p_flags`: `PF_X` (1), `PF_W` (2), `PF_R` (4).
    var flags: UInt32
    /// `p_offset`: where the segment's bytes start in the file.
    var offset: UInt64
    /// `p_vaddr`: where the segment runs.
    var virtualAddress: UInt64
    /// `p_paddr`: where the segment loads in guest-physical memory.
    var physicalAddress: UInt64
    /// `p_filesz`: bytes in the file.
    var fileSize: UInt64
    /// `p_memsz`: bytes in memory; those past `p_filesz` are zero (bss).
    var memorySize: UInt64

    /// Reads the program header at file offset `offset`; the caller has checked that its
    /// ``size`` bytes lie in the file.
    init(_ file: ELFFileBytes, at offset: Int) {
        type = file.read(UInt32.self, at: offset)
        flags = file.read(UInt32.self, at: offset + 4)
        self.offset = file.read(UInt64.self, at: offset + 8)
        virtualAddress = file.read(UInt64.self, at: offset + 16)
        physicalAddress = file.read(UInt64.self, at: offset + 24)
        fileSize = file.read(UInt64.self, at: offset + 32)
        memorySize = file.read(UInt64.self, at: offset + 40)
        // p_align (offset + 48) does not matter: segments are copied, not mapped.
    }
}
