/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Which path is ours, and where it maps. DIR is DMEMU_DIR, read once. A path is ours only by its
 * exact text (absolute, no canonicalisation); it maps to DIR followed by the same text:
 *
 *   /dev/mapper, /dev/mapper/NAME     always ours: a missing NAME is ENOENT, never the host's
 *   /dev/dm-N                         always ours
 *   /dev/NAME                         ours when DIR/dev/NAME is a node symlink (a dmemu disk)
 *   /dev/NAME, /dev/A/B[/...]         ours when DIR/dev/... is a real symlink whose chain ends
 *                                     at a node of ours (LVM's /dev/VG/LV links): calls that
 *                                     follow links reach the node, the others the link itself
 *   /proc/devices                     always ours
 *   DIR/dev/...                       the same as /dev/... (a program given DIR/dev as its
 *                                     device directory)
 *   /sys/dev/block/M:m[/...]          ours when DIR/sys/dev/block/M:m exists, or M is one of
 *                                     DIR's block majors (DIR/proc/devices): a host device of
 *                                     that major is not visible
 *   /sys/block/KNAME[/...]            ours when DIR/sys/block/KNAME exists, or KNAME is dm-N
 *
 * An absolute path is ours whatever the dirfd; a relative one never is, not even under a dirfd
 * of one of our directories (see preload.h's limits). DM_DEV_DIR is not used:
 * `dmemu exec` leaves libdevmapper's default /dev, and this table is what moves it into DIR.
 *
 * A device node is a symlink in DIR whose target text is "b:MAJ:MIN" or "c:MAJ:MIN" (the
 * daemon's DIR/dev/dm-N and DIR/dev/DISK, and the /dev/mapper nodes libdevmapper mknods
 * through nodes.c). The rest of this file is what every other file shares: the next libc
 * symbol and one-line messages.
 */
#include "tools/preload/preload.h" /* first: it sets the feature macros the rest see */
/* (a block of its own, so that sorting includes keeps it first) */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void *dmemu_next_symbol(const char *name) {
    const int saved = errno;
    void *fn = dlsym(RTLD_NEXT, name);
    errno = saved;
    if (!fn) {
        dmemu_say("libdmemu-preload: no next definition of %s", name);
        abort();
    }
    return fn;
}

void dmemu_say(const char *fmt, ...) {
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if ((size_t)n > sizeof(line) - 2) n = (int)sizeof(line) - 2;
    line[n++] = '\n';
    const int saved = errno;
    for (size_t done = 0; done < (size_t)n;) {
        const ssize_t w = write(STDERR_FILENO, line + done, (size_t)n - done);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) break;
        done += (size_t)w;
    }
    errno = saved;
}

/* Room kept after DIR for the longest fixed suffix we append ("/sys/dev/block/M:m/..."). */
enum { kDirRoom = 256 };

static char dir_[PATH_MAX];
static int dir_state_; /* 0: not read yet, 1: inert, 2: active */

const char *dmemu_dir(void) {
    if (dir_state_ == 0) {
        const char *env = getenv("DMEMU_DIR");
        size_t len = env ? strlen(env) : 0;
        while (len > 1 && env[len - 1] == '/') --len;
        dir_state_ = 1;
        if (len == 0) return NULL;
        if (env[0] != '/' || len == 1 || len >= sizeof(dir_) - kDirRoom) {
            dmemu_say("dmemu: DMEMU_DIR '%s' is not an absolute path other than /: ignored", env);
            return NULL;
        }
        memcpy(dir_, env, len);
        dir_[len] = '\0';
        dir_state_ = 2;
    }
    return dir_state_ == 2 ? dir_ : NULL;
}

void dmemu_dir_reset(void) { dir_state_ = 0; }

static int starts_with(const char *s, const char *prefix, const char **rest) {
    const size_t n = strlen(prefix);
    if (strncmp(s, prefix, n) != 0) return 0;
    *rest = s + n;
    return 1;
}

static int is_dot_name(const char *name) {
    return strcmp(name, ".") == 0 || strcmp(name, "..") == 0;
}

/* Whether `rest` (a path after "/dev/") has no empty, "." or ".." component. */
static int canonical_dev_path(const char *rest) {
    for (const char *c = rest;;) {
        const size_t len = strcspn(c, "/");
        if (len == 0 || (len == 1 && c[0] == '.') || (len == 2 && c[0] == '.' && c[1] == '.'))
            return 0;
        if (!c[len]) return 1;
        c += len + 1;
    }
}

enum dmemu_rule dmemu_path_rule(const char *path, size_t *sys_key_len) {
    const char *rest;
    if (starts_with(path, "/dev/", &rest)) {
        const char *name;
        if (strcmp(rest, "mapper") == 0 || strcmp(rest, "mapper/") == 0)
            return DMEMU_RULE_MAPPER_DIR;
        if (starts_with(rest, "mapper/", &name))
            return strchr(name, '/') || is_dot_name(name) ? DMEMU_RULE_MAPPER_OTHER
                                                          : DMEMU_RULE_MAPPER_NODE;
        const char *digits;
        if (starts_with(rest, "dm-", &digits) && *digits &&
            strspn(digits, "0123456789") == strlen(digits))
            return DMEMU_RULE_DM_NODE;
        if (*rest && !strchr(rest, '/') && !is_dot_name(rest)) return DMEMU_RULE_DEV_NAME;
        /* /dev/A/B...: spelt canonically, and not /dev/block (the host's view of a devno). */
        if (*rest && !starts_with(rest, "block/", &name) && canonical_dev_path(rest))
            return DMEMU_RULE_DEV_LINK;
        return DMEMU_RULE_HOST;
    }
    if (strcmp(path, "/proc/devices") == 0) return DMEMU_RULE_PROC_DEVICES;
    if (starts_with(path, "/sys/dev/block/", &rest) || starts_with(path, "/sys/block/", &rest)) {
        const size_t key = strcspn(rest, "/");
        if (key == 0 || (key <= 2 && rest[0] == '.' && (key == 1 || rest[1] == '.')))
            return DMEMU_RULE_HOST;
        *sys_key_len = (size_t)(rest - path) + key;
        return DMEMU_RULE_SYS;
    }
    return DMEMU_RULE_HOST;
}

int dmemu_parse_node(const char *text, size_t len, struct dmemu_node *out) {
    /* "b:MAJ:MIN" with decimal numbers, as the daemon writes them. */
    if (len < 5 || text[1] != ':' || (text[0] != 'b' && text[0] != 'c')) return -EINVAL;
    unsigned long nums[2] = {0, 0};
    size_t i = 2;
    for (int k = 0; k < 2; ++k) {
        const size_t start = i;
        while (i < len && text[i] >= '0' && text[i] <= '9') {
            nums[k] = nums[k] * 10 + (unsigned long)(text[i] - '0');
            if (nums[k] > 0xfffffffful) return -EINVAL;
            ++i;
        }
        if (i == start) return -EINVAL;
        if (k == 0) {
            if (i >= len || text[i] != ':') return -EINVAL;
            ++i;
        }
    }
    if (i != len) return -EINVAL;
    out->type = text[0] == 'b' ? S_IFBLK : S_IFCHR;
    out->major = (unsigned)nums[0];
    out->minor = (unsigned)nums[1];
    return 0;
}

int dmemu_node_read(const char *mapped, struct dmemu_node *node, struct stat *link) {
    const int saved = errno;
    int r = 0;
    char target[64];
    if (DMEMU_NEXT(lstat)(mapped, link) != 0) {
        r = -errno;
    } else if (!S_ISLNK(link->st_mode)) {
        r = -EINVAL;
    } else {
        const ssize_t n = DMEMU_NEXT(readlink)(mapped, target, sizeof(target));
        if (n < 0)
            r = -errno;
        else if ((size_t)n >= sizeof(target))
            r = -EINVAL;
        else
            r = dmemu_parse_node(target, (size_t)n, node);
    }
    errno = saved;
    return r;
}

int dmemu_dir_path(char *out, const char *rest) {
    const char *dir = dmemu_dir();
    if (!dir) return -ENOENT;
    const int n = snprintf(out, PATH_MAX, "%s%s", dir, rest);
    return n < 0 || n >= PATH_MAX ? -ENAMETOOLONG : 0;
}

/* Whether `major` is in the "Block devices:" part of DIR/proc/devices: the daemon's dm major
 * and its disks' majors, whose /sys/dev/block entries are dmemu's alone. */
static int dir_block_major(const char *dir, unsigned long major) {
    char path[PATH_MAX], text[4096];
    if (snprintf(path, sizeof(path), "%s/proc/devices", dir) >= (int)sizeof(path)) return 0;
    const int fd = DMEMU_NEXT(open)(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    const ssize_t n = read(fd, text, sizeof(text) - 1);
    close(fd);
    if (n <= 0) return 0;
    text[n] = 0;
    const char *block = strstr(text, "Block devices:\n");
    for (const char *line = block; line && *line;) {
        line = strchr(line, '\n');
        if (!line) break;
        ++line;
        char *end;
        const unsigned long m = strtoul(line, &end, 10);
        if (end != line && m == major) return 1;
    }
    return 0;
}

/* A /sys path is ours when DIR has it, or when it names a device only dmemu can have: a
 * /sys/dev/block/M:m of one of DIR's majors, a /sys/block/dm-N. */
static int sys_is_ours(const char *dir, const char *path, size_t key) {
    const char *rest;
    if (starts_with(path, "/sys/block/", &rest)) {
        const char *digits;
        const size_t len = key - (size_t)(rest - path);
        if (starts_with(rest, "dm-", &digits) && len > 3 && strspn(digits, "0123456789") == len - 3)
            return 1;
    } else if (starts_with(path, "/sys/dev/block/", &rest)) {
        char *end;
        const unsigned long major = strtoul(rest, &end, 10);
        if (end != rest && *end == ':' && dir_block_major(dir, major)) return 1;
    }
    return 0;
}

static int exists_in(const char *dir, const char *path, size_t len) {
    char buf[PATH_MAX];
    struct stat st;
    const int n = snprintf(buf, sizeof(buf), "%s%.*s", dir, (int)len, path);
    return n > 0 && n < (int)sizeof(buf) && DMEMU_NEXT(lstat)(buf, &st) == 0;
}

/* Removes "." and ".." components and repeated slashes from absolute `path`, in place ("/.."
 * stays "/"). */
static void normalize(char *path) {
    char *out = path;
    for (const char *in = path; *in;) {
        while (*in == '/') ++in;
        const size_t len = strcspn(in, "/");
        if (len == 0) break;
        if (len == 2 && in[0] == '.' && in[1] == '.') {
            while (out > path && *--out != '/') {
            }
        } else if (!(len == 1 && in[0] == '.')) {
            *out++ = '/';
            memmove(out, in, len);
            out += len;
        }
        in += len;
    }
    if (out == path) *out++ = '/';
    *out = '\0';
}

/* Symlinks are followed this deep at most; the daemon's and LVM's chains are two long. */
enum { kMaxLinkHops = 8 };

/* Follows the chain of real symlinks that starts at /dev path `dev_path` in DIR (DIR/dev/VG/LV
 * -> DIR/dev/mapper/VG-LV, a link LVM makes): 1 with out->node, node_err, link and resolved
 * when the chain ends at a node of ours (a missing /dev/mapper node too: node_err -ENOENT),
 * else 0. `dir_spelt`: the caller spelt the path with DIR in front (see resolved_from). */
static int follow_chain(const char *dir, const char *dev_path, int dir_spelt,
                        struct dmemu_path *out) {
    char cur[PATH_MAX], target[PATH_MAX], file[PATH_MAX];
    const size_t dir_len = strlen(dir);
    if (strlen(dev_path) >= sizeof(cur)) return 0;
    strcpy(cur, dev_path);
    for (int hop = 0; hop < kMaxLinkHops; ++hop) {
        if (snprintf(file, sizeof(file), "%s%s", dir, cur) >= (int)sizeof(file)) return 0;
        const ssize_t n = DMEMU_NEXT(readlink)(file, target, sizeof(target) - 1);
        if (n < 0) return 0;
        target[n] = '\0';
        int node_err = 0;
        if (dmemu_parse_node(target, (size_t)n, &out->node) == 0) {
            node_err = DMEMU_NEXT(lstat)(file, &out->link) == 0 ? 0 : -errno;
        } else {
            if (target[0] == '/') {
                const char *rest = target;
                if (strncmp(target, dir, dir_len) == 0 &&
                    strncmp(target + dir_len, "/dev/", 5) == 0)
                    rest = target + dir_len;
                if (strlen(rest) >= sizeof(cur)) return 0;
                memmove(cur, rest, strlen(rest) + 1);
            } else {
                char *slash = strrchr(cur, '/');
                const size_t keep = (size_t)(slash - cur) + 1;
                if (keep + (size_t)n >= sizeof(cur)) return 0;
                memcpy(cur + keep, target, (size_t)n + 1);
            }
            normalize(cur);
            size_t key = 0;
            switch (dmemu_path_rule(cur, &key)) {
                case DMEMU_RULE_MAPPER_NODE:
                case DMEMU_RULE_DM_NODE:
                    if (snprintf(file, sizeof(file), "%s%s", dir, cur) >= (int)sizeof(file))
                        return 0;
                    node_err = dmemu_node_read(file, &out->node, &out->link);
                    if (node_err == -EINVAL) return 0;
                    break;
                case DMEMU_RULE_DEV_NAME:
                case DMEMU_RULE_DEV_LINK:
                    continue; /* the next hop reads it; not a link: not ours */
                default:
                    return 0;
            }
        }
        out->node_err = node_err;
        out->via_link = hop > 0 || strcmp(cur, dev_path) != 0;
        out->resolved_from = dir_spelt ? 0 : dir_len;
        return snprintf(out->resolved, sizeof(out->resolved), "%s%s", dir, cur) <
               (int)sizeof(out->resolved);
    }
    return 0;
}

enum dmemu_kind dmemu_classify_in(const char *dir, const char *path, struct dmemu_path *out) {
    const int saved = errno;
    /* DIR/dev/... is the same namespace seen from inside DIR: what a program told to use DIR/dev
     * as its device directory (DM_DEV_DIR, LVM's devices/dir) reaches. */
    const size_t dir_len = strlen(dir);
    const int dir_spelt =
        strncmp(path, dir, dir_len) == 0 && strncmp(path + dir_len, "/dev/", 5) == 0;
    if (dir_spelt) path += dir_len;
    out->via_link = 0;
    size_t key = 0;
    const enum dmemu_rule rule = dmemu_path_rule(path, &key);
    out->kind = DMEMU_HOST;
    out->in_mapper = 0;
    out->in_sys = 0;
    if (rule == DMEMU_RULE_HOST) return DMEMU_HOST;
    const int n = snprintf(out->mapped, sizeof(out->mapped), "%s%s", dir, path);
    if (n < 0 || n >= (int)sizeof(out->mapped)) return DMEMU_HOST;
    switch (rule) {
        case DMEMU_RULE_MAPPER_NODE:
            out->in_mapper = 1;
            /* fall through */
        case DMEMU_RULE_DM_NODE:
            /* A missing node is still ours (ENOENT); an entry that is no node symlink is served
             * as the file it is. */
            out->node_err = dmemu_node_read(out->mapped, &out->node, &out->link);
            out->kind = out->node_err == -EINVAL ? DMEMU_FILE : DMEMU_NODE;
            break;
        case DMEMU_RULE_DEV_NAME:
            out->node_err = dmemu_node_read(out->mapped, &out->node, &out->link);
            if (out->node_err == 0 ||
                (out->node_err == -EINVAL && follow_chain(dir, path, dir_spelt, out)))
                out->kind = DMEMU_NODE;
            break;
        case DMEMU_RULE_DEV_LINK:
            if (follow_chain(dir, path, dir_spelt, out)) out->kind = DMEMU_NODE;
            break;
        case DMEMU_RULE_SYS:
            if (exists_in(dir, path, key) || sys_is_ours(dir, path, key)) {
                out->kind = DMEMU_FILE;
                out->in_sys = 1;
            }
            break;
        case DMEMU_RULE_MAPPER_DIR:
        case DMEMU_RULE_MAPPER_OTHER:
        case DMEMU_RULE_PROC_DEVICES:
            out->kind = DMEMU_FILE;
            break;
        case DMEMU_RULE_HOST:
            break;
    }
    errno = saved;
    return out->kind;
}

enum dmemu_kind dmemu_classify(const char *path, struct dmemu_path *out) {
    const char *dir = dmemu_dir();
    if (!dir || !path || path[0] != '/') {
        out->kind = DMEMU_HOST;
        out->in_mapper = 0;
        out->in_sys = 0;
        out->via_link = 0;
        return DMEMU_HOST;
    }
    return dmemu_classify_in(dir, path, out);
}
