/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The exported interposers, and nothing else. Every one asks paths.c whether its path is ours
 * (or, for an fd, asks after the real call) and otherwise calls the next definition with the
 * caller's arguments, leaving errno as libc left it. The path calls are one table,
 * DMEMU_PATH_CALLS: a line gives the wrapper's name and parameters, the dirfd and path that
 * decide, what a device node does, and the call to the next definition, where P is the
 * caller's path or, for our directories and files, its mapping in DIR.
 *
 * The 64 variants share their plain twin's code (x86_64: struct stat64 is struct stat; the
 * _Static_assert below keeps that honest). The __xstat family and __xmknod (what binaries
 * built before glibc 2.33 call) take the same path with the version argument ignored, and
 * pass through to the modern libc functions, which need no compat symbols.
 */
#include "tools/preload/preload.h" /* first: it sets the feature macros the rest see */
/* (a block of its own, so that sorting includes keeps it first) */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/xattr.h>
#include <unistd.h>

_Static_assert(sizeof(struct stat) == sizeof(struct stat64), "stat64 is stat on this ABI");

/* What glibc no longer declares (2.33 removed them) or declares only under fortification. */
int __xstat(int ver, const char *path, struct stat *st);
int __xstat64(int ver, const char *path, struct stat64 *st);
int __lxstat(int ver, const char *path, struct stat *st);
int __lxstat64(int ver, const char *path, struct stat64 *st);
int __fxstat(int ver, int fd, struct stat *st);
int __fxstat64(int ver, int fd, struct stat64 *st);
int __fxstatat(int ver, int dirfd, const char *path, struct stat *st, int flags);
int __fxstatat64(int ver, int dirfd, const char *path, struct stat64 *st, int flags);
int __xmknod(int ver, const char *path, mode_t mode, dev_t *dev);
int __xmknodat(int ver, int dirfd, const char *path, mode_t mode, dev_t *dev);
int __open_2(const char *path, int flags);
int __open64_2(const char *path, int flags);
int __openat_2(int dirfd, const char *path, int flags);
int __openat64_2(int dirfd, const char *path, int flags);

/* Read DMEMU_DIR before main can change the environment. */
__attribute__((constructor)) static void dmemu_init(void) { (void)dmemu_dir(); }

static int fail(int err) {
    errno = err;
    return -1;
}
static int result(int r) { return r < 0 ? fail(-r) : r; }

/* "" under AT_EMPTY_PATH: the call is about dirfd. A function of its own: glibc declares the
 * path nonnull, and -Wnonnull-compare would refuse the NULL test inside the wrapper. */
static int empty_path(const char *path, int flags) {
    return path && !*path && (flags & AT_EMPTY_PATH);
}

/* Only absolute paths are ours, whatever the dirfd. */
static enum dmemu_kind classify_at(int dirfd, const char *path, struct dmemu_path *p) {
    (void)dirfd;
    return dmemu_classify(path, p);
}

/* After an open of one of our files: sysfs attributes remember the fd (sysfs.c). */
static int opened(const struct dmemu_path *p, int fd, int flags) {
    if (p->kind == DMEMU_FILE) dmemu_sysfs_opened(p, fd, flags);
    return fd;
}

/* ---- what a device node does, one helper per kind of call -------------------------------- */

static int node_stat(const struct dmemu_path *p, void *st) {
    return result(dmemu_stat_path(p, st, 1));
}
static int node_exists(const struct dmemu_path *p) { return p->node_err ? fail(-p->node_err) : 0; }
/* A call no node supports fails with err (a missing node with ENOENT): readlink EINVAL (no
 * link), truncate EINVAL (do_truncate refuses non-regular files), getxattr ENODATA (ls -l asks
 * for SELinux labels and ACLs), opendir ENOTDIR. */
