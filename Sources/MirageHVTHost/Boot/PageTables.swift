import CMirageHVTABI

/// Builds the guest's page tables: the first 4 GiB identity-mapped with 2 MiB pages, every entry
/// user-accessible (the guest runs at CPL3), so guest memory and the hypercall addresses above it
/// are reachable at their physical addresses.
///
/// Layout at `MIRAGE_HVT_PAGE_TABLES`: the PML4, then one PDPT, then four page directories.
enum PageTables {
    static let present: UInt64 = 1 << 0
    static let writable: UInt64 = 1 << 1
    static let user: UInt64 = 1 << 2
    static let largePage: UInt64 = 1 << 7

    /// Writes the tables into `memory`; returns the PML4's address for CR3.
    static func build(in memory: GuestMemory) throws(TenderError) -> UInt64 {
        let pml4 = UInt64(MIRAGE_HVT_PAGE_TABLES)
        let pdpt = pml4 + 0x1000
        let directories = pdpt + 0x1000
        let flags = present | writable | user
        var ok = memory.zero(at: pml4, length: 6 * 0x1000)
        ok = ok && memory.store(pdpt | flags, at: pml4)
        for gigabyte in 0..<UInt64(4) {
            let directory = directories + gigabyte * 0x1000
            ok = ok && memory.store(directory | flags, at: pdpt + gigabyte * 8)
            for entry in 0..<UInt64(512) {
                let address = (gigabyte << 30) | (entry << 21)
                ok = ok && memory.store(address | flags | largePage, at: directory + entry * 8)
            }
        }
        guard ok else {
            throw TenderError("guest memory is too small for the page tables", status: TenderExitStatus.usage)
        }
        return pml4
    }
}
