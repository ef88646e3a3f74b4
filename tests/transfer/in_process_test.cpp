// SPDX-License-Identifier: GPL-2.0-only
// The in-process carrier and the hook chain: posted (never inline) in-order delivery, -ESRCH
// without a listener, in-flight messages lost with their listener, and hooks that drop,
// duplicate and run in order.
#include "transfer/carriers/in_process.hpp"

#include <gtest/gtest.h>

#include <cerrno>

#include "tests/transfer/transfer_test_support.hpp"
#include "transfer/carriers/message_hook.hpp"

namespace dmemu::transfer {
namespace {

using test::Bytes;
using test::bytes_of;

class InProcessLinkTest : public ::testing::Test {
protected:
    void listen_server() {
        link.server_side().set_receiver([this](Bytes m) { at_server.push_back(std::move(m)); });
    }
    void listen_kernel() {
        link.kernel_side().set_receiver([this](Bytes m) { at_kernel.push_back(std::move(m)); });
    }
    void drain() {
        ctx.restart();
        ctx.poll();
    }

    boost::asio::io_context ctx;
    InProcessLink link{ctx};
    std::vector<Bytes> at_server;
    std::vector<Bytes> at_kernel;
};

TEST_F(InProcessLinkTest, DeliversOnTheLoopNeverInline) {
    listen_server();
    EXPECT_EQ(link.kernel_side().send(bytes_of("a")), 0);
    EXPECT_TRUE(at_server.empty());
    drain();
    EXPECT_EQ(at_server, std::vector<Bytes>{bytes_of("a")});
}

TEST_F(InProcessLinkTest, DeliversBothWaysInSendOrder) {
    listen_server();
    listen_kernel();
    link.kernel_side().send(bytes_of("1"));
    link.kernel_side().send(bytes_of("2"));
    link.server_side().send(bytes_of("x"));
    link.kernel_side().send(bytes_of("3"));
    drain();
    EXPECT_EQ(at_server, (std::vector<Bytes>{bytes_of("1"), bytes_of("2"), bytes_of("3")}));
    EXPECT_EQ(at_kernel, std::vector<Bytes>{bytes_of("x")});
    EXPECT_EQ(link.delivered(Direction::to_userspace), 3u);
    EXPECT_EQ(link.delivered(Direction::to_kernel), 1u);
}

TEST_F(InProcessLinkTest, SendWithoutListenerIsEsrch) {
    EXPECT_EQ(link.kernel_side().send(bytes_of("a")), -ESRCH);
    listen_server();
    EXPECT_EQ(link.kernel_side().send(bytes_of("a")), 0);
    link.server_side().set_receiver(nullptr);
    EXPECT_EQ(link.kernel_side().send(bytes_of("a")), -ESRCH);
}

TEST_F(InProcessLinkTest, InFlightMessageIsLostWhenTheListenerRestarts) {
    listen_server();
    link.kernel_side().send(bytes_of("to the old server"));
    listen_server();  // a restarted server: a new receiver
    link.kernel_side().send(bytes_of("to the new server"));
    drain();
    EXPECT_EQ(at_server, std::vector<Bytes>{bytes_of("to the new server")});
}

TEST_F(InProcessLinkTest, MessageOutlivingTheLinkIsDropped) {
    auto other = std::make_unique<InProcessLink>(ctx);
    int got = 0;
    other->server_side().set_receiver([&](Bytes) { ++got; });
    other->kernel_side().send(bytes_of("a"));
    other.reset();
    drain();
    EXPECT_EQ(got, 0);
}

TEST_F(InProcessLinkTest, EmptyHookChainPassesThrough) {
    listen_server();
    EXPECT_EQ(link.hooks().size(), 0u);
    link.kernel_side().send(bytes_of({1, 2, 3}));
    drain();
    EXPECT_EQ(at_server, std::vector<Bytes>{bytes_of({1, 2, 3})});
}

TEST_F(InProcessLinkTest, DropHookDropsMessagesInItsDirectionOnly) {
    auto drop = std::make_shared<test::DropHook>(Direction::to_userspace, 1);
    link.hooks().append(drop);
    listen_server();
    listen_kernel();
    EXPECT_EQ(link.kernel_side().send(bytes_of("lost")), 0);  // a dropped send still "succeeds"
    link.kernel_side().send(bytes_of("kept"));
    link.server_side().send(bytes_of("reply"));
    drain();
    EXPECT_EQ(at_server, std::vector<Bytes>{bytes_of("kept")});
    EXPECT_EQ(at_kernel, std::vector<Bytes>{bytes_of("reply")});
    EXPECT_EQ(drop->dropped(), 1);
}

TEST_F(InProcessLinkTest, DuplicateHookDeliversTwice) {
    link.hooks().append(std::make_shared<test::DuplicateHook>(Direction::to_kernel));
    listen_kernel();
    link.server_side().send(bytes_of("r"));
    drain();
    EXPECT_EQ(at_kernel, (std::vector<Bytes>{bytes_of("r"), bytes_of("r")}));
}

// Appends a tag byte: shows the order hooks run in.
class TagHook final : public MessageHook {
public:
    explicit TagHook(char tag) : tag_(tag) {}
    void on_message(Direction, Bytes m, Forward forward) override {
        m.push_back(static_cast<std::byte>(tag_));
        forward(std::move(m));
    }

private:
    char tag_;
};

TEST_F(InProcessLinkTest, HooksRunInAppendOrder) {
    link.hooks().append(std::make_shared<TagHook>('a'));
    link.hooks().append(std::make_shared<TagHook>('b'));
    listen_server();
    link.kernel_side().send(bytes_of("m"));
    drain();
    EXPECT_EQ(at_server, std::vector<Bytes>{bytes_of("mab")});
}

TEST_F(InProcessLinkTest, DuplicateBeforeTagTagsBothCopies) {
    link.hooks().append(std::make_shared<test::DuplicateHook>(Direction::to_userspace));
    link.hooks().append(std::make_shared<TagHook>('t'));
    listen_server();
    link.kernel_side().send(bytes_of("m"));
    drain();
    EXPECT_EQ(at_server, (std::vector<Bytes>{bytes_of("mt"), bytes_of("mt")}));
}

// Holds every message until release(): the shape of a delay or reorder fault.
class HoldHook final : public MessageHook {
public:
    void on_message(Direction, Bytes m, Forward forward) override {
        held_.emplace_back(std::move(m), std::move(forward));
    }
    void release_reversed() {
        for (auto it = held_.rbegin(); it != held_.rend(); ++it) it->second(it->first);
        held_.clear();
    }

private:
    std::vector<std::pair<Bytes, Forward>> held_;
};

TEST_F(InProcessLinkTest, HeldForwardCanReorderLater) {
    auto hold = std::make_shared<HoldHook>();
    link.hooks().append(hold);
    listen_server();
    link.kernel_side().send(bytes_of("1"));
    link.kernel_side().send(bytes_of("2"));
    drain();
    EXPECT_TRUE(at_server.empty());
    hold->release_reversed();
    drain();
    EXPECT_EQ(at_server, (std::vector<Bytes>{bytes_of("2"), bytes_of("1")}));
}

TEST_F(InProcessLinkTest, MessageInFlightKeepsTheChainItStartedOn) {
    auto hold = std::make_shared<HoldHook>();
    link.hooks().append(hold);
    listen_server();
    link.kernel_side().send(bytes_of("1"));
    link.hooks().clear();
    link.kernel_side().send(bytes_of("2"));
    hold->release_reversed();
    drain();
    EXPECT_EQ(at_server, (std::vector<Bytes>{bytes_of("2"), bytes_of("1")}));
}

}  // namespace
}  // namespace dmemu::transfer
