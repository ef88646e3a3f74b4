/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Block nodes. Opening /dev/mapper/NAME, /dev/dm-N or /dev/DISK opens DIR/dev/block/MAJ:MIN,
 * the daemon's symlink to the device's file on the FUSE mount (ENXIO when the device has none,
 * as a dm device without a live table). The caller's O_DIRECT, O_SYNC, O_NOATIME stay; O_CREAT,
 * O_TRUNC and O_NOFOLLOW mean nothing on a device node. O_EXCL is the kernel's exclusive open:
 * EBUSY when a table holds the device (its holders/ has an entry); two exclusive openers that
 * are both programs are not told apart.
 *
 * An fd is a block node when its file is on the FUSE mount (st_dev of DIR/mnt, read once) and
 * is the file of one DIR/dev/block entry (same st_dev and st_ino).
 *
 * The block ioctls read the device's queue limits from DIR/sys/dev/block/MAJ:MIN/..., as
 * block/ioctl.c's blkdev_common_ioctl answers them from the request queue:
 *   BLKGETSIZE64 (u64 bytes)  BLKGETSIZE (ulong sectors)  BLKSSZGET (int)  BLKBSZGET (int 4096)
 *   BLKPBSZGET, BLKIOMIN, BLKIOOPT, BLKDISCARDZEROES (uint, the last 0)  BLKALIGNOFF (int 0)
 *   BLKROGET (int)  BLKRAGET/BLKFRAGET (long sectors)  BLKRASET/BLKFRASET (by value, sectors)
 *   BLKFLSBUF (fsync)  BLKZEROOUT (u64 {start, len} bytes: zeros written through the table)
 *   BLKDISCARD (u64 {start, len}: a hole punched in the FUSE file, a discard bio through the
 *   table; EOPNOTSUPP when queue/discard_max_bytes is 0)
 * Any other ioctl goes to libc (on the file: usually ENOTTY).
 */
#include "tools/preload/preload.h" /* first: it sets the feature macros the rest see */
/* (a block of its own, so that sorting includes keeps it first) */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

enum { kSectorBytes = 512, kPageBytes = 4096, kBlockSize = 4096, kZeroChunk = 65536 };

/* st_dev of the FUSE mount, stat'ed once. */
static int fuse_dev(dev_t *dev) {
    static dev_t cached;
    static int state; /* 0 unknown, 1 no mount, 2 known */
    if (state == 0) {
        char path[PATH_MAX];
        struct stat st;
        const int saved = errno;
        state = 1;
        if (dmemu_dir_path(path, "/mnt") == 0 && DMEMU_NEXT(stat)(path, &st) == 0) {
            cached = st.st_dev;
            state = 2;
        }
        errno = saved;
    }
    *dev = cached;
    return state == 2;
}

static int parse_devno(const char *name, struct dmemu_node *node) {
    char text[64];
    const int n = snprintf(text, sizeof(text), "b:%s", name);
    return n > 0 && n < (int)sizeof(text) && dmemu_parse_node(text, (size_t)n, node) == 0;
}

/* Calls fn(name, ctx) for each entry of directory fd `dfd` but "." and "..", until fn returns
 * nonzero; that value, or 0. getdents64 rather than opendir: no malloc, and usable before main. */
static int each_entry(int dfd, int (*fn)(int dfd, const char *name, void *ctx), void *ctx) {
    char buf[4096] __attribute__((aligned(8)));
    long n;
    while ((n = syscall(SYS_getdents64, dfd, buf, sizeof(buf))) > 0) {
        for (long off = 0; off < n;) {
            const struct {
                uint64_t ino;
                int64_t off;
                unsigned short reclen;
                unsigned char type;
                char name[];
            } *d = (const void *)(buf + off);
            off += d->reclen;
            if (d->name[0] == '.' && (!d->name[1] || (d->name[1] == '.' && !d->name[2]))) continue;
            const int r = fn(dfd, d->name, ctx);
            if (r) return r;
        }
    }
    return 0;
}

struct file_query {
    dev_t st_dev;
    ino_t st_ino;
    struct dmemu_node *node;
};

/* An entry "MAJ:MIN" of DIR/dev/block whose file is the one asked for. */
static int is_the_file(int dfd, const char *name, void *ctx) {
    struct file_query *q = ctx;
    struct stat st;
    return parse_devno(name, q->node) && DMEMU_NEXT(fstatat)(dfd, name, &st, 0) == 0 &&
           st.st_dev == q->st_dev && st.st_ino == q->st_ino;
}

