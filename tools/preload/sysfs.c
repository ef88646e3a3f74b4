/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What a write to a sysfs attribute means, for the files under DIR/sys that stand in for them:
 * a write replaces the value (sysfs stores the whole buffer; the file is opened with O_TRUNC),
 * and read_ahead_kb keeps whole pages, as read_ahead_kb_store does (ra_pages = kb >> 2), so
 * that libdevmapper's `--readahead 300` (150 KiB) reads back as 296 sectors, as on the kernel.
 *
 * Which fds are such attributes is remembered by inode, per fd number below kTracked, and
 * checked with fstat before a write is treated as a store: a number reused after close() for
 * another file is never mistaken for the attribute.
 */
#include "tools/preload/preload.h" /* first: it sets the feature macros the rest see */
/* (a block of its own, so that sorting includes keeps it first) */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { kTracked = 4096, kPageKiB = 4 };

static ino_t read_ahead_fd[kTracked]; /* the inode of a read_ahead_kb opened for writing */

static int ends_with(const char *s, const char *suffix) {
    const size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

int dmemu_sysfs_open_flags(const struct dmemu_path *p, int flags) {
    if (!p->in_sys || (flags & O_ACCMODE) == O_RDONLY) return flags;
    return flags | O_TRUNC;
}

void dmemu_sysfs_opened(const struct dmemu_path *p, int fd, int flags) {
    if (fd < 0 || fd >= kTracked) return;
    read_ahead_fd[fd] = 0;
    if (!p->in_sys || (flags & O_ACCMODE) == O_RDONLY || !ends_with(p->mapped, "/read_ahead_kb"))
        return;
    const int saved = errno;
    struct stat st;
    if (DMEMU_NEXT(fstat)(fd, &st) == 0) read_ahead_fd[fd] = st.st_ino;
    errno = saved;
}

int dmemu_sysfs_write(int fd, const void *buf, size_t count, ssize_t *written) {
    if (fd < 0 || fd >= kTracked || read_ahead_fd[fd] == 0) return 0;
    const int saved = errno;
    struct stat st;
    if (DMEMU_NEXT(fstat)(fd, &st) != 0 || st.st_ino != read_ahead_fd[fd]) {
        read_ahead_fd[fd] = 0;
        errno = saved;
        return 0;
    }
    char text[32];
    const size_t n = count < sizeof(text) - 1 ? count : sizeof(text) - 1;
    memcpy(text, buf, n);
    text[n] = 0;
    char *end;
    errno = 0;
    const unsigned long kib = strtoul(text, &end, 10);
    if (end == text || errno || (*end && *end != '\n')) {
        *written = -1;
        errno = EINVAL; /* kstrtoul refuses it */
        return 1;
    }
    char value[32];
    const int len = snprintf(value, sizeof(value), "%lu\n", kib / kPageKiB * kPageKiB);
    if (DMEMU_NEXT(pwrite)(fd, value, (size_t)len, 0) != len ||
        DMEMU_NEXT(ftruncate)(fd, len) != 0) {
        *written = -1;
        return 1;
    }
    *written = (ssize_t)count;
    errno = saved;
    return 1;
}
