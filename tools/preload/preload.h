/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * libdmemu-preload.so's internal interface. The library makes programs run by `dmemu exec DIR`
 * (DMEMU_DIR=DIR in their environment) see dmemu's device namespace: /dev/mapper, /dev/dm-N,
 * dmemu's disks under /dev, /proc/devices and the devices' /sys entries, and the
 * /dev/mapper/control ioctl channel. Without DMEMU_DIR (or with it empty) it is inert.
 *
 * Files, one job each:
 *   paths.c     which path is ours and where it maps in DIR; node symlink targets ("b:253:0")
 *   nodes.c     node stat/statx, mknod, unlink, rename; patching fstat of our fds
 *   control.c   the control node: connecting to DIR/ioctl.sock, recognising its fd, the ioctl
 *               round trip (emu/ioctl/ioctl_wire.h); the Unix-socket helpers netlink.c shares
 *   netlink.c   NETLINK_CONNECTOR sockets: a connection to DIR/connector.sock (cmirrord)
 *   blockdev.c  block nodes: recognising a block fd, opening the FUSE file, block ioctls
 *   sysfs.c     sysfs attribute writes: a write replaces the value, read_ahead_kb keeps pages
 *   wrappers.c  the exported interposers (paths, fds, ioctl, write, realpath, mlock*), nothing else
 *
 * Rules every file keeps: no threads, no malloc (static and stack buffers; only realpath(p, NULL)
 * returns a strdup, as its contract says), errno of a call we do not handle is exactly what
 * libc left, and our own calls into libc go through DMEMU_NEXT (calling `stat` directly from
 * here would re-enter our own wrapper).
 *
 * Limits: a relative path is never ours (`cd /dev/mapper; stat lin`, or fstatat on a dirfd of
 * /dev/mapper, sees the host or DIR's symlinks); readdir of /dev/mapper reports DT_LNK for the
 * nodes (ls -l and libdevmapper stat them by full path, which is right); an exclusive open
 * (O_EXCL) is refused only while a table holds the device, two exclusive openers are not told
 * apart; statically linked and setuid programs ignore LD_PRELOAD and see the host.
 *
 * This header comes first in every .c file: it undoes _FILE_OFFSET_BITS=64 (meson's default),
 * which would otherwise rename our `stat` into `stat64` and leave `stat` uninterposed, and
 * _FORTIFY_SOURCE, whose inline `open` would clash with our definition.
 */
#ifndef DMEMU_PRELOAD_H
#define DMEMU_PRELOAD_H

#undef _FILE_OFFSET_BITS
#undef _TIME_BITS
#undef _FORTIFY_SOURCE
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <dlfcn.h>
#include <limits.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#define DMEMU_EXPORT __attribute__((visibility("default")))

/* The next definition of libc function `fn` after this library, resolved once. */
void *dmemu_next_symbol(const char *name);
#define DMEMU_NEXT(fn)                                                            \
    (__extension__({                                                              \
        static __typeof__(fn) *dmemu_next_;                                       \
        if (!dmemu_next_) dmemu_next_ = (__typeof__(fn) *)dmemu_next_symbol(#fn); \
        dmemu_next_;                                                              \
    }))

/* ---- paths.c ---------------------------------------------------------------------------- */

/* DMEMU_DIR without trailing slashes, or NULL when the library is inert. */
const char *dmemu_dir(void);
/* For tests: forget the cached DMEMU_DIR and read it again. */
void dmemu_dir_reset(void);

/* The prefix rules, from the path's text alone. */
enum dmemu_rule {
    DMEMU_RULE_HOST,         /* not ours */
    DMEMU_RULE_MAPPER_DIR,   /* "/dev/mapper" or "/dev/mapper/" */
    DMEMU_RULE_MAPPER_NODE,  /* "/dev/mapper/NAME": always ours, missing is ENOENT */
    DMEMU_RULE_MAPPER_OTHER, /* "/dev/mapper/./x", "/dev/mapper/a/b": ours, mapped as a file */
    DMEMU_RULE_DM_NODE,      /* "/dev/dm-N": always ours */
    DMEMU_RULE_DEV_NAME,     /* "/dev/NAME": ours when DIR/dev/NAME is a node symlink, or a
                                symlink whose chain ends at a node of ours */
    DMEMU_RULE_DEV_LINK,     /* "/dev/A/B[/...]" (A neither mapper nor block): ours when
                                DIR/dev/A/B... is a symlink whose chain ends at a node of ours
                                (LVM's DIR/dev/VG/LV -> DIR/dev/mapper/VG-LV) */
    DMEMU_RULE_PROC_DEVICES, /* "/proc/devices" */
    DMEMU_RULE_SYS,          /* "/sys/dev/block/M:m[/...]", "/sys/block/KNAME[/...]": ours when
                                the first `sys_key_len` bytes exist in DIR, when M is one of
                                DIR's block majors, or KNAME is dm-N */
};
/* *sys_key_len: for DMEMU_RULE_SYS, the length of the prefix whose existence decides. */
enum dmemu_rule dmemu_path_rule(const char *path, size_t *sys_key_len);

/* A node as its symlink target spells it: "b:MAJ:MIN" or "c:MAJ:MIN". */
struct dmemu_node {
    mode_t type; /* S_IFBLK or S_IFCHR */
    unsigned major, minor;
};

enum dmemu_kind {
    DMEMU_HOST, /* not ours: pass through */
    DMEMU_NODE, /* a device node; `mapped` is its symlink in DIR, read into node/link; with
                   via_link, `mapped` is a real symlink in DIR whose chain ends at the node */
    DMEMU_FILE, /* a directory or file served from `mapped` */
};
struct dmemu_path {
    enum dmemu_kind kind;
    int in_mapper; /* "/dev/mapper/NAME": libdm may mknod, unlink and rename it */
    int in_sys;    /* a /sys path of ours: writes have sysfs store semantics (sysfs.c) */
    int via_link;  /* DMEMU_NODE reached through a real symlink at `mapped`: calls that do not
                      follow links (lstat, readlink, unlink) act on that symlink */
    char mapped[PATH_MAX];
    /* DMEMU_NODE only: 0 with the node and the symlink's own lstat, or -ENOENT (-errno) when
     * the node does not exist. */
    int node_err;
    struct dmemu_node node;
    struct stat link;
    /* via_link only: the node symlink in DIR the chain ends at; from resolved + resolved_from
     * on, that path as the caller spelt the start (with or without DIR in front). */
    char resolved[PATH_MAX];
    size_t resolved_from;
};
/* Classifies `path` against DIR `dir` (existence checks with lstat in DIR); errno preserved. */
enum dmemu_kind dmemu_classify_in(const char *dir, const char *path, struct dmemu_path *out);
/* The same against dmemu_dir(); DMEMU_HOST when inert or when path is NULL. */
enum dmemu_kind dmemu_classify(const char *path, struct dmemu_path *out);

/* 0, or -EINVAL when `text` (length len) is not a node target. */
int dmemu_parse_node(const char *text, size_t len, struct dmemu_node *out);
/* Formats DIR/rest into out (PATH_MAX); -ENAMETOOLONG when it does not fit. */
int dmemu_dir_path(char *out, const char *rest);

/* Reads the node symlink `mapped`: 0 with *node and *link (the symlink's own lstat), or -errno
 * (-ENOENT missing, -EINVAL when it is no node symlink). errno preserved. */
int dmemu_node_read(const char *mapped, struct dmemu_node *node, struct stat *link);

/* ---- nodes.c ---------------------------------------------------------------------------- */

/* stat/lstat of a classified path (node or file); 0 or -errno. */
int dmemu_stat_path(const struct dmemu_path *p, struct stat *st, int nofollow);
int dmemu_statx_path(const struct dmemu_path *p, int flags, unsigned mask, struct statx *stx);
/* After a successful real fstat/statx of `fd`: makes our fds look like device nodes. */
void dmemu_patch_fstat(int fd, struct stat *st);
void dmemu_patch_fstatx(int fd, struct statx *stx);
int dmemu_node_mknod(const struct dmemu_path *p, mode_t mode, dev_t dev);
int dmemu_node_unlink(const struct dmemu_path *p);
int dmemu_node_rename(const struct dmemu_path *from, const struct dmemu_path *to);

/* ---- control.c -------------------------------------------------------------------------- */

/* Connects a Unix socket of `type` (SOCK_* with SOCK_CLOEXEC/SOCK_NONBLOCK as wanted) to
 * DIR/rest (path: its full name, PATH_MAX), waiting out a full backlog: an fd or -errno. */
int dmemu_unix_connect(const char *rest, int type, char *path);
/* Whether fd is a Unix socket connected to DIR/rest. errno preserved. */
int dmemu_peer_is(int fd, const char *rest);

/* Connects to DIR/ioctl.sock: an fd, or -ENODEV after one line on stderr naming DIR. */
int dmemu_control_open(int flags);
/* Whether fd is a connection to DIR/ioctl.sock. errno preserved. */
int dmemu_is_control_fd(int fd);
/* One dm ioctl over the connection: the ioctl's result (0 or -errno). */
int dmemu_control_ioctl(int fd, unsigned long request, void *arg);

/* ---- netlink.c -------------------------------------------------------------------------- */

/* socket(PF_NETLINK, SOCK_DGRAM|SOCK_RAW, NETLINK_CONNECTOR): a connection to the daemon's
 * connector (DIR/connector.sock): an fd, or -EPROTONOSUPPORT after one line on stderr. */
int dmemu_connector_socket(int type);
/* Whether fd is such a connection. errno preserved. */
int dmemu_is_connector_fd(int fd);
/* Fills addr (room *len, set to the full size) with a sockaddr_nl of nl_pid `pid` in group
 * CN_IDX_DM: what getsockname and recvfrom give for such an fd. */
void dmemu_connector_address(struct sockaddr *addr, socklen_t *len, unsigned pid);

/* ---- blockdev.c ------------------------------------------------------------------------- */

/* Opens the device file behind block node `node` (DIR/dev/block/MAJ:MIN); fd or -errno. */
int dmemu_block_open(const struct dmemu_node *node, int flags, mode_t mode);
/* Whether a file with (st_dev, st_ino) is a block node's file; then *node is the node. */
int dmemu_block_of(dev_t st_dev, ino_t st_ino, struct dmemu_node *node);
/* Whether fd is a block node's file (fstat + dmemu_block_of). errno preserved. */
int dmemu_block_fd(int fd, struct dmemu_node *node);
/* Whether dmemu_block_ioctl serves `request`. */
int dmemu_block_ioctl_known(unsigned long request);
/* A block ioctl on a block node's fd: 0 or -errno. */
int dmemu_block_ioctl(int fd, const struct dmemu_node *node, unsigned long request, void *arg);

/* ---- sysfs.c --------------------------------------------------------------------------- */

/* The flags an open of `p` really uses (O_TRUNC added for a write to an attribute). */
int dmemu_sysfs_open_flags(const struct dmemu_path *p, int flags);
/* After an open of `p` returned fd: remembers an attribute whose writes are stores. */
void dmemu_sysfs_opened(const struct dmemu_path *p, int fd, int flags);
/* A write(2) to fd: 1 when it was an attribute store (*written is write's result), else 0. */
int dmemu_sysfs_write(int fd, const void *buf, size_t count, ssize_t *written);

/* ---- shared helpers ----------------------------------------------------------------------- */

/* Writes one line "dmemu: ..." to stderr (no stdio, no malloc). */
void dmemu_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#ifdef __cplusplus
}
#endif

#endif /* DMEMU_PRELOAD_H */
