// SPDX-License-Identifier: GPL-2.0-only
// InlineFunction (a Bio's completion) and the recycled blocks behind its larger callables.
#include "emu/util/inline_function.hpp"

#include <gtest/gtest.h>

#include <array>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "emu/util/recycled_block.hpp"

namespace dmemu::emu {
namespace {

using Done = InlineFunction<void(int)>;

// Counts its live copies, so that a test sees every callable destroyed exactly once.
struct Tracked {
    explicit Tracked(int* live) : live(live) { ++*live; }
    Tracked(Tracked&& o) noexcept : live(o.live) { ++*live; }
    Tracked(const Tracked&) = delete;
    ~Tracked() { --*live; }
    int* live;
};

TEST(InlineFunctionTest, EmptyUntilGivenACallable) {
    Done d;
    EXPECT_FALSE(d);
    d = [](int) {};
    EXPECT_TRUE(d);
    d = nullptr;
    EXPECT_FALSE(d);
}

TEST(InlineFunctionTest, SmallCallableRunsInline) {
    int got = 0;
    Done d = [&got](int err) { got = err; };
    d(-5);
    EXPECT_EQ(got, -5);
}

TEST(InlineFunctionTest, ReturnsTheCallablesResult) {
    InlineFunction<int(int, std::size_t)> f = [](int a, std::size_t b) {
        return a + static_cast<int>(b);
    };
    EXPECT_EQ(f(2, 3), 5);
}

TEST(InlineFunctionTest, MoveOnlyCaptureIsAccepted) {
    auto p = std::make_unique<int>(7);
    int got = 0;
    Done d = [p = std::move(p), &got](int) { got = *p; };
    Done moved = std::move(d);
    EXPECT_FALSE(d);  // NOLINT(bugprone-use-after-move): a moved-from function is empty
    moved(0);
    EXPECT_EQ(got, 7);
}

TEST(InlineFunctionTest, MutableCallableKeepsItsState) {
    Done d = [n = 0](int) mutable {
        ++n;
        EXPECT_LE(n, 2);
    };
    d(0);
    d(0);
}

TEST(InlineFunctionTest, LargeCallableLivesInARecycledBlockAndIsDestroyedOnce) {
    int live = 0;
    {
        std::array<char, 200> big{};
        big[0] = 'x';
        char seen = 0;
        Done d = [t = Tracked(&live), big, &seen](int) { seen = big[0]; };
        EXPECT_EQ(live, 1);
        Done a = std::move(d);
        Done b;
        b = std::move(a);
        EXPECT_EQ(live, 1);  // moving a block-held callable moves only the pointer
        b(0);
        EXPECT_EQ(seen, 'x');
    }
    EXPECT_EQ(live, 0);
}

TEST(InlineFunctionTest, NestedCompletionsWrapEachOther) {
    // What a Bio's completion becomes crossing layers: each wraps the one below.
    std::vector<std::string> order;
    Done d = [&order](int err) { order.push_back("submitter " + std::to_string(err)); };
    for (int layer = 0; layer < 4; ++layer)
        d = [&order, layer, inner = std::move(d)](int err) {
            order.push_back("layer " + std::to_string(layer));
            inner(err);
        };
    d(-5);
    EXPECT_EQ(order, (std::vector<std::string>{"layer 3", "layer 2", "layer 1", "layer 0",
                                               "submitter -5"}));
}

TEST(InlineFunctionTest, AssigningOverALiveCallableDestroysIt) {
    int live = 0;
    Done d = [t = Tracked(&live)](int) {};
    EXPECT_EQ(live, 1);
    d = [](int) {};
    EXPECT_EQ(live, 0);
}

TEST(RecycledBlockTest, AFreedBlockIsReusedForTheSameClass) {
#if defined(__SANITIZE_ADDRESS__)
    GTEST_SKIP() << "AddressSanitizer build: blocks are not recycled, so a use after free shows";
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
    GTEST_SKIP() << "AddressSanitizer build: blocks are not recycled, so a use after free shows";
#endif
#endif
    void* a = recycled_alloc(40);
    recycled_free(a, 40);
    void* b = recycled_alloc(50);  // the same 64-byte class
    EXPECT_EQ(a, b);
    recycled_free(b, 50);
}

TEST(RecycledBlockTest, LargeBlocksAndOtherThreadsWork) {
    void* big = recycled_alloc(kRecycledMaxBytes + 1);
    std::fill_n(static_cast<char*>(big), kRecycledMaxBytes + 1, 'x');
    recycled_free(big, kRecycledMaxBytes + 1);
    // Taken here, given back on another thread (a completion posted from a worker).
    void* p = recycled_alloc(64);
    std::thread([p] { recycled_free(p, 64); }).join();
    auto shared =
        std::allocate_shared<std::array<int, 8>>(RecyclingAllocator<std::array<int, 8>>{});
    (*shared)[7] = 1;
    EXPECT_EQ((*shared)[7], 1);
}

}  // namespace
}  // namespace dmemu::emu
