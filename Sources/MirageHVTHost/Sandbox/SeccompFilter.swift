#if canImport(Glibc)
import Glibc
#endif
import CKVM
import CLinux

/// The tender's seccomp filter (seccomp(2), classic BPF), installed once the VM is set up, as
/// Firecracker does: from then on the tender may make only the system calls its run loop needs,
/// and `ioctl` only with the requests it makes (running the vCPU, reading its registers for a
/// crash report, resetting a tap device's offloads). Any other call kills the process
/// (`SECCOMP_RET_KILL_PROCESS`, SIGSYS), so a guest that found a bug in the tender could not make
/// it open files, sockets or processes.
public enum SeccompFilter {
    /// One classic BPF instruction, laid out as `struct sock_filter`.
    public typealias Instruction = sock_filter

    /// The system calls the run loop makes after set-up: hypercalls (console and tap writes, tap
    /// and block reads and writes, flushes, waits, and the `poll` that asks a tap whether more
    /// frames wait when a guest's receive batch is full), the memory allocator, clocks where the vDSO
    /// falls back to a call, the exit path (reports, closing devices, unmapping guest memory).
    public static let allowedSystemCalls: [Int32] = [
        SYS_read, SYS_write, SYS_readv, SYS_writev, SYS_pread64, SYS_pwrite64, SYS_preadv, SYS_pwritev,
        SYS_fsync, SYS_fdatasync, SYS_epoll_wait, SYS_epoll_pwait, SYS_epoll_ctl, SYS_poll, SYS_ppoll,
        SYS_clock_gettime, SYS_clock_nanosleep, SYS_nanosleep, SYS_gettimeofday,
        SYS_brk, SYS_mmap, SYS_munmap, SYS_mremap, SYS_madvise, SYS_mprotect, SYS_futex,
        SYS_rt_sigprocmask, SYS_rt_sigreturn, SYS_getpid, SYS_gettid,
        SYS_close, SYS_exit, SYS_exit_group,
    ]

    /// The ioctl requests allowed (the second argument's low 32 bits).
    public static var allowedIoctls: [UInt32] {
        [UInt32(truncatingIfNeeded: mirage_kvm_run_request()), UInt32(truncatingIfNeeded: mirage_kvm_get_regs_request()),
         UInt32(truncatingIfNeeded: mirage_tap_set_offloads_request())]
    }

    /// Offsets in `struct seccomp_data`.
    static let numberOffset: UInt32 = 0
    static let architectureOffset: UInt32 = 4
    static let secondArgumentLowOffset: UInt32 = 16 + 8
    static let secondArgumentHighOffset: UInt32 = 16 + 8 + 4

    static let load = UInt16(BPF_LD | BPF_W | BPF_ABS)
    static let jumpIfEqual = UInt16(BPF_JMP | BPF_JEQ | BPF_K)
    static let jumpIfAtLeast = UInt16(BPF_JMP | BPF_JGE | BPF_K)
    static let `return` = UInt16(BPF_RET | BPF_K)
    public static let allow = UInt32(SECCOMP_RET_ALLOW)
    public static let kill = UInt32(SECCOMP_RET_KILL_PROCESS)

    /// Where a test of ``search(_:)`` goes: the next instruction, `skip` instructions further, or
    /// one of the two returns that follow the search.
    enum Branch {
        case next, skip(Int), allow, kill
    }

    /// A test of ``search(_:)`` before the returns are placed.
    struct Test {
        let code: UInt16
        let value: UInt32
        let ifTrue: Branch
        let ifFalse: Branch
    }

    /// The tests of the system call number in the accumulator against `calls` (sorted, distinct),
    /// followed by KILL_PROCESS and ALLOW: a binary search (`jge` on the middle number, then the
    /// upper half's tests or, jumping over them, the lower half's) down to runs of three or
    /// fewer, each one `jeq` to ALLOW, the last one's miss to KILL.
    ///
    /// A search, not a list: when the filter is installed the kernel works out which calls it
    /// always allows by running it for every system call number (`seccomp_cache_prepare`, Linux
    /// 5.11+), so installing costs about 3 ns a test for each of some 460 numbers, besides 0.3 us
    /// an instruction to compile: 67 instructions, at most 13 run for a number, took the
    /// tender's seccomp step from 93 to 67 us (84 instructions, 40 run for most numbers;
    /// medians of 30 alternated boots, Benchmarks/boot's trace). The calls it always allows then
    /// skip the filter altogether.
    static func search(_ calls: ArraySlice<UInt32>) -> [Instruction] {
        let tests = searchTests(calls)
        func offset(_ branch: Branch, at index: Int) -> UInt8 {
            let distance = switch branch {
            case .next: 0
            case let .skip(count): count
            case .kill: tests.count - index - 1
            case .allow: tests.count - index
            }
            // A classic BPF jump skips at most 255 instructions; a few hundred calls would need more.
            precondition(distance <= Int(UInt8.max), "too many system calls for one seccomp search")
            return UInt8(distance)
        }
        var program = tests.indices.map { index in
            Instruction(code: tests[index].code, jt: offset(tests[index].ifTrue, at: index),
                        jf: offset(tests[index].ifFalse, at: index), k: tests[index].value)
        }
        program.append(Instruction(code: `return`, jt: 0, jf: 0, k: kill))
        program.append(Instruction(code: `return`, jt: 0, jf: 0, k: allow))
        return program
    }