static int node_refuse(const struct dmemu_path *p, int err) {
    return fail(p->node_err ? -p->node_err : err);
}
/* readlink: a node is no link; a link of ours that leads to one is read as the link it is. */
static ssize_t node_readlink(const struct dmemu_path *p, char *buf, size_t size) {
    if (p->via_link) return DMEMU_NEXT(readlink)(p->mapped, buf, size);
    return node_refuse(p, EINVAL);
}
static DIR *node_not_dir(const struct dmemu_path *p) {
    node_refuse(p, ENOTDIR);
    return NULL;
}
static int node_mknod(const struct dmemu_path *p, mode_t mode, dev_t dev) {
    return result(dmemu_node_mknod(p, mode, dev));
}
static int node_unlink(const struct dmemu_path *p, int flags) {
    if (flags & AT_REMOVEDIR) return fail(p->in_mapper ? ENOTDIR : EACCES);
    return result(dmemu_node_unlink(p));
}
static int node_open(const struct dmemu_path *p, int flags, mode_t mode) {
    if (p->node_err)
        return fail(p->node_err == -ENOENT && (flags & O_CREAT) ? EACCES : -p->node_err);
    if ((flags & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL)) return fail(EEXIST);
    if (p->node.type == S_IFCHR && p->node.major == 10 && p->node.minor == 236)
        return result(dmemu_control_open(flags));
    return result(dmemu_block_open(&p->node, flags, mode));
}
static FILE *node_fopen(const struct dmemu_path *p, const char *mode) {
    int flags = 0;
    switch (mode[0]) {
        case 'r':
            flags = O_RDONLY;
            break;
        case 'w':
            flags = O_WRONLY | O_CREAT | O_TRUNC;
            break;
        case 'a':
            flags = O_WRONLY | O_CREAT | O_APPEND;
            break;
        default:
            fail(EINVAL);
            return NULL;
    }
    for (const char *m = mode + 1; *m && *m != ','; ++m) {
        if (*m == '+') flags = (flags & ~O_ACCMODE) | O_RDWR;
        if (*m == 'e') flags |= O_CLOEXEC;
        if (*m == 'x') flags |= O_EXCL;
    }
    const int fd = node_open(p, flags, 0666);
    if (fd < 0) return NULL;
    FILE *f = fdopen(fd, mode);
    if (!f) {
        const int err = errno;
        close(fd);
        errno = err;
    }
    return f;
}

/* ---- the path calls -------------------------------------------------------------------- */

/* mode is read only when the flags say a mode was passed, as open(2) does. */
#define DMEMU_VA_MODE(flags)        \
    mode_t mode = 0;                \
    if (__OPEN_NEEDS_MODE(flags)) { \
        va_list ap;                 \
        va_start(ap, flags);        \
        mode = va_arg(ap, mode_t);  \
        va_end(ap);                 \
    }
#define DMEMU_NO_MODE(flags) const mode_t mode = 0;

