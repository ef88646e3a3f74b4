// SPDX-License-Identifier: GPL-2.0-only
// IoBufferPool: buffers are recycled by capacity class, a moved-from buffer is empty, and the
// pool keeps a bounded number of idle buffers.
#include "emu/frontend/io_buffer.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace dmemu::emu {
namespace {

TEST(IoBufferPool, ReturnedBufferIsReusedForTheSameClass) {
    IoBufferPool pool;
    std::byte* first = nullptr;
    {
        IoBuffer b = pool.take(1u << 20);
        first = b.data();
        EXPECT_GE(b.capacity(), 1u << 20);
    }
    EXPECT_EQ(pool.idle_bytes(), (1u << 20) + IoBufferPool::kHeadroomBytes);
    IoBuffer again = pool.take(700'000);  // same class: 512 KiB < 700 000 <= 1 MiB + 4 KiB
    EXPECT_EQ(again.data(), first);
    EXPECT_EQ(pool.idle_bytes(), 0u);
}

TEST(IoBufferPool, OneFuseRequestFitsTheLargestClass) {
    IoBufferPool pool;
    IoBuffer b = pool.take((1u << 20) + 4096);
    EXPECT_EQ(b.capacity(), (1u << 20) + 4096u);
}

TEST(IoBufferPool, MovedFromBufferIsEmpty) {
    IoBufferPool pool;
    IoBuffer a = pool.take(4096);
    IoBuffer b = std::move(a);
    EXPECT_EQ(a.data(), nullptr);  // NOLINT(bugprone-use-after-move): the contract under test
    EXPECT_EQ(a.capacity(), 0u);
    EXPECT_NE(b.data(), nullptr);
    IoBuffer c;
    c = std::move(b);
    EXPECT_EQ(b.data(), nullptr);  // NOLINT(bugprone-use-after-move)
    EXPECT_EQ(b.capacity(), 0u);
}

TEST(IoBufferPool, KeepsAtMostKKeepPerClassIdle) {
    IoBufferPool pool;
    {
        std::vector<IoBuffer> many;
        for (std::size_t i = 0; i < IoBufferPool::kKeepPerClass + 5; ++i)
            many.push_back(pool.take(4096));
    }
    EXPECT_EQ(pool.idle_bytes(),
              IoBufferPool::kKeepPerClass * (4096 + IoBufferPool::kHeadroomBytes));
}

TEST(IoBufferPool, OversizedBuffersAreNotPooled) {
    IoBufferPool pool;
    {
        IoBuffer big = pool.take(4u << 20);
        EXPECT_GE(big.capacity(), 4u << 20);
    }
    EXPECT_EQ(pool.idle_bytes(), 0u);
}

}  // namespace
}  // namespace dmemu::emu
