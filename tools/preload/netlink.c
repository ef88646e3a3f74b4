/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * NETLINK_CONNECTOR sockets, for a log server such as the real cmirrord (LVM2's
 * daemons/cmirrord/local.c: socket(PF_NETLINK, SOCK_DGRAM, NETLINK_CONNECTOR), bind with
 * nl_groups = CN_IDX_DM, setsockopt(SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, CN_IDX_DM), then send
 * and recv of nlmsghdr + cn_msg + dm_ulog_request). The socket is a Unix SOCK_SEQPACKET
 * connection to the daemon's connector, DIR/connector.sock (`dmemu start --netlink`): one
 * packet is one netlink datagram each way, framed by the daemon as the kernel's connector frames
 * them (transfer/netlink_frame.hpp), so send, recv and poll need nothing from us.
 *
 * What the library answers itself, on such an fd only (recognised by its peer, no fd table):
 *   bind          0: a netlink bind to any groups (membership is not modelled: every connected
 *                 socket receives the group's messages)
 *   setsockopt    SOL_NETLINK options: 0; the rest go to the Unix socket
 *   getsockname   a sockaddr_nl {AF_NETLINK, nl_pid = getpid(), nl_groups = CN_IDX_DM}
 *   sendto        the address is the kernel (nl_pid 0): sent as send()
 *   recvfrom      the source is the kernel: a sockaddr_nl {AF_NETLINK, 0, CN_IDX_DM}
 *
 * With no connector (no daemon, or one started without --netlink) socket() fails with
 * EPROTONOSUPPORT, as on a kernel without CONFIG_CONNECTOR, after one line naming DIR.
 */
#include "tools/preload/preload.h" /* first: it sets the feature macros the rest see */
/* (a block of its own, so that sorting includes keeps it first) */
#include <errno.h>
#include <linux/netlink.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

enum { kCnIdxDm = 7 };
static const char kConnectorSocket[] = "/connector.sock";

int dmemu_connector_socket(int type) {
    char path[PATH_MAX] = "";
    const int flags = type & (SOCK_CLOEXEC | SOCK_NONBLOCK);
    const int fd = dmemu_unix_connect(kConnectorSocket, SOCK_SEQPACKET | flags, path);
    if (fd >= 0) return fd;
    dmemu_say(
        "dmemu: no netlink connector in %s (connect %s: %s); start the daemon with: "
        "dmemu start %s --netlink",
        dmemu_dir(), path, strerror(-fd), dmemu_dir());
    return -EPROTONOSUPPORT;
}

int dmemu_is_connector_fd(int fd) { return dmemu_peer_is(fd, kConnectorSocket); }

void dmemu_connector_address(struct sockaddr *addr, socklen_t *len, unsigned pid) {
    struct sockaddr_nl nl = {.nl_family = AF_NETLINK, .nl_pid = pid, .nl_groups = kCnIdxDm};
    if (!addr || !len) return;
    const socklen_t n = *len < sizeof(nl) ? *len : (socklen_t)sizeof(nl);
    memcpy(addr, &nl, n);
    *len = sizeof(nl);
}