/* clang-format off */
/* X(return type, name, (parameters), prologue, dirfd, path, for a node, the next call) */
#define DMEMU_PATH_CALLS(X)                                                                       \
    X(int, stat, (const char *path, struct stat *st), ;, AT_FDCWD, path,                          \
      result(dmemu_stat_path(&p_, st, 0)), DMEMU_NEXT(stat)(P, st))                               \
    X(int, stat64, (const char *path, struct stat64 *st), ;, AT_FDCWD, path,                      \
      result(dmemu_stat_path(&p_, (struct stat *)st, 0)), DMEMU_NEXT(stat64)(P, st))              \
    X(int, lstat, (const char *path, struct stat *st), ;, AT_FDCWD, path, node_stat(&p_, st),     \
      DMEMU_NEXT(lstat)(P, st))                                                                   \
    X(int, lstat64, (const char *path, struct stat64 *st), ;, AT_FDCWD, path, node_stat(&p_, st), \
      DMEMU_NEXT(lstat64)(P, st))                                                                 \
    X(int, __xstat, (int ver, const char *path, struct stat *st), (void)ver, AT_FDCWD, path,      \
      result(dmemu_stat_path(&p_, st, 0)), DMEMU_NEXT(stat)(P, st))                               \
    X(int, __xstat64, (int ver, const char *path, struct stat64 *st), (void)ver, AT_FDCWD, path,  \
      result(dmemu_stat_path(&p_, (struct stat *)st, 0)), DMEMU_NEXT(stat64)(P, st))              \
    X(int, __lxstat, (int ver, const char *path, struct stat *st), (void)ver, AT_FDCWD, path,     \
      node_stat(&p_, st), DMEMU_NEXT(lstat)(P, st))                                               \
    X(int, __lxstat64, (int ver, const char *path, struct stat64 *st), (void)ver, AT_FDCWD, path, \
      node_stat(&p_, st), DMEMU_NEXT(lstat64)(P, st))                                             \
    X(int, open, (const char *path, int flags, ...), DMEMU_VA_MODE(flags), AT_FDCWD, path,        \
      node_open(&p_, flags, mode), opened(&p_, DMEMU_NEXT(open)(P, dmemu_sysfs_open_flags(&p_, flags), mode), flags))                              \
    X(int, open64, (const char *path, int flags, ...), DMEMU_VA_MODE(flags), AT_FDCWD, path,      \
      node_open(&p_, flags, mode), opened(&p_, DMEMU_NEXT(open64)(P, dmemu_sysfs_open_flags(&p_, flags), mode), flags))                            \
    X(int, openat, (int dirfd, const char *path, int flags, ...), DMEMU_VA_MODE(flags), dirfd,    \
      path, node_open(&p_, flags, mode), opened(&p_, DMEMU_NEXT(openat)(dirfd, P, dmemu_sysfs_open_flags(&p_, flags), mode), flags))               \
    X(int, openat64, (int dirfd, const char *path, int flags, ...), DMEMU_VA_MODE(flags), dirfd,  \
      path, node_open(&p_, flags, mode), opened(&p_, DMEMU_NEXT(openat64)(dirfd, P, dmemu_sysfs_open_flags(&p_, flags), mode), flags))             \
    X(int, __open_2, (const char *path, int flags), DMEMU_NO_MODE(flags), AT_FDCWD, path,         \
      node_open(&p_, flags, mode), opened(&p_, DMEMU_NEXT(__open_2)(P, dmemu_sysfs_open_flags(&p_, flags)), flags))                                \
    X(int, __open64_2, (const char *path, int flags), DMEMU_NO_MODE(flags), AT_FDCWD, path,       \
      node_open(&p_, flags, mode), opened(&p_, DMEMU_NEXT(__open64_2)(P, dmemu_sysfs_open_flags(&p_, flags)), flags))                              \
    X(int, __openat_2, (int dirfd, const char *path, int flags), DMEMU_NO_MODE(flags), dirfd,     \
      path, node_open(&p_, flags, mode), opened(&p_, DMEMU_NEXT(__openat_2)(dirfd, P, dmemu_sysfs_open_flags(&p_, flags)), flags))                 \
    X(int, __openat64_2, (int dirfd, const char *path, int flags), DMEMU_NO_MODE(flags), dirfd,   \
      path, node_open(&p_, flags, mode), opened(&p_, DMEMU_NEXT(__openat64_2)(dirfd, P, dmemu_sysfs_open_flags(&p_, flags)), flags))               \
    X(int, creat, (const char *path, mode_t mode), ;, AT_FDCWD, path,                             \
      node_open(&p_, O_WRONLY | O_CREAT | O_TRUNC, mode), DMEMU_NEXT(creat)(P, mode))             \
    X(int, creat64, (const char *path, mode_t mode), ;, AT_FDCWD, path,                           \
      node_open(&p_, O_WRONLY | O_CREAT | O_TRUNC, mode), DMEMU_NEXT(creat64)(P, mode))           \
    X(FILE *, fopen, (const char *path, const char *mode), ;, AT_FDCWD, path,                     \
      node_fopen(&p_, mode), DMEMU_NEXT(fopen)(P, mode))                                          \
    X(FILE *, fopen64, (const char *path, const char *mode), ;, AT_FDCWD, path,                   \
      node_fopen(&p_, mode), DMEMU_NEXT(fopen64)(P, mode))                                        \
    X(DIR *, opendir, (const char *path), ;, AT_FDCWD, path, node_not_dir(&p_),                   \
      DMEMU_NEXT(opendir)(P))                                                                     \
    X(int, mknod, (const char *path, mode_t mode, dev_t dev), ;, AT_FDCWD, path,                  \
      node_mknod(&p_, mode, dev), DMEMU_NEXT(mknod)(P, mode, dev))                                \
    X(int, mknodat, (int dirfd, const char *path, mode_t mode, dev_t dev), ;, dirfd, path,        \
      node_mknod(&p_, mode, dev), DMEMU_NEXT(mknodat)(dirfd, P, mode, dev))                       \
    X(int, __xmknod, (int ver, const char *path, mode_t mode, dev_t *dev), (void)ver, AT_FDCWD,   \
      path, node_mknod(&p_, mode, *dev), DMEMU_NEXT(mknod)(P, mode, *dev))                        \
    X(int, __xmknodat, (int ver, int dirfd, const char *path, mode_t mode, dev_t *dev), (void)ver, \
      dirfd, path, node_mknod(&p_, mode, *dev), DMEMU_NEXT(mknodat)(dirfd, P, mode, *dev))        \
    X(int, unlink, (const char *path), ;, AT_FDCWD, path, node_unlink(&p_, 0),                    \
      (p_.kind == DMEMU_FILE ? fail(EACCES) : DMEMU_NEXT(unlink)(P)))                             \
    X(int, unlinkat, (int dirfd, const char *path, int flags), ;, dirfd, path,                    \
      node_unlink(&p_, flags),                                                                    \
      (p_.kind == DMEMU_FILE ? fail(EACCES) : DMEMU_NEXT(unlinkat)(dirfd, P, flags)))             \
    X(int, chown, (const char *path, uid_t uid, gid_t gid), ;, AT_FDCWD, path, node_exists(&p_),  \
      DMEMU_NEXT(chown)(P, uid, gid))                                                             \
    X(int, lchown, (const char *path, uid_t uid, gid_t gid), ;, AT_FDCWD, path, node_exists(&p_), \
      DMEMU_NEXT(lchown)(P, uid, gid))                                                            \
    X(int, fchownat, (int dirfd, const char *path, uid_t uid, gid_t gid, int flags), ;, dirfd,    \
      path, node_exists(&p_), DMEMU_NEXT(fchownat)(dirfd, P, uid, gid, flags))                    \
    X(int, chmod, (const char *path, mode_t mode), ;, AT_FDCWD, path, node_exists(&p_),           \
      DMEMU_NEXT(chmod)(P, mode))                                                                 \
    X(int, fchmodat, (int dirfd, const char *path, mode_t mode, int flags), ;, dirfd, path,       \
      node_exists(&p_), DMEMU_NEXT(fchmodat)(dirfd, P, mode, flags))                              \
    X(int, access, (const char *path, int mode), ;, AT_FDCWD, path, node_exists(&p_),             \
      DMEMU_NEXT(access)(P, mode))                                                                \
    X(int, euidaccess, (const char *path, int mode), ;, AT_FDCWD, path, node_exists(&p_),         \
      DMEMU_NEXT(euidaccess)(P, mode))                                                            \
    X(int, eaccess, (const char *path, int mode), ;, AT_FDCWD, path, node_exists(&p_),            \
      DMEMU_NEXT(eaccess)(P, mode))                                                               \
    X(int, faccessat, (int dirfd, const char *path, int mode, int flags), ;, dirfd, path,         \
      node_exists(&p_), DMEMU_NEXT(faccessat)(dirfd, P, mode, flags))                             \
    X(int, truncate, (const char *path, off_t len), ;, AT_FDCWD, path, node_refuse(&p_, EINVAL),  \
      DMEMU_NEXT(truncate)(P, len))                                                               \
    X(int, truncate64, (const char *path, off64_t len), ;, AT_FDCWD, path,                        \
      node_refuse(&p_, EINVAL), DMEMU_NEXT(truncate64)(P, len))                                   \
    X(ssize_t, getxattr, (const char *path, const char *name, void *value, size_t size), ;,       \
      AT_FDCWD, path, node_refuse(&p_, ENODATA), DMEMU_NEXT(getxattr)(P, name, value, size))      \
    X(ssize_t, lgetxattr, (const char *path, const char *name, void *value, size_t size), ;,      \
      AT_FDCWD, path, node_refuse(&p_, ENODATA), DMEMU_NEXT(lgetxattr)(P, name, value, size))     \
    X(ssize_t, listxattr, (const char *path, char *list, size_t size), ;, AT_FDCWD, path,         \
      node_exists(&p_), DMEMU_NEXT(listxattr)(P, list, size))                                     \
    X(ssize_t, llistxattr, (const char *path, char *list, size_t size), ;, AT_FDCWD, path,        \
      node_exists(&p_), DMEMU_NEXT(llistxattr)(P, list, size))                                    \
    X(ssize_t, readlink, (const char *path, char *buf, size_t size), ;, AT_FDCWD, path,           \
      node_readlink(&p_, buf, size), DMEMU_NEXT(readlink)(P, buf, size))                          \
    X(ssize_t, readlinkat, (int dirfd, const char *path, char *buf, size_t size), ;, dirfd, path, \
      node_readlink(&p_, buf, size), DMEMU_NEXT(readlinkat)(dirfd, P, buf, size))

