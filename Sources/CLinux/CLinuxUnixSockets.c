// The calls of CLinuxUnixSockets.h that glibc declares only with the GNU extensions.
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>
#include "CLinuxUnixSockets.h"

long long mirage_unix_socket_peer_user(int fd) {
    struct ucred credentials;
    socklen_t length = sizeof credentials;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &credentials, &length) != 0) return -1;
    return (long long)credentials.uid;
}

int mirage_accept_close_on_exec(int fd) { return accept4(fd, NULL, NULL, SOCK_CLOEXEC); }

int mirage_pipe_close_on_exec(int ends[2]) { return pipe2(ends, O_CLOEXEC); }

int mirage_open_working_directory(void) { return open(".", O_PATH | O_DIRECTORY | O_CLOEXEC); }

int mirage_close_descriptors_except(int first, int second) {
    unsigned int low = (unsigned int)(first < second ? first : second);
    unsigned int high = (unsigned int)(first < second ? second : first);
    if (low < 3) return -1;
    if ((low > 3 && close_range(3, low - 1, 0) != 0) ||
        (high > low + 1 && close_range(low + 1, high - 1, 0) != 0)) return -1;
    return close_range(high + 1, ~0U, 0);
}
