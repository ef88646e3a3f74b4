/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The control node /dev/mapper/control. Opening it connects to the daemon's binary dm_ioctl
 * endpoint DIR/ioctl.sock (one connection per open, the kernel's `struct file`); each ioctl of
 * type 0xfd on that fd is one request and one reply in the framing of emu/ioctl/ioctl_wire.h,
 * one at a time per fd as libdevmapper issues them. A connection is recognised by its peer's
 * address, so it needs no fd table.
 *
 * No daemon is one line on stderr naming DIR and ENODEV, never a hang: the connect is
 * non-blocking and gives up after kConnectTimeoutMs when the daemon's backlog stays full. A
 * daemon that goes away during an ioctl is one line and EIO.
 */
#include "tools/preload/preload.h" /* first: it sets the feature macros the rest see */
/* (a block of its own, so that sorting includes keeps it first) */
#include <errno.h>
#include <fcntl.h>
#include <linux/dm-ioctl.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "emu/ioctl/ioctl_wire.h"

_Static_assert(offsetof(struct dm_ioctl, data) == DMEMU_WIRE_DM_HEADER,
               "struct dm_ioctl's fixed part is what the wire calls its header");

enum { kConnectTimeoutMs = 5000, kConnectRetryMs = 10 };

int dmemu_unix_connect(const char *rest, int type, char *path) {
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    int r = dmemu_dir_path(path, rest);
    if (r == 0 && strlen(path) >= sizeof(addr.sun_path)) r = -ENAMETOOLONG;
    int fd = -1;
    if (r == 0) {
        memcpy(addr.sun_path, path, strlen(path) + 1);
        fd = socket(AF_UNIX, (type & ~SOCK_NONBLOCK) | SOCK_NONBLOCK, 0);
        if (fd < 0) r = -errno;
    }
    for (int waited_ms = 0; r == 0;) {
        if (connect(fd, (const struct sockaddr *)&addr, sizeof(addr)) == 0) break;
        r = -errno;
        if (r == -EINTR) {
            r = 0;
        } else if (r == -EAGAIN && waited_ms < kConnectTimeoutMs) {
            /* the daemon's listen backlog is full: it is alive but busy */
            const struct timespec pause = {0, kConnectRetryMs * 1000000L};
            nanosleep(&pause, NULL);
            waited_ms += kConnectRetryMs;
            r = 0;
        }
    }
    if (r == 0 && !(type & SOCK_NONBLOCK) &&
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) != 0)
        r = -errno;
    if (r == 0) return fd;
    if (fd >= 0) close(fd);
    return r;
}

int dmemu_control_open(int flags) {
    const char *dir = dmemu_dir();
    char path[PATH_MAX] = "";
    const int fd = dmemu_unix_connect("/" DMEMU_WIRE_SOCKET,
                                      SOCK_STREAM | ((flags & O_CLOEXEC) ? SOCK_CLOEXEC : 0), path);
    if (fd >= 0) return fd;
    dmemu_say("dmemu: no daemon serving %s (connect %s: %s); start one with: dmemu start %s", dir,
              path, strerror(-fd), dir);
    return -ENODEV;
}

int dmemu_peer_is(int fd, const char *rest) {
    const int saved = errno;
    struct sockaddr_un peer;
    socklen_t len = sizeof(peer);
    char path[PATH_MAX];
    int ours = 0;
    if (getpeername(fd, (struct sockaddr *)&peer, &len) == 0 && peer.sun_family == AF_UNIX &&
        len > offsetof(struct sockaddr_un, sun_path) && dmemu_dir_path(path, rest) == 0) {
        const size_t n = strnlen(peer.sun_path, len - offsetof(struct sockaddr_un, sun_path));
        char bound[sizeof(peer.sun_path) + 1];
        memcpy(bound, peer.sun_path, n);
        bound[n] = '\0';
        ours = strcmp(bound, path) == 0;
        /* The daemon may have spelt DIR differently (a symlink): the same socket inode. */
        struct stat a, b;
        if (!ours && n > 0 && DMEMU_NEXT(stat)(bound, &a) == 0 && DMEMU_NEXT(stat)(path, &b) == 0)
            ours = a.st_dev == b.st_dev && a.st_ino == b.st_ino;
    }
    errno = saved;
    return ours;
}

int dmemu_is_control_fd(int fd) { return dmemu_peer_is(fd, "/" DMEMU_WIRE_SOCKET); }

/* 0, or -errno from the socket; 0-byte reads (the daemon closed) are -ECONNRESET. */
static int read_full(int fd, void *buf, size_t len) {
    for (size_t done = 0; done < len;) {
        const ssize_t n = recv(fd, (char *)buf + done, len - done, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return -errno;
        if (n == 0) return -ECONNRESET;
        done += (size_t)n;
    }
    return 0;
}

static int send_request(int fd, const struct dmemu_wire_request *head, const void *body) {
    struct iovec iov[2] = {{(void *)head, sizeof(*head)}, {(void *)body, head->length}};
    struct msghdr msg = {.msg_iov = iov, .msg_iovlen = 2};
    while (msg.msg_iovlen > 0) {
        ssize_t n = sendmsg(fd, &msg, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return -errno;
        while (msg.msg_iovlen > 0 && (size_t)n >= msg.msg_iov->iov_len) {
            n -= (ssize_t)msg.msg_iov->iov_len;
            ++msg.msg_iov;
            --msg.msg_iovlen;
        }
        if (msg.msg_iovlen > 0) {
            msg.msg_iov->iov_base = (char *)msg.msg_iov->iov_base + n;
            msg.msg_iov->iov_len -= (size_t)n;
        }
    }
    return 0;
}

int dmemu_control_ioctl(int fd, unsigned long request, void *arg) {
    if (!arg) return -EFAULT;
    uint32_t data_size;
    memcpy(&data_size, (const char *)arg + offsetof(struct dm_ioctl, data_size), sizeof(data_size));
    const struct dmemu_wire_request head = {
        .magic = DMEMU_WIRE_REQUEST_MAGIC,
        .command = (uint32_t)request,
        .length = data_size >= DMEMU_WIRE_DM_HEADER && data_size <= DMEMU_WIRE_MAX_BODY
                      ? data_size
                      : DMEMU_WIRE_DM_HEADER,
    };
    struct dmemu_wire_reply reply;
    int r = send_request(fd, &head, arg);
    if (r == 0) r = read_full(fd, &reply, sizeof(reply));
    if (r == 0 && (reply.magic != DMEMU_WIRE_REPLY_MAGIC || reply.length > head.length)) {
        dmemu_say("dmemu: bad reply from the daemon serving %s (magic %#x, length %u for %u)",
                  dmemu_dir(), reply.magic, reply.length, head.length);
        return -EIO;
    }
    if (r == 0) r = read_full(fd, arg, reply.length);
    if (r != 0) {
        dmemu_say("dmemu: the daemon serving %s went away during an ioctl (%s)", dmemu_dir(),
                  strerror(-r));
        return -EIO;
    }
    return reply.result;
}
