// Linux headers that Swift's Glibc module does not cover, for MirageUnix and the tender.
#ifndef C_LINUX_H
#define C_LINUX_H

#include <malloc.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/signalfd.h>

#include "CLinuxNetwork.h"

/// Has the C library keep up to `bytes` of freed memory at the top of its heap instead of giving
/// it back to the kernel (`mallopt(M_TRIM_THRESHOLD)`), for a process that allocates and frees
/// buffers of tens of KiB per packet and would otherwise fault fresh pages in for each. Returns 1
/// on success, 0 on failure.
static inline int mirage_keep_freed_memory(int bytes) {
    return mallopt(M_TRIM_THRESHOLD, bytes);
}

#endif
