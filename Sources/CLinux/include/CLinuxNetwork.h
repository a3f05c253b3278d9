// Tap devices (linux/if_tun.h), interface ioctls (net/if.h) and network namespaces
// (linux/sched.h), for MirageUnix's TapDevice, the tests that give it a namespace, and
// mirage-runc's pod network (MirageOCI's PodNetwork).
#ifndef C_LINUX_NETWORK_H
#define C_LINUX_NETWORK_H

#include <linux/if_tun.h>
#include <linux/sched.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

/// One datagram of a batch, laid out as the kernel's `struct mmsghdr` (which <sys/socket.h>
/// declares only under _GNU_SOURCE): the message header and, after the call, its length.
struct mirage_message {
    struct msghdr header;
    unsigned int length;
};

/// Receives up to `count` datagrams from `fd` into `messages` without waiting: recvmmsg(2) with
/// MSG_DONTWAIT. Returns how many came, or -1 with errno set (EAGAIN when none was waiting).
static inline int mirage_receive_messages(int fd, struct mirage_message *messages, unsigned int count) {
    return (int)syscall(SYS_recvmmsg, fd, messages, count, MSG_DONTWAIT, NULL);
}

/// Sends the `count` datagrams of `messages` from `fd`: sendmmsg(2) with MSG_NOSIGNAL. Returns
/// how many were sent (from the first, stopping at the first that failed), or -1 with errno set
/// when the first failed.
static inline int mirage_send_messages(int fd, struct mirage_message *messages, unsigned int count) {
    return (int)syscall(SYS_sendmmsg, fd, messages, count, MSG_NOSIGNAL);
}

// ioctl is variadic and the _IOW request macros do not import into Swift, so each request is a
// function here. Each returns what ioctl returns: 0, or -1 with errno set.

/// Attaches `fd`, an open /dev/net/tun, to the tap interface `name` (creating it when there is none),
/// with frames exchanged as they are, without a packet-information prefix: `TUNSETIFF` with
/// `IFF_TAP | IFF_NO_PI`. The kernel's name for the interface, which differs from `name` only when
/// `name` holds a pattern such as `tap%d`, is written to `assigned` (`IFNAMSIZ` bytes).
/// `name` must be shorter than `IFNAMSIZ`.
static inline int mirage_tap_attach(int fd, const char *name, char *assigned) {
    struct ifreq request;
    memset(&request, 0, sizeof request);
    request.ifr_flags = IFF_TAP | IFF_NO_PI;
    strncpy(request.ifr_name, name, IFNAMSIZ - 1);
    int result = ioctl(fd, TUNSETIFF, &request);
    if (result == 0) memcpy(assigned, request.ifr_name, IFNAMSIZ);
    return result;
}

/// As `mirage_tap_attach`, with `IFF_VNET_HDR` as well: every frame read or written is preceded by
/// a `struct virtio_net_hdr` (10 bytes, the default `TUNSETVNETHDRSZ`) saying how its checksum
/// and segmentation are to be handled.
static inline int mirage_tap_attach_with_header(int fd, const char *name, char *assigned) {
    struct ifreq request;
    memset(&request, 0, sizeof request);
    request.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
    strncpy(request.ifr_name, name, IFNAMSIZ - 1);
    int result = ioctl(fd, TUNSETIFF, &request);
    if (result == 0) memcpy(assigned, request.ifr_name, IFNAMSIZ);
    return result;
}

/// Which offloads the reader of a tap descriptor attached with `IFF_VNET_HDR` handles, so which
/// frames the kernel may hand it: `TUNSETOFFLOAD` with `TUN_F_CSUM` (partial checksums) and
/// `TUN_F_TSO4` and `TUN_F_TSO6` (TCP segments over IPv4 and IPv6 longer than the MTU) when `offloading` is non-zero, nothing
/// when it is zero (the kernel then completes and segments everything itself).
static inline int mirage_tap_set_offloads(int fd, int offloading) {
    unsigned long flags = offloading ? (TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6) : 0;
    return ioctl(fd, TUNSETOFFLOAD, flags);
}

/// The request number of TUNSETOFFLOAD, for the tender's seccomp filter.
static inline unsigned long mirage_tap_set_offloads_request(void) { return TUNSETOFFLOAD; }

/// Reads the MTU of the interface `name` into `mtu`: `SIOCGIFMTU` on `socket`, any socket of the
/// network namespace the interface is in. `name` must be shorter than `IFNAMSIZ`.
static inline int mirage_interface_mtu(int socket, const char *name, int *mtu) {
    struct ifreq request;
    memset(&request, 0, sizeof request);
    strncpy(request.ifr_name, name, IFNAMSIZ - 1);
    int result = ioctl(socket, SIOCGIFMTU, &request);
    if (result == 0) *mtu = request.ifr_mtu;
    return result;
}

/// Makes the tap `fd` is attached to outlive the descriptor (`TUNSETPERSIST` 1), as `ip tuntap
/// add` does, so that a tender can attach to it later; 0 undoes it.
static inline int mirage_tap_set_persistent(int fd, int persistent) {
    return ioctl(fd, TUNSETPERSIST, (unsigned long)persistent);
}

/// Sets the MTU of the interface `name` and brings it up (`SIOCSIFMTU`, then `SIOCSIFFLAGS`
/// with `IFF_UP` added to its flags) through `socket`, any socket of its network namespace.
static inline int mirage_interface_set_mtu_and_up(int socket, const char *name, int mtu) {
    struct ifreq request;
    memset(&request, 0, sizeof request);
    strncpy(request.ifr_name, name, IFNAMSIZ - 1);
    request.ifr_mtu = mtu;
    if (ioctl(socket, SIOCSIFMTU, &request) != 0) return -1;
    if (ioctl(socket, SIOCGIFFLAGS, &request) != 0) return -1;
    request.ifr_flags |= IFF_UP;
    return ioctl(socket, SIOCSIFFLAGS, &request);
}

/// Moves the calling thread into the network namespace `fd` refers to (an open
/// `/var/run/netns/NAME` or `/proc/thread-self/ns/net`): `setns(fd, CLONE_NEWNET)`, which the C
/// library declares only with _GNU_SOURCE. Sockets and tap descriptors opened afterwards belong
/// to that namespace for their whole life. Returns 0, or -1 with errno set.
static inline int mirage_enter_network_namespace(int fd) {
    return (int)syscall(SYS_setns, fd, CLONE_NEWNET);
}

#endif
