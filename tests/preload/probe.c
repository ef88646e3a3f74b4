/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * preload_probe: runs under libdmemu-preload.so (LD_PRELOAD, DMEMU_DIR) and prints what a
 * program sees, one fact a line, for tests/preload to compare exactly. Built with meson's
 * _FILE_OFFSET_BITS=64, so its stat/open calls reach the library's 64 variants.
 *
 *   preload_probe control            open /dev/mapper/control, fstat, DM_VERSION, a failing ioctl
 *   preload_probe block PATH         stat, open, fstat (and after dup), the block ioctls
 *   preload_probe inherit PATH       fstat of a block fd in a child after fork + exec of itself
 *   preload_probe fstat-fd FD        (the child's half of `inherit`)
 *   preload_probe nodes              mknod, stat, rename, unlink of /dev/mapper/x
 *   preload_probe proc               /proc/devices through fopen
 *   preload_probe compat PATH        the pre-2.33 __xstat/__lxstat/__fxstat/__xmknod entry points
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/dm-ioctl.h>
#include <linux/fs.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *err_name(int err) {
    const char *name = strerrorname_np(err);
    return name ? name : "?";
}

/* "LABEL: RESULT errno NAME" ("-" when the call succeeded), errno read after the call. */
#define SHOW(label, expr)                                                     \
    do {                                                                      \
        errno = 0;                                                            \
        const long r_ = (long)(expr);                                         \
        const int e_ = errno;                                                 \
        printf("%s: %ld errno %s\n", label, r_, r_ < 0 ? err_name(e_) : "-"); \
    } while (0)

static void print_stat(const char *what, int r, const struct stat *st) {
    if (r != 0) {
        printf("%s: errno %s\n", what, err_name(errno));
        return;
    }
    if (S_ISDIR(st->st_mode)) { /* size and mode are the host directory's */
        printf("%s: dir\n", what);
        return;
    }
    const char *type = S_ISBLK(st->st_mode)   ? "blk"
                       : S_ISCHR(st->st_mode) ? "chr"
                       : S_ISDIR(st->st_mode) ? "dir"
                       : S_ISREG(st->st_mode) ? "reg"
                       : S_ISLNK(st->st_mode) ? "lnk"
                                              : "other";
    printf("%s: %s %u:%u mode %03o size %lld blksize %ld nlink %lu\n", what, type,
           major(st->st_rdev), minor(st->st_rdev), (unsigned)(st->st_mode & 0777),
           (long long)st->st_size, (long)st->st_blksize, (unsigned long)st->st_nlink);
}

static int probe_control(void) {
    const int fd = open("/dev/mapper/control", O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        printf("open: errno %s\n", err_name(errno));
        return 1;
    }
    struct stat st;
    print_stat("fstat", fstat(fd, &st), &st);
    const int copy = dup(fd);
    print_stat("fstat dup", fstat(copy, &st), &st);
    close(copy);

    union {
        struct dm_ioctl dmi;
        char bytes[16384];
    } buf;
    memset(&buf, 0, sizeof(buf));
    buf.dmi.version[0] = DM_VERSION_MAJOR;
    buf.dmi.data_size = sizeof(buf);
    buf.dmi.data_start = sizeof(struct dm_ioctl);
    if (ioctl(fd, DM_VERSION, &buf.dmi) != 0)
        printf("DM_VERSION: errno %s\n", err_name(errno));
    else
        printf("DM_VERSION: %u.%u.%u\n", buf.dmi.version[0], buf.dmi.version[1],
               buf.dmi.version[2]);
    strcpy(buf.dmi.name, "nosuch");
    SHOW("DM_DEV_STATUS", ioctl(fd, DM_DEV_STATUS, &buf.dmi));
    /* not a dm ioctl: goes to libc, which asks the socket */
    int bytes = -1;
    SHOW("FIONREAD", ioctl(fd, FIONREAD, &bytes));
    close(fd);
    return 0;
}

