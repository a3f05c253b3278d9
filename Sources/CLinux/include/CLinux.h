// Linux headers that Swift's Glibc module does not cover, for MirageUnix and the tender.
#ifndef C_LINUX_H
#define C_LINUX_H

#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/signalfd.h>

#include "CLinuxNetwork.h"

#endif
