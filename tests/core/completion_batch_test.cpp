// SPDX-License-Identifier: GPL-2.0-only
// CompletionBatch: completions queued while it is open run in its run(), in order, and nothing is
// lost or captured from another loop or thread.
#include "emu/io/completion_batch.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <stdexcept>
#include <thread>
#include <vector>

#include "emu/io/complete.hpp"

namespace dmemu::emu {
namespace {

Bio recording(std::vector<int>& log, int tag) {
    Bio bio;
    bio.done = [&log, tag](int err) { log.push_back(tag * 100 + -err); };
    return bio;
}

TEST(CompletionBatch, QueuedCompletionsRunInOrderInRunAndNotBefore) {
    boost::asio::io_context ctx;
    std::vector<int> log;
    CompletionBatch batch(ctx);
    Bio a = recording(log, 1), b = recording(log, 2);
    complete_later(ctx, a, 0);
    complete_later(ctx, b, -5);
    EXPECT_TRUE(log.empty());
    EXPECT_EQ(ctx.poll(), 0u);  // nothing went to the loop
    batch.run();
    EXPECT_EQ(log, (std::vector<int>{100, 205}));
    EXPECT_EQ(batch.ran(), 2u);
}

TEST(CompletionBatch, ACompletionQueuedByACompletionRunsInTheSameRun) {
    boost::asio::io_context ctx;
    std::vector<int> log;
    CompletionBatch batch(ctx);
    Bio outer;
    outer.done = [&](int) {
        log.push_back(1);
        Bio inner = recording(log, 2);
        complete_later(ctx, inner, 0);
    };
    complete_later(ctx, outer, 0);
    batch.run();
    EXPECT_EQ(log, (std::vector<int>{1, 200}));
}

TEST(CompletionBatch, WhatRunDidNotTakeIsPostedWhenTheBatchCloses) {
    boost::asio::io_context ctx;
    std::vector<int> log;
    {
        CompletionBatch batch(ctx);
        Bio a = recording(log, 1);
        complete_later(ctx, a, 0);
    }
    EXPECT_TRUE(log.empty());
    EXPECT_EQ(ctx.poll(), 1u);
    EXPECT_EQ(log, (std::vector<int>{100}));
}

TEST(CompletionBatch, ACompletionThatThrowsLeavesTheRestToTheLoop) {
    boost::asio::io_context ctx;
    std::vector<int> log;
    {
        CompletionBatch batch(ctx);
        Bio a;
        a.done = [](int) { throw std::runtime_error("boom"); };
        Bio b = recording(log, 2);
        complete_later(ctx, a, 0);
        complete_later(ctx, b, 0);
        EXPECT_THROW(batch.run(), std::runtime_error);
    }
    EXPECT_EQ(ctx.poll(), 1u);
    EXPECT_EQ(log, (std::vector<int>{200}));
}

TEST(CompletionBatch, WithoutABatchOrForAnotherLoopTheCompletionIsPosted) {
    boost::asio::io_context ctx, other;
    std::vector<int> log;
    Bio a = recording(log, 1);
    complete_later(ctx, a, 0);
    CompletionBatch batch(other);
    Bio b = recording(log, 2);
    complete_later(ctx, b, 0);
    batch.run();
    EXPECT_TRUE(log.empty());
    EXPECT_EQ(ctx.poll(), 2u);
    EXPECT_EQ(log, (std::vector<int>{100, 200}));
}

TEST(CompletionBatch, AnotherThreadFindsNoBatchAndPosts) {
    boost::asio::io_context ctx;
    std::vector<int> log;
    CompletionBatch batch(ctx);
    std::thread([&] {
        Bio a = recording(log, 1);
        complete_later(ctx, a, 0);
    }).join();
    batch.run();
    EXPECT_TRUE(log.empty());
    EXPECT_EQ(ctx.poll(), 1u);
    EXPECT_EQ(log, (std::vector<int>{100}));
}

TEST(CompletionBatch, AnInnerBatchCapturesUntilItClosesThenTheOuterAgain) {
    boost::asio::io_context ctx;
    std::vector<int> log;
    CompletionBatch outer(ctx);
    {
        CompletionBatch inner(ctx);
        EXPECT_EQ(CompletionBatch::open_for(ctx), &inner);
        Bio a = recording(log, 1);
        complete_later(ctx, a, 0);
        inner.run();
        EXPECT_EQ(log, (std::vector<int>{100}));
    }
    EXPECT_EQ(CompletionBatch::open_for(ctx), &outer);
    Bio b = recording(log, 2);
    complete_later(ctx, b, 0);
    outer.run();
    EXPECT_EQ(log, (std::vector<int>{100, 200}));
}

}  // namespace
}  // namespace dmemu::emu