#define DMEMU_DEFINE_PATH_CALL(type, name, params, prologue, dirfd, path, on_node, next_call)     \
    DMEMU_EXPORT type name params {                                                               \
        prologue;                                                                                 \
        struct dmemu_path p_;                                                                     \
        const char *P = path;                                                                     \
        switch (classify_at(dirfd, path, &p_)) {                                                  \
            case DMEMU_NODE:                                                                      \
                return on_node;                                                                   \
            case DMEMU_FILE:                                                                      \
                P = p_.mapped;                                                                    \
                break;                                                                            \
            case DMEMU_HOST:                                                                      \
                break;                                                                            \
        }                                                                                         \
        return next_call;                                                                         \
    }
DMEMU_PATH_CALLS(DMEMU_DEFINE_PATH_CALL)
/* clang-format on */

/* ---- calls on an fd, or on either a path or an fd --------------------------------------- */

/* clang-format off */
/* X(name, (parameters), fd, stat buffer, the next call): the real fstat, then our nodes' look */
#define DMEMU_FD_STATS(X)                                                                         \
    X(fstat, (int fd, struct stat *st), fd, st, DMEMU_NEXT(fstat)(fd, st))                        \
    X(fstat64, (int fd, struct stat64 *st), fd, st, DMEMU_NEXT(fstat64)(fd, st))                  \
    X(__fxstat, (int ver, int fd, struct stat *st), fd, st,                                       \
      ((void)ver, DMEMU_NEXT(fstat)(fd, st)))                                                     \
    X(__fxstat64, (int ver, int fd, struct stat64 *st), fd, st,                                   \
      ((void)ver, DMEMU_NEXT(fstat64)(fd, st)))