static int probe_block(const char *path) {
    struct stat st;
    print_stat("stat", stat(path, &st), &st);
    print_stat("lstat", lstat(path, &st), &st);
    const int fd = open(path, O_RDWR | O_CLOEXEC | O_TRUNC);
    if (fd < 0) {
        printf("open: errno %s\n", err_name(errno));
        return 1;
    }
    print_stat("fstat", fstat(fd, &st), &st);
    const int copy = dup(fd);
    print_stat("fstat dup", fstat(copy, &st), &st);
    close(copy);

    uint64_t bytes = 0;
    unsigned long sectors = 0;
    int ssz = 0, bsz = 0, ro = -1, alignoff = -1;
    unsigned int pbsz = 0, iomin = 0, ioopt = 0, zeroes = 9;
    long ra = 0;
    if (ioctl(fd, BLKGETSIZE64, &bytes) || ioctl(fd, BLKGETSIZE, &sectors) ||
        ioctl(fd, BLKSSZGET, &ssz) || ioctl(fd, BLKBSZGET, &bsz) || ioctl(fd, BLKPBSZGET, &pbsz) ||
        ioctl(fd, BLKIOMIN, &iomin) || ioctl(fd, BLKIOOPT, &ioopt) ||
        ioctl(fd, BLKALIGNOFF, &alignoff) || ioctl(fd, BLKROGET, &ro) || ioctl(fd, BLKRAGET, &ra) ||
        ioctl(fd, BLKDISCARDZEROES, &zeroes)) {
        printf("block ioctl: errno %s\n", err_name(errno));
        return 1;
    }
    printf("BLKGETSIZE64 %llu BLKGETSIZE %lu BLKSSZGET %d BLKBSZGET %d BLKPBSZGET %u\n",
           (unsigned long long)bytes, sectors, ssz, bsz, pbsz);
    printf(
        "BLKIOMIN %u BLKIOOPT %u BLKALIGNOFF %d BLKROGET %d BLKRAGET %ld "
        "BLKDISCARDZEROES %u\n",
        iomin, ioopt, alignoff, ro, ra, zeroes);
    if (ioctl(fd, BLKRASET, 1024UL) || ioctl(fd, BLKRAGET, &ra))
        printf("BLKRASET: errno %s\n", err_name(errno));
    else
        printf("BLKRASET 1024: BLKRAGET %ld\n", ra);

    /* BLKZEROOUT over bytes the test filled with 0xff: 4096..8191 */
    uint64_t range[2] = {4096, 4096};
    unsigned char check[3];
    const int z = ioctl(fd, BLKZEROOUT, range);
    if (pread(fd, &check[0], 1, 4095) != 1 || pread(fd, &check[1], 1, 4096) != 1 ||
        pread(fd, &check[2], 1, 8192) != 1)
        printf("pread: errno %s\n", err_name(errno));
    printf("BLKZEROOUT: %d bytes 4095,4096,8192: %02x %02x %02x\n", z, check[0], check[1],
           check[2]);
    uint64_t bad[2] = {100, 512};
    SHOW("BLKZEROOUT unaligned", ioctl(fd, BLKZEROOUT, bad));
    uint64_t past[2] = {bytes - 512, 1024};
    SHOW("BLKZEROOUT past the end", ioctl(fd, BLKZEROOUT, past));
    uint64_t discard[2] = {0, 4096};
    SHOW("BLKDISCARD", ioctl(fd, BLKDISCARD, discard));
    SHOW("BLKFLSBUF", ioctl(fd, BLKFLSBUF, 0));
    SHOW("BLKSECDISCARD (to libc)", ioctl(fd, BLKSECDISCARD, discard));
    close(fd);
    return 0;
}

