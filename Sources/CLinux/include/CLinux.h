// Linux headers that Swift's Glibc module does not cover, for MirageUnix and the tender.
#ifndef C_LINUX_H
#define C_LINUX_H

#include <malloc.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/prctl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#include "CLinuxNetwork.h"

/// Asks the kernel to send `signal` to this process when the thread that started it ends
/// (`PR_SET_PDEATHSIG`; `prctl` is variadic, which Swift cannot call).
static inline int mirage_set_parent_death_signal(int signal) {
    return prctl(PR_SET_PDEATHSIG, (unsigned long)signal, 0, 0, 0);
}

/// Has the C library keep up to `bytes` of freed memory at the top of its heap instead of giving
/// it back to the kernel (`mallopt(M_TRIM_THRESHOLD)`), for a process that allocates and frees
/// buffers of tens of KiB per packet and would otherwise fault fresh pages in for each. Returns 1
/// on success, 0 on failure.
static inline int mirage_keep_freed_memory(int bytes) {
    return mallopt(M_TRIM_THRESHOLD, bytes);
}

/// AUDIT_ARCH_X86_64, the architecture a seccomp filter checks (a macro Swift cannot import).
static inline unsigned int mirage_audit_arch_x86_64(void) { return AUDIT_ARCH_X86_64; }

/// Installs the classic BPF `filter` of `count` instructions as the process's seccomp filter
/// (seccomp(2) with SECCOMP_SET_MODE_FILTER, after PR_SET_NO_NEW_PRIVS, which an unprivileged
/// process needs and which keeps the filter across execve). SECCOMP_FILTER_FLAG_SPEC_ALLOW keeps
/// the kernel from turning on its speculative store bypass mitigation for the process, as it
/// otherwise does for seccomp on some kernels: the tender runs no untrusted code in its own
/// address space (the guest's runs in the VM), and the mitigation slows every instruction.
/// SECCOMP_FILTER_FLAG_TSYNC puts every thread of the process under the filter (the net I/O
/// thread starts before it is installed). Returns 0, or -1 with errno set (or, from TSYNC, the
/// id of a thread that could not take the filter).
static inline int mirage_install_seccomp_filter(struct sock_filter *filter, unsigned short count) {
    struct sock_fprog program = { .len = count, .filter = filter };
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return -1;
    return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
                        SECCOMP_FILTER_FLAG_SPEC_ALLOW | SECCOMP_FILTER_FLAG_TSYNC, &program);
}

#endif
