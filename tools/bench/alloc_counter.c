// SPDX-License-Identifier: GPL-2.0-only
// Heap allocations counted for the benchmarks (issue #20: "at most one allocation per 4 KiB
// request"), preloaded into the daemon:
//
//   DMEMU_ALLOC_COUNTER=FILE LD_PRELOAD=build-bench/tools/bench/libdmemu_alloc_counter.so dmemu
//   start DIR
//
// FILE holds one little-endian u64, created by the caller (8 zero bytes); every malloc, calloc,
// realloc and aligned allocation of every thread of the process (and of the processes it forks)
// adds one to it through a shared mapping, so the benchmark reads the count before and after a
// run without asking the daemon anything. C++'s operator new is libstdc++'s malloc. free is not
// interposed: glibc's own free takes what glibc's allocator gave.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

extern void* __libc_malloc(size_t size);
extern void* __libc_calloc(size_t n, size_t size);
extern void* __libc_realloc(void* p, size_t size);
extern void* __libc_memalign(size_t alignment, size_t size);

static _Atomic uint64_t* counter;

__attribute__((constructor)) static void map_counter(void) {
    const char* path = getenv("DMEMU_ALLOC_COUNTER");
    if (path == NULL) return;
    const int fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0) return;
    void* p = mmap(NULL, sizeof(uint64_t), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (p != MAP_FAILED) counter = p;
}

static inline void count(void) {
    if (counter != NULL) atomic_fetch_add_explicit(counter, 1, memory_order_relaxed);
}

void* malloc(size_t size) {
    count();
    return __libc_malloc(size);
}

void* calloc(size_t n, size_t size) {
    count();
    return __libc_calloc(n, size);
}

void* realloc(void* p, size_t size) {
    count();
    return __libc_realloc(p, size);
}

void* memalign(size_t alignment, size_t size) {
    count();
    return __libc_memalign(alignment, size);
}

void* aligned_alloc(size_t alignment, size_t size) {
    count();
    return __libc_memalign(alignment, size);
}

int posix_memalign(void** out, size_t alignment, size_t size) {
    if (alignment % sizeof(void*) != 0 || (alignment & (alignment - 1)) != 0) return EINVAL;
    count();
    void* p = __libc_memalign(alignment, size);
    if (p == NULL) return ENOMEM;
    *out = p;
    return 0;
}