static int probe_inherit(const char *path) {
    const int fd = open(path, O_RDONLY); /* no O_CLOEXEC: the child inherits it */
    if (fd < 0) {
        printf("open: errno %s\n", err_name(errno));
        return 1;
    }
    fflush(stdout);
    const pid_t pid = fork();
    if (pid == 0) {
        char num[16];
        snprintf(num, sizeof(num), "%d", fd);
        execl("/proc/self/exe", "preload_probe", "fstat-fd", num, (char *)NULL);
        _exit(127);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    printf("child exit %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    return 0;
}

static int probe_fstat_fd(int fd) {
    struct stat st;
    print_stat("child fstat", fstat(fd, &st), &st);
    return 0;
}

static int probe_nodes(void) {
    struct stat st;
    SHOW("mknod x", mknod("/dev/mapper/x", S_IFBLK | 0600, makedev(253, 5)));
    print_stat("stat x", stat("/dev/mapper/x", &st), &st);
    SHOW("mknod x again", mknod("/dev/mapper/x", S_IFBLK | 0600, makedev(253, 5)));
    SHOW("chown x", chown("/dev/mapper/x", getuid(), getgid()));
    char link[64];
    SHOW("readlink x", readlink("/dev/mapper/x", link, sizeof(link)));
    SHOW("access x", access("/dev/mapper/x", R_OK | W_OK));
    SHOW("rename x y", rename("/dev/mapper/x", "/dev/mapper/y"));
    print_stat("stat x", stat("/dev/mapper/x", &st), &st);
    print_stat("lstat y", lstat("/dev/mapper/y", &st), &st);
    char resolved[PATH_MAX];
    printf("realpath y: %s\n", realpath("/dev/mapper/y", resolved) ? resolved : "NULL");
    SHOW("unlink y", unlink("/dev/mapper/y"));
    print_stat("stat y", stat("/dev/mapper/y", &st), &st);
    SHOW("unlink y again", unlink("/dev/mapper/y"));
    SHOW("unlink /dev/dm-0", unlink("/dev/dm-0"));
    SHOW("rename to the host", rename("/dev/mapper/lin", "/tmp/lin"));
    SHOW("open nosuch", open("/dev/mapper/nosuch", O_RDONLY));
    print_stat("stat dir", stat("/dev/mapper", &st), &st);
    return 0;
}

static int probe_proc(void) {
    FILE *f = fopen("/proc/devices", "r");
    if (!f) {
        printf("fopen: errno %s\n", err_name(errno));
        return 1;
    }
    char line[256];
    while (fgets(line, sizeof(line), f))
        if (strstr(line, "device-mapper") || strstr(line, "misc")) fputs(line, stdout);
    fclose(f);
    return 0;
}

/* Binaries built before glibc 2.33 call these; glibc 2.36 keeps them as compat symbols only,
 * so they are looked up at run time: found in the preload library, or missing without it. */
static int probe_compat(const char *path) {
    int (*xstat)(int, const char *, struct stat *) = dlsym(RTLD_DEFAULT, "__xstat");
    int (*lxstat)(int, const char *, struct stat *) = dlsym(RTLD_DEFAULT, "__lxstat");
    int (*fxstat)(int, int, struct stat *) = dlsym(RTLD_DEFAULT, "__fxstat");
    int (*xmknod)(int, const char *, mode_t, dev_t *) = dlsym(RTLD_DEFAULT, "__xmknod");
    if (!xstat || !lxstat || !fxstat || !xmknod) {
        printf("compat symbols missing\n");
        return 1;
    }
    struct stat st;
    print_stat("__xstat", xstat(1, path, &st), &st);
    print_stat("__lxstat", lxstat(1, path, &st), &st);
    const int fd = open(path, O_RDONLY);
    print_stat("__fxstat", fxstat(1, fd, &st), &st);
    close(fd);
    dev_t dev = makedev(253, 7);
    SHOW("__xmknod z", xmknod(1, "/dev/mapper/z", S_IFBLK | 0600, &dev));
    print_stat("__xstat z", xstat(1, "/dev/mapper/z", &st), &st);
    SHOW("unlink z", unlink("/dev/mapper/z"));
    return 0;
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc == 2 && strcmp(argv[1], "control") == 0) return probe_control();
    if (argc == 3 && strcmp(argv[1], "block") == 0) return probe_block(argv[2]);
    if (argc == 3 && strcmp(argv[1], "inherit") == 0) return probe_inherit(argv[2]);
    if (argc == 3 && strcmp(argv[1], "fstat-fd") == 0) return probe_fstat_fd(atoi(argv[2]));
    if (argc == 2 && strcmp(argv[1], "nodes") == 0) return probe_nodes();
    if (argc == 2 && strcmp(argv[1], "proc") == 0) return probe_proc();
    if (argc == 3 && strcmp(argv[1], "compat") == 0) return probe_compat(argv[2]);
    fprintf(stderr,
            "usage: preload_probe control|block PATH|inherit PATH|nodes|proc|compat PATH\n");
    return 2;
}