#define DMEMU_DEFINE_FD_STAT(name, params, fd, st, next_call)                                     \
    DMEMU_EXPORT int name params {                                                                \
        const int r = next_call;                                                                  \
        if (r == 0 && dmemu_dir()) dmemu_patch_fstat(fd, (struct stat *)st);                      \
        return r;                                                                                 \
    }
DMEMU_FD_STATS(DMEMU_DEFINE_FD_STAT)
/* clang-format on */

/* ftruncate of a block node (dd calls it on its output, ignoring EINVAL for devices) would
 * truncate the device's file. */
DMEMU_EXPORT int ftruncate(int fd, off_t len) {
    struct dmemu_node node;
    if (dmemu_dir() && dmemu_block_fd(fd, &node)) return fail(EINVAL);
    return DMEMU_NEXT(ftruncate)(fd, len);
}
DMEMU_EXPORT int ftruncate64(int fd, off64_t len) {
    struct dmemu_node node;
    if (dmemu_dir() && dmemu_block_fd(fd, &node)) return fail(EINVAL);
    return DMEMU_NEXT(ftruncate64)(fd, len);
}

static int at_stat(int dirfd, const char *path, struct stat *st, int flags) {
    struct dmemu_path p;
    if (empty_path(path, flags)) {
        const int r = DMEMU_NEXT(fstatat)(dirfd, path, st, flags);
        if (r == 0 && dmemu_dir()) dmemu_patch_fstat(dirfd, st);
        return r;
    }
    if (classify_at(dirfd, path, &p) != DMEMU_HOST)
        return result(dmemu_stat_path(&p, st, flags & AT_SYMLINK_NOFOLLOW));
    return DMEMU_NEXT(fstatat)(dirfd, path, st, flags);
}

DMEMU_EXPORT int fstatat(int dirfd, const char *path, struct stat *st, int flags) {
    return at_stat(dirfd, path, st, flags);
}
DMEMU_EXPORT int fstatat64(int dirfd, const char *path, struct stat64 *st, int flags) {
    return at_stat(dirfd, path, (struct stat *)st, flags);
}
DMEMU_EXPORT int __fxstatat(int ver, int dirfd, const char *path, struct stat *st, int flags) {
    (void)ver;
    return at_stat(dirfd, path, st, flags);
}
DMEMU_EXPORT int __fxstatat64(int ver, int dirfd, const char *path, struct stat64 *st, int flags) {
    (void)ver;
    return at_stat(dirfd, path, (struct stat *)st, flags);
}

