/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Device nodes as programs see them. A node path (paths.c) stats as the node its symlink in DIR
 * names: S_IFBLK|0660 (S_IFCHR|0600 for "c:"), st_rdev MAJ:MIN, size and blocks 0, blksize 4096,
 * one link, and owner, times, inode and st_dev of the symlink itself; lstat is the same (nodes
 * are no links). Directories and /proc, /sys files stat as their mapping in DIR.
 *
 * An fd needs no table: after the real fstat, a file on the FUSE mount that is some
 * DIR/dev/block entry's file is that block node (blockdev.c), and a connection to DIR/ioctl.sock
 * is the control node 10:236 (control.c). That survives dup, fork, exec and programs that close
 * every fd they did not open.
 *
 * Only /dev/mapper/NAME nodes change: libdevmapper mknods them after create and resume, unlinks
 * them on remove and renames them on rename, as it does without udev; here those are symlink
 * operations in DIR/dev/mapper. Every other node of ours belongs to the daemon (EACCES, as
 * /dev is to an ordinary user).
 */
#include "tools/preload/preload.h" /* first: it sets the feature macros the rest see */
/* (a block of its own, so that sorting includes keeps it first) */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <unistd.h>

/* The control node's number: misc major 10, MAPPER_CTRL_MINOR 236. */
enum { kControlMajor = 10, kControlMinor = 236, kNodeBlksize = 4096 };

static mode_t node_mode(mode_t type) { return type | (type == S_IFCHR ? 0600 : 0660); }

static void fill_stat(struct stat *st, mode_t type, unsigned major, unsigned minor) {
    st->st_mode = node_mode(type);
    st->st_rdev = makedev(major, minor);
    st->st_size = 0;
    st->st_blocks = 0;
    st->st_blksize = kNodeBlksize;
    st->st_nlink = 1;
}

static void fill_statx(struct statx *stx, mode_t type, unsigned major, unsigned minor) {
    stx->stx_mask |= STATX_TYPE | STATX_MODE | STATX_NLINK | STATX_SIZE | STATX_BLOCKS;
    stx->stx_mode = (unsigned short)node_mode(type);
    stx->stx_rdev_major = major;
    stx->stx_rdev_minor = minor;
    stx->stx_size = 0;
    stx->stx_blocks = 0;
    stx->stx_blksize = kNodeBlksize;
    stx->stx_nlink = 1;
}

int dmemu_stat_path(const struct dmemu_path *p, struct stat *st, int nofollow) {
    if (p->kind == DMEMU_NODE && !(nofollow && p->via_link)) {
        if (p->node_err) return p->node_err;
        *st = p->link;
        fill_stat(st, p->node.type, p->node.major, p->node.minor);
        return 0;
    }
    const int r = nofollow ? DMEMU_NEXT(lstat)(p->mapped, st) : DMEMU_NEXT(stat)(p->mapped, st);
    return r == 0 ? 0 : -errno;
}

int dmemu_statx_path(const struct dmemu_path *p, int flags, unsigned mask, struct statx *stx) {
    const int node = p->kind == DMEMU_NODE && !(p->via_link && (flags & AT_SYMLINK_NOFOLLOW));
    const char *file = p->mapped;
    if (node) {
        if (p->node_err) return p->node_err;
        flags |= AT_SYMLINK_NOFOLLOW; /* the node symlink's own owner and times */
        if (p->via_link) file = p->resolved;
    }
    if (DMEMU_NEXT(statx)(AT_FDCWD, file, flags, mask, stx) != 0) return -errno;
    if (node) fill_statx(stx, p->node.type, p->node.major, p->node.minor);
    return 0;
}

void dmemu_patch_fstat(int fd, struct stat *st) {
    struct dmemu_node node;
    if (S_ISSOCK(st->st_mode) && dmemu_is_control_fd(fd))
        fill_stat(st, S_IFCHR, kControlMajor, kControlMinor);
    else if (S_ISREG(st->st_mode) && dmemu_block_of(st->st_dev, st->st_ino, &node))
        fill_stat(st, S_IFBLK, node.major, node.minor);
}

void dmemu_patch_fstatx(int fd, struct statx *stx) {
    struct dmemu_node node;
    if (S_ISSOCK(stx->stx_mode) && dmemu_is_control_fd(fd))
        fill_statx(stx, S_IFCHR, kControlMajor, kControlMinor);
    else if (S_ISREG(stx->stx_mode) &&
             dmemu_block_of(makedev(stx->stx_dev_major, stx->stx_dev_minor), stx->stx_ino, &node))
        fill_statx(stx, S_IFBLK, node.major, node.minor);
}

int dmemu_node_mknod(const struct dmemu_path *p, mode_t mode, dev_t dev) {
    if (p->kind != DMEMU_NODE || !p->in_mapper)
        return p->kind == DMEMU_NODE && p->node_err == 0 ? -EEXIST : -EACCES;
    const mode_t type = mode & S_IFMT;
    if (type != S_IFBLK && type != S_IFCHR) return -EPERM;
    char target[64];
    snprintf(target, sizeof(target), "%c:%u:%u", type == S_IFBLK ? 'b' : 'c', major(dev),
             minor(dev));
    return symlink(target, p->mapped) == 0 ? 0 : -errno;
}

int dmemu_node_unlink(const struct dmemu_path *p) {
    if (p->kind == DMEMU_NODE && p->via_link)
        return DMEMU_NEXT(unlink)(p->mapped) == 0 ? 0 : -errno;
    if (p->kind != DMEMU_NODE || !p->in_mapper) return -EACCES;
    if (p->node_err) return p->node_err;
    return DMEMU_NEXT(unlink)(p->mapped) == 0 ? 0 : -errno;
}

int dmemu_node_rename(const struct dmemu_path *from, const struct dmemu_path *to) {
    if (from->kind == DMEMU_HOST || to->kind == DMEMU_HOST) return -EXDEV;
    if (from->kind != DMEMU_NODE || !from->in_mapper || to->kind != DMEMU_NODE || !to->in_mapper)
        return -EACCES;
    if (from->node_err) return from->node_err;
    return DMEMU_NEXT(rename)(from->mapped, to->mapped) == 0 ? 0 : -errno;
}