    /// ``search(_:)``'s tests, with their branches still symbolic.
    static func searchTests(_ calls: ArraySlice<UInt32>) -> [Test] {
        guard calls.count > 3 else {
            return calls.indices.map { index in
                Test(code: jumpIfEqual, value: calls[index], ifTrue: .allow, ifFalse: index == calls.indices.last ? .kill : .next)
            }
        }
        let middle = calls.startIndex + calls.count / 2
        let upper = searchTests(calls[middle...])
        let lower = searchTests(calls[..<middle])
        return [Test(code: jumpIfAtLeast, value: calls[middle], ifTrue: .next, ifFalse: .skip(upper.count))] + upper + lower
    }

    /// The filter: the architecture must be x86-64; `ioctl` (the run loop's most frequent call,
    /// `KVM_RUN`, so tested first) with an allowed request (its high 32 bits zero) returns ALLOW; an
    /// allowed call returns ALLOW; everything else KILL_PROCESS.
    public static func program(systemCalls: [Int32] = allowedSystemCalls, ioctls: [UInt32] = allowedIoctls) -> [Instruction] {
        var program: [Instruction] = [
            Instruction(code: load, jt: 0, jf: 0, k: architectureOffset),
            Instruction(code: jumpIfEqual, jt: 1, jf: 0, k: mirage_audit_arch_x86_64()),
            Instruction(code: `return`, jt: 0, jf: 0, k: kill),
            Instruction(code: load, jt: 0, jf: 0, k: numberOffset),
        ]
        // Not ioctl: skip the ioctl checks (the jump lands on the first system call's test).
        let ioctlChecks = 5 + 2 * ioctls.count
        program.append(Instruction(code: jumpIfEqual, jt: 0, jf: UInt8(ioctlChecks), k: UInt32(SYS_ioctl)))
        // ioctl: the request's high half must be zero and its low half one of the allowed.
        program.append(Instruction(code: load, jt: 0, jf: 0, k: secondArgumentHighOffset))
        program.append(Instruction(code: jumpIfEqual, jt: 1, jf: 0, k: 0))
        program.append(Instruction(code: `return`, jt: 0, jf: 0, k: kill))
        program.append(Instruction(code: load, jt: 0, jf: 0, k: secondArgumentLowOffset))
        for request in ioctls {
            program.append(Instruction(code: jumpIfEqual, jt: 0, jf: 1, k: request))
            program.append(Instruction(code: `return`, jt: 0, jf: 0, k: allow))
        }
        program.append(Instruction(code: `return`, jt: 0, jf: 0, k: kill))
        // The other calls, against the number still in the accumulator.
        program.append(Instruction(code: load, jt: 0, jf: 0, k: numberOffset))
        let sorted = systemCalls.map { UInt32(bitPattern: $0) }.sorted()
        let distinct = sorted.indices.filter { $0 == 0 || sorted[$0] != sorted[$0 - 1] }.map { sorted[$0] }
        program += search(distinct[...])
        return program
    }

    /// Installs ``program(systemCalls:ioctls:)`` for this process.
    /// - Throws: a host failure when the kernel refuses it (no seccomp support).
    public static func install() throws(TenderError) {
        // Embedded Swift draws the standard library's hashing seed at the first hash, with
        // getrandom, which the filter forbids (a Dictionary's first insertion after it would end
        // the tender): draw it now.
        var hasher = Hasher()
        hasher.combine(0)
        _ = hasher.finalize()
        var filter = program()
        let installed = filter.withUnsafeMutableBufferPointer { buffer in
            mirage_install_seccomp_filter(buffer.baseAddress, UInt16(buffer.count))
        }
        guard installed == 0 else {
            throw TenderError("cannot install the seccomp filter: \(String(cString: strerror(errno)))",
                              status: TenderExitStatus.hostFailure)
        }
    }
}
