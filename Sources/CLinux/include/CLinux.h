// Linux headers that Swift's Glibc module does not cover, for MirageUnix and the tender.
#ifndef C_LINUX_H
#define C_LINUX_H

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <limits.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <malloc.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "CLinuxNetwork.h"
#include "CLinuxUnixSockets.h"

/// Asks the kernel to send `signal` to this process when the thread that started it ends
/// (`PR_SET_PDEATHSIG`; `prctl` is variadic, which Swift cannot call).
static inline int mirage_set_parent_death_signal(int signal) {
    return prctl(PR_SET_PDEATHSIG, (unsigned long)signal, 0, 0, 0);
}

/// Has the C library keep up to `bytes` of freed memory at the top of its heap instead of giving
/// it back to the kernel (`mallopt(M_TRIM_THRESHOLD)`), and take blocks below `mappedFrom` bytes
/// from its heap rather than mapping each (`M_MMAP_THRESHOLD`; setting either ends glibc's own
/// adjustment of both), for a process that allocates and frees buffers of up to a few MiB per
/// request or packet and would otherwise fault fresh pages in for each. Returns 1 on success, 0
/// on failure.
static inline int mirage_keep_freed_memory(int bytes, int mappedFrom) {
    return mallopt(M_TRIM_THRESHOLD, bytes) && mallopt(M_MMAP_THRESHOLD, mappedFrom);
}

// What Glibc's Swift overlay gives hosted Swift and Embedded Swift lacks (the host programs built
// in Embedded Swift import this module instead): `errno` is a macro, `open` and `fcntl` are variadic, and the
// command line reaches only `main`.

/// A pause in a loop that waits for another thread's store (x86 PAUSE: it spares the sibling
/// hyperthread and the memory-order clear at the loop's end).
static inline void mirage_spin_pause(void) { __builtin_ia32_pause(); }
/// The calling thread's `errno`.
static inline int mirage_errno(void) { return errno; }
/// Sets the calling thread's `errno`.
static inline void mirage_set_errno(int value) { errno = value; }
/// `open(path, flags, mode)`.
static inline int mirage_open(const char *path, int flags, unsigned int mode) { return open(path, flags, mode); }
/// `fcntl(descriptor, command, argument)` for the commands whose argument is an int.
static inline int mirage_fcntl(int descriptor, int command, int argument) { return fcntl(descriptor, command, argument); }
/// Blocks SIGINT and SIGTERM for the calling thread and returns a non-blocking, close-on-exec
/// signalfd that reads them (-1 with errno set on failure). In C because Embedded Swift cannot
/// zero-initialise a `sigset_t` without the compiler's intrinsics module.
static inline int mirage_signalfd_for_stop_signals(void) {
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &mask, NULL);
    return signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
}
/// Whether a `stat` mode is a regular file's (`S_ISREG`, a function-like macro).
static inline int mirage_is_regular_file(mode_t mode) { return S_ISREG(mode); }
/// Whether a `stat` mode is a directory's (`S_ISDIR`).
static inline int mirage_is_directory(mode_t mode) { return S_ISDIR(mode); }
/// Whether a `stat` mode is a block device's (`S_ISBLK`).
static inline int mirage_is_block_device(mode_t mode) { return S_ISBLK(mode); }
/// Whether a `stat` mode is a socket's (`S_ISSOCK`).
static inline int mirage_is_socket(mode_t mode) { return S_ISSOCK(mode); }
/// Whether a `stat` mode is a character device's (`S_ISCHR`).
static inline int mirage_is_character_device(mode_t mode) { return S_ISCHR(mode); }
/// `flock(2)` (Embedded Swift takes the name for `struct flock`'s initialiser).
static inline int mirage_flock(int descriptor, int operation) { return flock(descriptor, operation); }
/// The process's environment (`environ`), which posix_spawn passes on.
static inline char **mirage_environment(void) { extern char **environ; return environ; }
/// `SIG_IGN`, the disposition that ignores a signal (a macro casting 1 to a function pointer).
static inline __sighandler_t mirage_ignore_signal_handler(void) { return SIG_IGN; }
/// The number of command-line arguments, the program's name included, as `main` received them
/// (saved before `main` by a constructor in CLinux.c).
int mirage_argument_count(void);
/// The command-line arguments, the program's name first, as `main` received them.
char **mirage_arguments(void);

/// AUDIT_ARCH_X86_64, the architecture a seccomp filter checks (a macro Swift cannot import).
static inline unsigned int mirage_audit_arch_x86_64(void) { return AUDIT_ARCH_X86_64; }

/// Installs the classic BPF `filter` of `count` instructions as the process's seccomp filter
/// (seccomp(2) with SECCOMP_SET_MODE_FILTER, after PR_SET_NO_NEW_PRIVS, which an unprivileged
/// process needs and which keeps the filter across execve). SECCOMP_FILTER_FLAG_SPEC_ALLOW keeps
/// the kernel from turning on its speculative store bypass mitigation for the process, as it
/// otherwise does for seccomp on some kernels: the tender runs no untrusted code in its own
/// address space (the guest's runs in the VM), and the mitigation slows every instruction.
/// SECCOMP_FILTER_FLAG_TSYNC puts every thread of the process under the filter (the ring I/O
/// thread starts before it is installed). Returns 0, or -1 with errno set (or, from TSYNC, the
/// id of a thread that could not take the filter).
static inline int mirage_install_seccomp_filter(struct sock_filter *filter, unsigned short count) {
    struct sock_fprog program = { .len = count, .filter = filter };
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return -1;
    return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
                        SECCOMP_FILTER_FLAG_SPEC_ALLOW | SECCOMP_FILTER_FLAG_TSYNC, &program);
}

#endif
