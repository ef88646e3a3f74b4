// SPDX-License-Identifier: GPL-2.0-only
// Small heap blocks recycled per thread, for the state an I/O request carries through the
// layers it crosses (a completion too large to keep inline, a split Bio's parent, a FUSE
// request's IoCall): after the first requests have warmed the cache, a steady stream of I/O
// allocates nothing (issue #20: at most one allocation per 4 KiB request, libfuse's own).
//
// A block is kept for reuse by the thread that frees it, in a list per size class (multiples of
// 32 bytes up to kMaxBytes) of at most kKeepPerClass blocks; larger blocks and the surplus go
// back to the heap. A block freed on another thread than it was taken on simply joins that
// thread's list. Under AddressSanitizer nothing is recycled, so that a use after free of a
// block is still reported.
#pragma once

#include <cstddef>
#include <new>

namespace dmemu::emu {

inline constexpr std::size_t kRecycledMaxBytes = 512;
inline constexpr std::size_t kRecycledKeepPerClass = 1024;

// A block of at least `bytes` bytes, aligned for any fundamental type. Throws std::bad_alloc.
void* recycled_alloc(std::size_t bytes);
// Gives back a block recycled_alloc(bytes) returned, with the same `bytes`.
void recycled_free(void* block, std::size_t bytes) noexcept;

// A standard allocator over recycled blocks (std::allocate_shared, containers of nodes).
template <class T>
struct RecyclingAllocator {
    using value_type = T;
    static_assert(alignof(T) <= alignof(std::max_align_t));

    RecyclingAllocator() = default;
    template <class U>
    RecyclingAllocator(const RecyclingAllocator<U>& /*other*/) noexcept {}

    T* allocate(std::size_t n) { return static_cast<T*>(recycled_alloc(n * sizeof(T))); }
    void deallocate(T* p, std::size_t n) noexcept { recycled_free(p, n * sizeof(T)); }

    template <class U>
    bool operator==(const RecyclingAllocator<U>& /*other*/) const noexcept {
        return true;
    }
};

}  // namespace dmemu::emu
