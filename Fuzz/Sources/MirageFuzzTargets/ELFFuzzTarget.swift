import MirageHVTHost

extension FuzzTargets {
    /// Guest memory the ELF and hypercall targets load into: 1 MiB, allocated once.
    nonisolated(unsafe) static let guestBytes = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 4096)

    /// A unikernel image as the tender checks it before loading (ELF64, PT_LOAD segments inside
    /// guest memory, sections, the `.mirage.abi` note): checked, its ABI read, and loaded into
    /// 1 MiB of guest memory, every segment inside it.
    static let elf = FuzzTarget("elf", "ELFImage checks, GuestABIVersion, load into guest memory") { bytes in
        let memoryLimit = UInt64(guestBytes.count)
        guard let image = try? ELFImage(bytes: Array(bytes), memoryLimit: memoryLimit) else { return }
        for segment in image.segments {
            require(segment.addressRange.upperBound <= memoryLimit, "a segment past the memory limit was accepted")
            require(segment.fileRange.upperBound <= bytes.count, "a segment past the file's end was accepted")
        }
        _ = GuestABIVersion(of: image)
        _ = image.load(into: GuestMemory(bytes: guestBytes))
    }
}