int dmemu_block_of(dev_t st_dev, ino_t st_ino, struct dmemu_node *node) {
    dev_t mount_dev;
    if (!dmemu_dir() || !fuse_dev(&mount_dev) || st_dev != mount_dev) return 0;
    const int saved = errno;
    char path[PATH_MAX];
    const int dfd = dmemu_dir_path(path, "/dev/block") == 0
                        ? DMEMU_NEXT(open)(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
                        : -1;
    struct file_query q = {st_dev, st_ino, node};
    const int found = dfd >= 0 && each_entry(dfd, is_the_file, &q);
    if (dfd >= 0) close(dfd);
    errno = saved;
    return found;
}

int dmemu_block_fd(int fd, struct dmemu_node *node) {
    const int saved = errno;
    struct stat st;
    const int ours = DMEMU_NEXT(fstat)(fd, &st) == 0 && S_ISREG(st.st_mode) &&
                     dmemu_block_of(st.st_dev, st.st_ino, node);
    errno = saved;
    return ours;
}

static int any_entry(int dfd, const char *name, void *ctx) {
    (void)dfd, (void)name, (void)ctx;
    return 1;
}

/* Whether DIR/sys/dev/block/MAJ:MIN/holders has an entry: a table holds the device. */
static int has_holders(const struct dmemu_node *node) {
    char rest[96], path[PATH_MAX];
    snprintf(rest, sizeof(rest), "/sys/dev/block/%u:%u/holders", node->major, node->minor);
    if (dmemu_dir_path(path, rest)) return 0;
    const int dfd = DMEMU_NEXT(open)(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) return 0;
    const int found = each_entry(dfd, any_entry, NULL);
    close(dfd);
    return found;
}

int dmemu_block_open(const struct dmemu_node *node, int flags, mode_t mode) {
    if (node->type != S_IFBLK) return -ENXIO;
    char rest[64], path[PATH_MAX];
    snprintf(rest, sizeof(rest), "/dev/block/%u:%u", node->major, node->minor);
    const int r = dmemu_dir_path(path, rest);
    if (r) return r;
    /* O_EXCL is an exclusive open (blkdev_get_by_dev with FMODE_EXCL): a device a table holds
     * (bd_prepare_to_claim finds the dm holder) is busy. */
    const int saved = errno;
    const int busy = (flags & O_EXCL) && has_holders(node);
    errno = saved;
    if (busy) return -EBUSY;
    const int fd = DMEMU_NEXT(open)(path, flags & ~(O_CREAT | O_TRUNC | O_EXCL | O_NOFOLLOW), mode);
    if (fd >= 0) return fd;
    return errno == ENOENT ? -ENXIO : -errno;
}

/* DIR/sys/dev/block/MAJ:MIN/attr as a number: 0 or -errno. */
static int sys_read(const struct dmemu_node *node, const char *attr, unsigned long long *value) {
    char rest[128], path[PATH_MAX], text[32];
    snprintf(rest, sizeof(rest), "/sys/dev/block/%u:%u/%s", node->major, node->minor, attr);
    int r = dmemu_dir_path(path, rest);
    const int fd = r ? -1 : DMEMU_NEXT(open)(path, O_RDONLY | O_CLOEXEC);
    if (r == 0 && fd < 0) r = -errno;
    if (fd < 0) return r ? r : -EIO;
    const ssize_t n = read(fd, text, sizeof(text) - 1);
    if (n < 0) r = -errno;
    close(fd);
    if (r) return r;
    text[n] = '\0';
    char *end;
    errno = 0;
    *value = strtoull(text, &end, 10);
    return end == text || errno ? -EIO : 0;
}

static int sys_write(const struct dmemu_node *node, const char *attr, unsigned long long value) {
    char rest[128], path[PATH_MAX], text[32];
    snprintf(rest, sizeof(rest), "/sys/dev/block/%u:%u/%s", node->major, node->minor, attr);
    int r = dmemu_dir_path(path, rest);
    if (r) return r;
    const int fd = DMEMU_NEXT(open)(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
    if (fd < 0) return -errno;
    const int len = snprintf(text, sizeof(text), "%llu\n", value);
    if (write(fd, text, (size_t)len) != len) r = -EIO;
    close(fd);
    return r;
}

/* BLKZEROOUT: the checks of blk_ioctl_zeroout, then zeros written through the file. */
static int zero_out(int fd, const struct dmemu_node *node, const uint64_t range[2]) {
    static const char zeros[kZeroChunk] __attribute__((aligned(kPageBytes)));
    unsigned long long sectors;
    const uint64_t start = range[0], len = range[1], end = start + len - 1;
    if ((fcntl(fd, F_GETFL) & O_ACCMODE) == O_RDONLY) return -EBADF;
    if (start % kSectorBytes || len % kSectorBytes || end < start) return -EINVAL;
    const int r = sys_read(node, "size", &sectors);
    if (r) return r;
    if (end >= sectors * kSectorBytes) return -EINVAL;
    for (uint64_t done = 0; done < len;) {
        const size_t chunk = len - done < kZeroChunk ? (size_t)(len - done) : kZeroChunk;
        const ssize_t n = pwrite(fd, zeros, chunk, (off_t)(start + done));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return n < 0 ? -errno : -EIO;
        done += (uint64_t)n;
    }
    return 0;
}

/* BLKDISCARD: blk_ioctl_discard's checks in its order, then a hole punched in the FUSE file,
 * which the daemon turns into a discard bio through the table (blkdev_fallocate). */
static int discard(int fd, const struct dmemu_node *node, const uint64_t *range) {
    unsigned long long max_bytes, sectors;
    if ((fcntl(fd, F_GETFL) & O_ACCMODE) == O_RDONLY) return -EBADF;
    /* (no attribute: a daemon that does not say, so no discard either) */
    if (sys_read(node, "queue/discard_max_bytes", &max_bytes) != 0 || max_bytes == 0)
        return -EOPNOTSUPP;
    int r;
    if (!range) return -EFAULT;
    const uint64_t start = range[0], len = range[1];
    if (start % kSectorBytes || len % kSectorBytes) return -EINVAL;
    if ((r = sys_read(node, "size", &sectors))) return r;
    if (start + len < start || start + len > sectors * kSectorBytes) return -EINVAL;
    if (len == 0) return 0;
    return fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)start, (off_t)len) == 0
               ? 0
               : -errno;
}

