// SPDX-License-Identifier: GPL-2.0-only
#include "emu/util/recycled_block.hpp"

#include <array>
#include <cstdlib>

namespace dmemu::emu {

namespace {

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kRecycle = false;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kRecycle = false;
#else
constexpr bool kRecycle = true;
#endif
#else
constexpr bool kRecycle = true;
#endif

constexpr std::size_t kGranule = 32;
constexpr std::size_t kClasses = kRecycledMaxBytes / kGranule;

std::size_t class_of(std::size_t bytes) { return bytes == 0 ? 0 : (bytes - 1) / kGranule; }

struct FreeBlock {
    FreeBlock* next;
};

struct ThreadCache {
    std::array<FreeBlock*, kClasses> head{};
    std::array<std::size_t, kClasses> count{};

    ~ThreadCache();
};

// Set once the thread's cache is destroyed (thread exit): blocks freed after that, by other
// thread-local or static destructors, go straight back to the heap.
thread_local bool cache_gone = false;
thread_local ThreadCache cache;

ThreadCache::~ThreadCache() {
    cache_gone = true;
    for (FreeBlock* b : head) {
        while (b != nullptr) {
            FreeBlock* next = b->next;
            ::operator delete(b);
            b = next;
        }
    }
}

}  // namespace

void* recycled_alloc(std::size_t bytes) {
    if (kRecycle && bytes <= kRecycledMaxBytes && !cache_gone) {
        const std::size_t c = class_of(bytes);
        if (FreeBlock* b = cache.head[c]) {
            cache.head[c] = b->next;
            --cache.count[c];
            return b;
        }
        // A fresh block of the class's full size, so that any size of the class may reuse it.
        return ::operator new((c + 1) * kGranule);
    }
    return ::operator new(bytes);
}

void recycled_free(void* block, std::size_t bytes) noexcept {
    if (block == nullptr) return;
    if (kRecycle && bytes <= kRecycledMaxBytes && !cache_gone) {
        const std::size_t c = class_of(bytes);
        if (cache.count[c] < kRecycledKeepPerClass) {
            cache.head[c] = new (block) FreeBlock{cache.head[c]};
            ++cache.count[c];
            return;
        }
    }
    ::operator delete(block);
}

}  // namespace dmemu::emu