DMEMU_EXPORT int statx(int dirfd, const char *path, int flags, unsigned int mask,
                       struct statx *stx) {
    struct dmemu_path p;
    if (empty_path(path, flags)) {
        const int r = DMEMU_NEXT(statx)(dirfd, path, flags, mask, stx);
        if (r == 0 && dmemu_dir()) dmemu_patch_fstatx(dirfd, stx);
        return r;
    }
    if (classify_at(dirfd, path, &p) != DMEMU_HOST)
        return result(dmemu_statx_path(&p, flags, mask, stx));
    return DMEMU_NEXT(statx)(dirfd, path, flags, mask, stx);
}

/* rename(2) between two paths of ours moves a /dev/mapper node; ours and the host's: EXDEV. */
static int rename_at(int olddirfd, const char *from, int newdirfd, const char *to,
                     unsigned int flags) {
    struct dmemu_path a, b;
    const int ours_a = classify_at(olddirfd, from, &a) != DMEMU_HOST;
    const int ours_b = classify_at(newdirfd, to, &b) != DMEMU_HOST;
    if (!ours_a && !ours_b)
        return flags ? DMEMU_NEXT(renameat2)(olddirfd, from, newdirfd, to, flags)
                     : DMEMU_NEXT(renameat)(olddirfd, from, newdirfd, to);
    if (flags & ~RENAME_NOREPLACE) return fail(EINVAL);
    if ((flags & RENAME_NOREPLACE) && b.kind == DMEMU_NODE && b.node_err == 0) return fail(EEXIST);
    return result(dmemu_node_rename(&a, &b));
}

DMEMU_EXPORT int rename(const char *from, const char *to) {
    return rename_at(AT_FDCWD, from, AT_FDCWD, to, 0);
}
DMEMU_EXPORT int renameat(int olddirfd, const char *from, int newdirfd, const char *to) {
    return rename_at(olddirfd, from, newdirfd, to, 0);
}
DMEMU_EXPORT int renameat2(int olddirfd, const char *from, int newdirfd, const char *to,
                           unsigned int flags) {
    return rename_at(olddirfd, from, newdirfd, to, flags);
}

/* Our paths are canonical as spelt: realpath returns them unchanged when they exist. Spellings
 * with ".", ".." or "//" go to libc, which resolves them on the host. */
static int canonical_text(const char *path) {
    const size_t len = strlen(path);
    return len > 0 && path[len - 1] != '/' && !strstr(path, "//") && !strstr(path, "/./") &&
           !strstr(path, "/../") && !(len >= 2 && strcmp(path + len - 2, "/.") == 0) &&
           !(len >= 3 && strcmp(path + len - 3, "/..") == 0);
}

static char *realpath_at(const char *path, char *resolved) {
    struct dmemu_path p;
    struct stat st;
    if (classify_at(AT_FDCWD, path, &p) == DMEMU_HOST || !canonical_text(path))
        return DMEMU_NEXT(realpath)(path, resolved);
    const int r = dmemu_stat_path(&p, &st, 0);
    /* A link of ours resolves to the node its chain ends at. */
    const char *real = p.kind == DMEMU_NODE && p.via_link ? p.resolved + p.resolved_from : path;
    if (r || strlen(real) >= PATH_MAX) {
        fail(r ? -r : ENAMETOOLONG);
        return NULL;
    }
    return resolved ? strcpy(resolved, real) : strdup(real);
}

DMEMU_EXPORT char *realpath(const char *path, char *resolved) {
    return realpath_at(path, resolved);
}
DMEMU_EXPORT char *canonicalize_file_name(const char *path) { return realpath_at(path, NULL); }

/* A write to a sysfs attribute of ours is a store (sysfs.c); every other write goes through. */
DMEMU_EXPORT ssize_t write(int fd, const void *buf, size_t count) {
    ssize_t written;
    if (dmemu_sysfs_write(fd, buf, count, &written)) return written;
    return DMEMU_NEXT(write)(fd, buf, count);
}