int dmemu_block_ioctl_known(unsigned long request) {
    /* clang-format off */
    switch (request) {
        case BLKGETSIZE64: case BLKGETSIZE: case BLKSSZGET: case BLKBSZGET: case BLKPBSZGET:
        case BLKIOMIN: case BLKIOOPT: case BLKALIGNOFF: case BLKROGET: case BLKRAGET:
        case BLKFRAGET: case BLKRASET: case BLKFRASET: case BLKFLSBUF: case BLKDISCARDZEROES:
        case BLKZEROOUT: case BLKDISCARD:
            return 1;
        default:
            return 0;
    }
    /* clang-format on */
}

/* A value read from sysfs, stored as TYPE at arg. */
#define DMEMU_PUT_SYS(attr, type, expr)          \
    do {                                         \
        unsigned long long v;                    \
        const int r_ = sys_read(node, attr, &v); \
        if (r_) return r_;                       \
        *(type *)arg = (type)(expr);             \
        return 0;                                \
    } while (0)

int dmemu_block_ioctl(int fd, const struct dmemu_node *node, unsigned long request, void *arg) {
    /* BLKDISCARD checks the mode and the queue before it reads its argument. */
    const int needs_arg = request != BLKRASET && request != BLKFRASET && request != BLKFLSBUF &&
                          request != BLKDISCARD;
    if (needs_arg && !arg) return -EFAULT;
    switch (request) {
        case BLKGETSIZE64:
            DMEMU_PUT_SYS("size", uint64_t, v * kSectorBytes);
        case BLKGETSIZE:
            DMEMU_PUT_SYS("size", unsigned long, v);
        case BLKSSZGET:
            DMEMU_PUT_SYS("queue/logical_block_size", int, v);
        case BLKPBSZGET:
            DMEMU_PUT_SYS("queue/physical_block_size", unsigned int, v);
        case BLKIOMIN:
            DMEMU_PUT_SYS("queue/minimum_io_size", unsigned int, v);
        case BLKIOOPT:
            DMEMU_PUT_SYS("queue/optimal_io_size", unsigned int, v);
        case BLKROGET:
            DMEMU_PUT_SYS("ro", int, v);
        case BLKRAGET:
        case BLKFRAGET:
            DMEMU_PUT_SYS("bdi/read_ahead_kb", long, v * 1024 / kSectorBytes);
        case BLKBSZGET:
            *(int *)arg = kBlockSize;
            return 0;
        case BLKALIGNOFF:
            *(int *)arg = 0;
            return 0;
        case BLKDISCARDZEROES:
            *(unsigned int *)arg = 0;
            return 0;
        case BLKRASET:
        case BLKFRASET: {
            /* by value, in sectors; the kernel keeps whole pages: ra_pages = arg * 512 / 4096 */
            const unsigned long long pages = (uintptr_t)arg * kSectorBytes / kPageBytes;
            return sys_write(node, "bdi/read_ahead_kb", pages * (kPageBytes / 1024));
        }
        case BLKFLSBUF:
            return fsync(fd) == 0 ? 0 : -errno;
        case BLKZEROOUT:
            return zero_out(fd, node, (const uint64_t *)arg);
        case BLKDISCARD:
            return discard(fd, node, (const uint64_t *)arg);
        default:
            return -ENOTTY;
    }
}
