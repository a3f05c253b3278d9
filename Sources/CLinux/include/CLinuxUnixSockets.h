// Unix-domain sockets that carry descriptors, for the tender's kept-ready VMs
// (`mirage-hvt --serve` and `--via`): `struct msghdr` and its control messages are macros
// (CMSG_*) that Swift cannot call.
#ifndef C_LINUX_UNIX_SOCKETS_H
#define C_LINUX_UNIX_SOCKETS_H

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

/// The longest socket path `bind` and `connect` take (`sun_path` less its terminating zero).
static inline int mirage_unix_socket_path_limit(void) { return (int)sizeof(((struct sockaddr_un *)0)->sun_path) - 1; }

static inline int mirage_unix_socket_address(const char *path, struct sockaddr_un *address) {
    memset(address, 0, sizeof *address);
    address->sun_family = AF_UNIX;
    if (strlen(path) > (size_t)mirage_unix_socket_path_limit()) { errno = ENAMETOOLONG; return -1; }
    strcpy(address->sun_path, path);
    return 0;
}

/// A close-on-exec `SOCK_SEQPACKET` socket bound to `path` with mode 0600 (the umask is narrowed
/// around `bind`, which creates the file) and listening; -1 with errno set on failure.
static inline int mirage_unix_socket_listen(const char *path, int backlog) {
    struct sockaddr_un address;
    if (mirage_unix_socket_address(path, &address) != 0) return -1;
    int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    mode_t previous = umask(0177);
    int bound = bind(fd, (struct sockaddr *)&address, sizeof address);
    umask(previous);
    if (bound != 0 || listen(fd, backlog) != 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}

/// A close-on-exec `SOCK_SEQPACKET` socket connected to `path`; -1 with errno set on failure.
static inline int mirage_unix_socket_connect(const char *path) {
    struct sockaddr_un address;
    if (mirage_unix_socket_address(path, &address) != 0) return -1;
    int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    if (connect(fd, (struct sockaddr *)&address, sizeof address) != 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}

// In CLinuxUnixSockets.c, which asks for the GNU extensions these need (_GNU_SOURCE).

/// The user id of the process at the other end of a connected Unix socket (`SO_PEERCRED`), or -1.
long long mirage_unix_socket_peer_user(int fd);
/// `accept4(fd, NULL, NULL, SOCK_CLOEXEC)`.
int mirage_accept_close_on_exec(int fd);
/// `pipe2(ends, O_CLOEXEC)`.
int mirage_pipe_close_on_exec(int ends[2]);
/// Closes every descriptor from 3 up but `first` and `second` (both 3 or more, and different):
/// `close_range`; 0, or -1 with errno set.
int mirage_close_descriptors_except(int first, int second);
/// The working directory as a close-on-exec descriptor for `fchdir` (`O_PATH | O_DIRECTORY`), or -1.
int mirage_open_working_directory(void);

/// The most descriptors one message carries here.
#define MIRAGE_UNIX_SOCKET_MAX_DESCRIPTORS 8

/// Sends `length` bytes as one message with `count` descriptors (`SCM_RIGHTS`, at most
/// MIRAGE_UNIX_SOCKET_MAX_DESCRIPTORS) and without SIGPIPE; the bytes sent, or -1 with errno set.
static inline long mirage_unix_socket_send(int fd, const void *bytes, size_t length, const int *descriptors, int count) {
    if (count < 0 || count > MIRAGE_UNIX_SOCKET_MAX_DESCRIPTORS) { errno = EINVAL; return -1; }
    union {
        char buffer[CMSG_SPACE(sizeof(int) * MIRAGE_UNIX_SOCKET_MAX_DESCRIPTORS)];
        struct cmsghdr align;
    } control;
    memset(&control, 0, sizeof control);
    struct iovec vector = { .iov_base = (void *)bytes, .iov_len = length };
    struct msghdr message = { .msg_iov = &vector, .msg_iovlen = 1 };
    if (count > 0) {
        message.msg_control = control.buffer;
        message.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)count);
        struct cmsghdr *header = CMSG_FIRSTHDR(&message);
        header->cmsg_level = SOL_SOCKET;
        header->cmsg_type = SCM_RIGHTS;
        header->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)count);
        memcpy(CMSG_DATA(header), descriptors, sizeof(int) * (size_t)count);
    }
    ssize_t sent;
    do { sent = sendmsg(fd, &message, MSG_NOSIGNAL); } while (sent < 0 && errno == EINTR);
    return (long)sent;
}

/// Receives one message into `bytes` (at most `capacity` bytes) and the descriptors it carries
/// (close-on-exec) into `descriptors` (room for MIRAGE_UNIX_SOCKET_MAX_DESCRIPTORS), their
/// number in `*count`. Sets `*truncated` to 1 when the message did not fit (its rest is
/// discarded), or'd with 2 when its descriptors did not (those that did not are closed).
/// Returns the bytes received (0 at the end of the connection), or -1 with errno set.
static inline long mirage_unix_socket_receive(int fd, void *bytes, size_t capacity, int *descriptors, int *count, int *truncated) {
    union {
        char buffer[CMSG_SPACE(sizeof(int) * MIRAGE_UNIX_SOCKET_MAX_DESCRIPTORS)];
        struct cmsghdr align;
    } control;
    struct iovec vector = { .iov_base = bytes, .iov_len = capacity };
    struct msghdr message = { .msg_iov = &vector, .msg_iovlen = 1, .msg_control = control.buffer, .msg_controllen = sizeof control.buffer };
    *count = 0;
    *truncated = 0;
    ssize_t received;
    do { received = recvmsg(fd, &message, MSG_CMSG_CLOEXEC); } while (received < 0 && errno == EINTR);
    if (received < 0) return -1;
    for (struct cmsghdr *header = CMSG_FIRSTHDR(&message); header; header = CMSG_NXTHDR(&message, header)) {
        if (header->cmsg_level != SOL_SOCKET || header->cmsg_type != SCM_RIGHTS) continue;
        int carried = (int)((header->cmsg_len - CMSG_LEN(0)) / sizeof(int));
        for (int index = 0; index < carried; index++) {
            int descriptor;
            memcpy(&descriptor, CMSG_DATA(header) + sizeof(int) * (size_t)index, sizeof descriptor);
            if (*count < MIRAGE_UNIX_SOCKET_MAX_DESCRIPTORS) descriptors[(*count)++] = descriptor;
            else close(descriptor);
        }
    }
    if (message.msg_flags & MSG_TRUNC) *truncated |= 1;
    if (message.msg_flags & MSG_CTRUNC) *truncated |= 2;
    return (long)received;
}

#endif
