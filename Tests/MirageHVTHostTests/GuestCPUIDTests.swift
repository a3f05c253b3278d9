import CKVM
import Testing

/// The CPU the guest is told it runs on (CKVM.h, `mirage_kvm_guest_cpuid`): the host's, reduced
/// to the features guests are built for and the tender sets up.
@Suite("Guest CPUID")
struct GuestCPUIDTests {
    /// The table's entries by leaf.
    static func table() -> [UInt32: kvm_cpuid_entry2] {
        var cpuid = mirage_kvm_guest_cpuid()
        mirage_kvm_guest_cpuid_build(&cpuid)
        let entries = withUnsafeBytes(of: cpuid.entries) { Array($0.bindMemory(to: kvm_cpuid_entry2.self)) }
        return Dictionary(uniqueKeysWithValues: entries.prefix(Int(cpuid.nent)).map { ($0.function, $0) })
    }

    @Test("the table has the basic, structured and extended leaves of any x86-64 CPU")
    func leaves() {
        let table = Self.table()
        #expect(Set(table.keys) == [0, 1, 7, 0x8000_0000, 0x8000_0001, 0x8000_0007, 0x8000_0008])
        #expect(table[0]?.eax == 7)
        #expect(table[0x8000_0000]?.eax == 0x8000_0008)
        #expect(table[7]?.flags == UInt32(KVM_CPUID_FLAG_SIGNIFCANT_INDEX))
    }

    @Test("what the tender sets up is there: long mode, NX, SYSCALL, FXSR and SSE2")
    func requiredFeatures() {
        let table = Self.table()
        let extended = table[0x8000_0001]?.edx ?? 0
        #expect(extended & (1 << 29) != 0 && extended & (1 << 20) != 0 && extended & (1 << 11) != 0)
        let basic = table[1]?.edx ?? 0
        #expect(basic & (1 << 24) != 0 && basic & (1 << 26) != 0)
    }

    @Test("nothing beyond the listed features is shown")
    func onlyListedFeatures() {
        let table = Self.table()
        #expect((table[1]?.ecx ?? 0) & ~0xC298_2203 == 0)
        #expect((table[1]?.edx ?? 0) & ~0x0788_8151 == 0)
        #expect((table[1]?.ebx ?? 0) & ~0x0000_FF00 == 0)
        #expect(table[7]?.ebx ?? 0 <= 1 && table[7]?.ecx == 0 && table[7]?.edx == 0)
        #expect((table[0x8000_0001]?.ecx ?? 0) & ~1 == 0)
        #expect((table[0x8000_0001]?.edx ?? 0) & ~0x2010_0800 == 0)
        #expect((table[0x8000_0007]?.edx ?? 0) & ~0x100 == 0)
    }
}