/* ---- NETLINK_CONNECTOR sockets (netlink.c) ------------------------------------------------ */

DMEMU_EXPORT int socket(int domain, int type, int protocol) {
    if (domain == AF_NETLINK && protocol == NETLINK_CONNECTOR && dmemu_dir() &&
        ((type & 0xf) == SOCK_DGRAM || (type & 0xf) == SOCK_RAW))
        return result(dmemu_connector_socket(type));
    return DMEMU_NEXT(socket)(domain, type, protocol);
}
DMEMU_EXPORT int bind(int fd, const struct sockaddr *addr, socklen_t len) {
    if (addr && addr->sa_family == AF_NETLINK && dmemu_dir() && dmemu_is_connector_fd(fd)) return 0;
    return DMEMU_NEXT(bind)(fd, addr, len);
}
DMEMU_EXPORT int setsockopt(int fd, int level, int name, const void *value, socklen_t len) {
    if (level == SOL_NETLINK && dmemu_dir() && dmemu_is_connector_fd(fd)) return 0;
    return DMEMU_NEXT(setsockopt)(fd, level, name, value, len);
}
DMEMU_EXPORT int getsockname(int fd, struct sockaddr *addr, socklen_t *len) {
    if (dmemu_dir() && dmemu_is_connector_fd(fd)) {
        dmemu_connector_address(addr, len, (unsigned)getpid());
        return 0;
    }
    return DMEMU_NEXT(getsockname)(fd, addr, len);
}
DMEMU_EXPORT ssize_t sendto(int fd, const void *buf, size_t n, int flags,
                            const struct sockaddr *addr, socklen_t len) {
    if (addr && addr->sa_family == AF_NETLINK && dmemu_dir() && dmemu_is_connector_fd(fd))
        return send(fd, buf, n, flags);
    return DMEMU_NEXT(sendto)(fd, buf, n, flags, addr, len);
}
DMEMU_EXPORT ssize_t recvfrom(int fd, void *buf, size_t n, int flags, struct sockaddr *addr,
                              socklen_t *len) {
    const ssize_t r = DMEMU_NEXT(recvfrom)(fd, buf, n, flags, addr, len);
    if (r >= 0 && addr && len && *len >= sizeof(sa_family_t) && addr->sa_family == AF_UNIX &&
        dmemu_dir() && dmemu_is_connector_fd(fd))
        dmemu_connector_address(addr, len, 0); /* from the kernel */
    return r;
}

/* LVM locks its memory while a device is suspended, so that paging cannot wait on the suspended
 * device. dmemu's devices are served by a process the kernel never blocks on, and an ordinary
 * user's RLIMIT_MEMLOCK refuses it (one "mlock failed" line per mapping): the calls succeed and
 * lock nothing. */
DMEMU_EXPORT int mlock(const void *addr, size_t len) {
    return dmemu_dir() ? 0 : DMEMU_NEXT(mlock)(addr, len);
}
DMEMU_EXPORT int mlock2(const void *addr, size_t len, unsigned int flags) {
    return dmemu_dir() ? 0 : DMEMU_NEXT(mlock2)(addr, len, flags);
}
DMEMU_EXPORT int munlock(const void *addr, size_t len) {
    return dmemu_dir() ? 0 : DMEMU_NEXT(munlock)(addr, len);
}
DMEMU_EXPORT int mlockall(int flags) { return dmemu_dir() ? 0 : DMEMU_NEXT(mlockall)(flags); }
DMEMU_EXPORT int munlockall(void) { return dmemu_dir() ? 0 : DMEMU_NEXT(munlockall)(); }

DMEMU_EXPORT int ioctl(int fd, unsigned long request, ...) {
    va_list ap;
    va_start(ap, request);
    void *arg = va_arg(ap, void *);
    va_end(ap);
    if (dmemu_dir()) {
        struct dmemu_node node;
        if (_IOC_TYPE(request) == 0xfd && dmemu_is_control_fd(fd))
            return result(dmemu_control_ioctl(fd, request, arg));
        if (dmemu_block_ioctl_known(request) && dmemu_block_fd(fd, &node))
            return result(dmemu_block_ioctl(fd, &node, request, arg));
    }
    return DMEMU_NEXT(ioctl)(fd, request, arg);
}
