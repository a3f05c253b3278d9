import CKVM
import CLinux
import Glibc
@testable import MirageHVTHost
import Testing

/// The tender's seccomp filter, run through a classic BPF interpreter of the few instructions it
/// uses (the kernel's checker would refuse others): which calls it allows and which kill.
@Suite("Seccomp filter of the tender")
struct SeccompFilterTests {
    /// What the filter decides for a call: the value of the first `ret` reached.
    static func decide(_ program: [SeccompFilter.Instruction], architecture: UInt32 = mirage_audit_arch_x86_64(),
                       call: Int32, arguments: [UInt64] = []) -> UInt32 {
        run(program, architecture: architecture, call: call, arguments: arguments).decision
    }

    /// What the filter decides for a call, and how many instructions it ran to decide.
    static func run(_ program: [SeccompFilter.Instruction], architecture: UInt32 = mirage_audit_arch_x86_64(),
                    call: Int32, arguments: [UInt64] = []) -> (decision: UInt32, steps: Int) {
        var data = [UInt8](repeating: 0, count: 64) // struct seccomp_data
        func store(_ value: UInt32, at offset: Int) {
            for index in 0..<4 { data[offset + index] = UInt8(truncatingIfNeeded: value >> (8 * UInt32(index))) }
        }
        store(UInt32(bitPattern: call), at: 0)
        store(architecture, at: 4)
        for (index, argument) in arguments.enumerated() {
            store(UInt32(truncatingIfNeeded: argument), at: 16 + 8 * index)
            store(UInt32(truncatingIfNeeded: argument >> 32), at: 20 + 8 * index)
        }
        var accumulator: UInt32 = 0
        var pc = 0
        var steps = 0
        while pc < program.count {
            let instruction = program[pc]
            steps += 1
            switch Int32(instruction.code) {
            case BPF_LD | BPF_W | BPF_ABS:
                let offset = Int(instruction.k)
                accumulator = (0..<4).reduce(0) { $0 | UInt32(data[offset + $1]) << (8 * UInt32($1)) }
                pc += 1
            case BPF_JMP | BPF_JEQ | BPF_K:
                pc += 1 + Int(accumulator == instruction.k ? instruction.jt : instruction.jf)
            case BPF_JMP | BPF_JGE | BPF_K:
                pc += 1 + Int(accumulator >= instruction.k ? instruction.jt : instruction.jf)
            case BPF_RET | BPF_K:
                return (instruction.k, steps)
            default:
                Issue.record("unexpected BPF instruction \(instruction.code)")
                return (0, steps)
            }
        }
        Issue.record("the filter ran off its end")
        return (0, steps)
    }

    let program = SeccompFilter.program()

    @Test("the run loop's calls are allowed: reads and writes, waits, memory, clocks, exit")
    func allowed() {
        for call in [SYS_read, SYS_write, SYS_writev, SYS_pread64, SYS_pwrite64, SYS_epoll_wait, SYS_poll, SYS_mmap, SYS_exit_group, SYS_close] {
            #expect(Self.decide(program, call: call) == SeccompFilter.allow, "system call \(call)")
        }
    }

    @Test("files, sockets, processes and mappings of devices are not: the process is killed")
    func forbidden() {
        for call in [SYS_open, SYS_openat, SYS_socket, SYS_connect, SYS_execve, SYS_fork, SYS_clone, SYS_ptrace, SYS_kill, SYS_mount] {
            #expect(Self.decide(program, call: call) == SeccompFilter.kill, "system call \(call)")
        }
    }

    @Test("ioctl only with KVM_RUN, KVM_GET_REGS and TUNSETOFFLOAD; the request's high half must be zero")
    func ioctls() {
        let run = UInt64(mirage_kvm_run_request())
        #expect(Self.decide(program, call: SYS_ioctl, arguments: [5, run]) == SeccompFilter.allow)
        #expect(Self.decide(program, call: SYS_ioctl, arguments: [5, UInt64(mirage_kvm_get_regs_request())]) == SeccompFilter.allow)
        #expect(Self.decide(program, call: SYS_ioctl, arguments: [5, UInt64(mirage_tap_set_offloads_request())]) == SeccompFilter.allow)
        #expect(Self.decide(program, call: SYS_ioctl, arguments: [5, run | 1 << 32]) == SeccompFilter.kill)
        #expect(Self.decide(program, call: SYS_ioctl, arguments: [5, 0xAE01]) == SeccompFilter.kill) // KVM_CREATE_VM
        #expect(Self.decide(program, call: SYS_ioctl, arguments: [5, 0x5401]) == SeccompFilter.kill) // TCGETS
    }

    @Test("every system call number, and the x32 ABI's, is allowed exactly when listed, in a few steps")
    func everyNumber() {
        let allowed = Set(SeccompFilter.allowedSystemCalls)
        var longest = 0
        for number in Int32(0)..<1024 where number != SYS_ioctl {
            for call in [number, number | 0x4000_0000] { // __X32_SYSCALL_BIT
                let (decision, steps) = Self.run(program, call: call)
                #expect(decision == (allowed.contains(call) ? SeccompFilter.allow : SeccompFilter.kill), "system call \(call)")
                longest = max(longest, steps)
            }
        }
        // The kernel runs the filter for every number when it is installed: a binary search
        // (the architecture 3 instructions, the number and ioctl 2, the number again, 3 levels of
        // jge, a run of 3 jeq, the return), not 33 tests in turn.
        #expect(longest <= 13, "the longest decision took \(longest) instructions")
    }

    @Test("a search over any list of calls decides each number as the list says")
    func searchOfAnyList() {
        for count in [0, 1, 2, 3, 4, 5, 7, 8, 33, 100] {
            let calls = (0..<count).map { Int32($0 * 3 + 1) }
            let program = SeccompFilter.program(systemCalls: calls.reversed() + calls.prefix(2), ioctls: [])
            for number in Int32(0)..<Int32(count * 3 + 4) where number != SYS_ioctl {
                let expected = calls.contains(number) ? SeccompFilter.allow : SeccompFilter.kill
                #expect(Self.decide(program, call: number) == expected, "\(count) calls, system call \(number)")
            }
        }
    }

    @Test("another architecture's calls (the 32-bit ABI) are killed whatever their number")
    func architecture() {
        #expect(Self.decide(program, architecture: 0x4000_0003, call: SYS_read) == SeccompFilter.kill) // AUDIT_ARCH_I386
    }
}
