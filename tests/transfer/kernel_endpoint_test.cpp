// SPDX-License-Identifier: GPL-2.0-only
// KernelEndpoint (dm_consult_userspace) on a virtual clock against an in-process fake log
// server: seq numbering, the 15 s timeout and its warning, -EAGAIN, late replies, -ESRCH,
// the 332-byte limit, -ENOSPC, and serialisation. Virtual time: each test takes milliseconds.
#include "transfer/kernel_endpoint.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <cerrno>
#include <chrono>
#include <functional>
#include <optional>

#include "emu/util/clock.hpp"
#include "emu/util/kernel_log.hpp"
#include "tests/transfer/transfer_test_support.hpp"
#include "transfer/carriers/in_process.hpp"
#include "transfer/ulog_payloads.hpp"
#include "transfer/ulog_server_endpoint.hpp"

namespace dmemu::transfer {
namespace {

using namespace std::chrono_literals;
using test::Bytes;
using test::bytes_of;
using test::kernel_lines;
using test::spawn_consult;

constexpr const char* kUuid = "LVM-testuuid";
constexpr std::uint64_t kLuid = 0xffff8d9d813bc200ULL;

class KernelEndpointTest : public ::testing::Test {
protected:
    KernelEndpointTest() { log.set_echo(false); }

    // The fake server: records every request and answers through `answer` (default: success
    // with no data). Not started until a test calls start_server().
    void start_server() {
        server.emplace(link.server_side(), [this](const UlogMessage& request) {
            requests.push_back(request);
            if (answer)
                answer(request);
            else
                server->reply(request, 0);
        });
    }

    KernelEndpoint& endpoint(KernelEndpointOptions options = {}) {
        if (!ep) ep.emplace(clock, log, link.kernel_side(), options);
        return *ep;
    }

    std::shared_ptr<std::optional<ConsultResult>> consult(UlogRequestType type, Bytes data = {},
                                                          std::size_t capacity = 0,
                                                          std::string uuid = kUuid) {
        return spawn_consult(ctx, endpoint(), std::move(uuid), kLuid, type, std::move(data),
                             capacity);
    }

    std::vector<std::uint32_t> seqs() const {
        std::vector<std::uint32_t> out;
        for (const auto& r : requests) out.push_back(r.req->seq);
        return out;
    }

    boost::asio::io_context ctx;
    emu::VirtualClock clock{ctx};
    emu::KernelLog log;
    InProcessLink link{ctx};
    std::optional<KernelEndpoint> ep;
    std::optional<UlogServerEndpoint> server;
    std::vector<UlogMessage> requests;
    std::function<void(const UlogMessage&)> answer;
};

TEST_F(KernelEndpointTest, ReturnsReplyErrorAndData) {
    start_server();
    answer = [&](const UlogMessage& rq) { server->reply(rq, 0, encode_payload(RegionSize{1024})); };
    auto result = consult(UlogRequestType::get_region_size, {}, 8);
    clock.run_until_idle();
    ASSERT_TRUE(*result);
    EXPECT_EQ((*result)->error, 0);
    EXPECT_EQ(decode_region_size((*result)->data)->sectors, 1024u);
    EXPECT_EQ(clock.now().time_since_epoch(), 0s);
    EXPECT_TRUE(kernel_lines(log).empty());
}

TEST_F(KernelEndpointTest, SendsRequestAsTheKernelFillsIt) {
    start_server();
    auto result = consult(UlogRequestType::ctr, bytes_of("65536 clustered-core 1024"));
    clock.run_until_idle();
    ASSERT_EQ(requests.size(), 1u);
    const UlogMessage& rq = requests[0];
    EXPECT_EQ(rq.cn.seq, rq.req->seq);
    EXPECT_EQ(rq.cn.ack, 0u);
    EXPECT_EQ(rq.req->luid, kLuid);
    EXPECT_EQ(rq.req->uuid, kUuid);
    EXPECT_EQ(rq.req->version, 3u);
    EXPECT_EQ(rq.req->error, 0);
    EXPECT_EQ(rq.req->type, UlogRequestType::ctr);
    EXPECT_EQ(rq.payload, bytes_of("65536 clustered-core 1024"));
}

TEST_F(KernelEndpointTest, SeqIncrementsOnEverySend) {
    start_server();
    for (int i = 0; i < 3; ++i) consult(UlogRequestType::get_sync_count);
    clock.run_until_idle();
    EXPECT_EQ(seqs(), (std::vector<std::uint32_t>{0, 1, 2}));
    EXPECT_EQ(endpoint().next_seq(), 3u);
}

TEST_F(KernelEndpointTest, SeqWrapsAfterUint32Max) {
    endpoint({.first_seq = 0xFFFFFFFFu});
    start_server();
    consult(UlogRequestType::flush);
    consult(UlogRequestType::flush);
    clock.run_until_idle();
    EXPECT_EQ(seqs(), (std::vector<std::uint32_t>{0xFFFFFFFFu, 0u}));
}

TEST_F(KernelEndpointTest, TimeoutWarnsAndResendsWithFreshSeq) {
    start_server();
    answer = [&](const UlogMessage& rq) {
        if (requests.size() > 1) server->reply(rq, 0);  // stay silent on the first
    };
    auto result = consult(UlogRequestType::resume);
    clock.run_until_idle();
    ASSERT_TRUE(*result);
    EXPECT_EQ((*result)->error, 0);
    EXPECT_EQ(seqs(), (std::vector<std::uint32_t>{0, 1}));
    EXPECT_EQ(clock.now().time_since_epoch(), 15s);
    const auto lines = log.since(0);
    ASSERT_EQ(lines.size(), 1u);
    EXPECT_EQ(lines[0].level, emu::KernelLevel::warn);
    EXPECT_EQ(lines[0].text,
              "device-mapper: dm-log-userspace: [testuuid] Request timed out: [5/0] - retrying");
}

TEST_F(KernelEndpointTest, TimeoutWarningPrintsShortUuidWhole) {
    start_server();
    answer = [&](const UlogMessage& rq) {
        if (requests.size() > 1) server->reply(rq, 0);
    };
    consult(UlogRequestType::dtr, {}, 0, "abcdefgh");
    clock.run_until_idle();
    EXPECT_EQ(
        kernel_lines(log),
        std::vector<std::string>{
            "device-mapper: dm-log-userspace: [abcdefgh] Request timed out: [2/0] - retrying"});
}

TEST_F(KernelEndpointTest, SilentServerIsRetriedEvery15Seconds) {
    start_server();
    answer = [](const UlogMessage&) {};
    auto result = consult(UlogRequestType::is_clean, test::bytes_of({0, 0, 0, 0, 0, 0, 0, 0}), 8);
    clock.advance(60s);
    EXPECT_FALSE(*result);
    EXPECT_EQ(seqs(), (std::vector<std::uint32_t>{0, 1, 2, 3, 4}));
    const auto lines = kernel_lines(log);
    ASSERT_EQ(lines.size(), 4u);
    EXPECT_EQ(lines[3],
              "device-mapper: dm-log-userspace: [testuuid] Request timed out: [7/3] - retrying");
    EXPECT_EQ(endpoint().waiting(), 1u);
}

TEST_F(KernelEndpointTest, EagainReplyResendsAtOnce) {
    start_server();
    answer = [&](const UlogMessage& rq) { server->reply(rq, requests.size() == 1 ? -EAGAIN : 0); };
    auto result = consult(UlogRequestType::flush);
    clock.run_until_idle();
    ASSERT_TRUE(*result);
    EXPECT_EQ((*result)->error, 0);
    EXPECT_EQ(seqs(), (std::vector<std::uint32_t>{0, 1}));
    EXPECT_EQ(clock.now().time_since_epoch(), 0s);
    EXPECT_TRUE(kernel_lines(log).empty());
}

TEST_F(KernelEndpointTest, EagainBareAckResendsAtOnce) {
    start_server();
    answer = [&](const UlogMessage& rq) {
        if (requests.size() == 1)
            server->ack(rq.req->seq, EAGAIN);
        else
            server->reply(rq, 0);
    };
    auto result = consult(UlogRequestType::clear_region, test::bytes_of({1, 0, 0, 0, 0, 0, 0, 0}));
    clock.run_until_idle();
    ASSERT_TRUE(*result);
    EXPECT_EQ((*result)->error, 0);
    EXPECT_EQ(seqs(), (std::vector<std::uint32_t>{0, 1}));
}

TEST_F(KernelEndpointTest, BareAckCompletesWithNegatedErrno) {
    start_server();
    answer = [&](const UlogMessage& rq) { server->ack(rq.req->seq, rq.req->seq == 0 ? 0 : EIO); };
    auto ok = consult(UlogRequestType::clear_region, test::bytes_of({1, 0, 0, 0, 0, 0, 0, 0}));
    auto failed = consult(UlogRequestType::clear_region, test::bytes_of({2, 0, 0, 0, 0, 0, 0, 0}));
    clock.run_until_idle();
    ASSERT_TRUE(*ok);
    EXPECT_EQ((*ok)->error, 0);
    EXPECT_TRUE((*ok)->data.empty());
    ASSERT_TRUE(*failed);
    EXPECT_EQ((*failed)->error, -EIO);
}

TEST_F(KernelEndpointTest, ErrorReplyKeepsItsDataAsFillPkgDoes) {
    start_server();
    answer = [&](const UlogMessage& rq) {
        server->reply(rq, -EIO, encode_payload(ResyncWork{1, 7}));
    };
    auto result = consult(UlogRequestType::get_resync_work, {}, 16);
    clock.run_until_idle();
    ASSERT_TRUE(*result);
    EXPECT_EQ((*result)->error, -EIO);
    EXPECT_EQ(*decode_resync_work((*result)->data), (ResyncWork{1, 7}));
}

TEST_F(KernelEndpointTest, LateReplyForOldSeqIsDiscarded) {
    start_server();
    std::optional<UlogMessage> held;
    answer = [&](const UlogMessage& rq) {
        if (!held) {
            held = rq;  // answer the first only after the kernel gave up on it
            return;
        }
        server->reply(*held, 0, encode_payload(SyncCount{111}));
        server->reply(rq, 0, encode_payload(SyncCount{222}));
    };
    auto result = consult(UlogRequestType::get_sync_count, {}, 8);
    clock.run_until_idle();
    ASSERT_TRUE(*result);
    EXPECT_EQ(decode_sync_count((*result)->data)->count, 222u);
    EXPECT_EQ(seqs(), (std::vector<std::uint32_t>{0, 1}));
    EXPECT_EQ(kernel_lines(log).size(), 1u);  // the timeout warning only
}

TEST_F(KernelEndpointTest, ReplyWithUnknownSeqIsIgnored) {
    start_server();
    answer = [&](const UlogMessage& rq) {
        UlogMessage stray = rq;
        stray.req->seq = 4242;
        server->reply(stray, -EIO);
        server->reply(rq, 0);
    };
    auto result = consult(UlogRequestType::presuspend);
    clock.run_until_idle();
    ASSERT_TRUE(*result);
    EXPECT_EQ((*result)->error, 0);
    EXPECT_TRUE(kernel_lines(log).empty());
}

TEST_F(KernelEndpointTest, NoServerReturnsEsrchAtOnce) {
    auto result = consult(UlogRequestType::ctr, bytes_of("65536 clustered-core 1024"));
    clock.run_until_idle();
    ASSERT_TRUE(*result);
    EXPECT_EQ((*result)->error, -ESRCH);
    EXPECT_EQ(clock.now().time_since_epoch(), 0s);
    EXPECT_EQ(endpoint().next_seq(), 1u);  // the seq was taken before the send failed
    const auto lines = log.since(0);
    ASSERT_EQ(lines.size(), 1u);
    EXPECT_EQ(lines[0].level, emu::KernelLevel::err);
    EXPECT_EQ(lines[0].text,
              "device-mapper: dm-log-userspace: Unable to send log request [1] to userspace: -3");
}

TEST_F(KernelEndpointTest, ServerGoneMidWaitThenEsrchOnResend) {
    start_server();
    answer = [&](const UlogMessage&) {
        link.server_side().set_receiver(nullptr);
    };  // dies silently
    auto result = consult(UlogRequestType::get_sync_count, {}, 8);
    clock.run_until_idle();
    ASSERT_TRUE(*result);
    EXPECT_EQ((*result)->error, -ESRCH);
    EXPECT_EQ(clock.now().time_since_epoch(), 15s);
    EXPECT_EQ(
        kernel_lines(log),
        (std::vector<std::string>{
            "device-mapper: dm-log-userspace: [testuuid] Request timed out: [14/0] - retrying",
            "device-mapper: dm-log-userspace: Unable to send log request [14] to userspace: -3"}));
}

TEST_F(KernelEndpointTest, OversizedPayloadIsEinvalWithoutSend) {
    start_server();
    auto result = consult(UlogRequestType::mark_region, Bytes(333));
    clock.run_until_idle();
    ASSERT_TRUE(*result);
    EXPECT_EQ((*result)->error, -EINVAL);
    EXPECT_TRUE(requests.empty());
    EXPECT_EQ(endpoint().next_seq(), 0u);
    const auto lines = log.since(0);
    ASSERT_EQ(lines.size(), 1u);
    EXPECT_EQ(lines[0].level, emu::KernelLevel::info);
    EXPECT_EQ(lines[0].text,
              "device-mapper: dm-log-userspace: Size of tfr exceeds preallocated size");
}

TEST_F(KernelEndpointTest, PayloadOf332BytesIsSent) {
    start_server();
    auto result = consult(UlogRequestType::flush, Bytes(332));
    clock.run_until_idle();
    ASSERT_TRUE(*result);
    EXPECT_EQ((*result)->error, 0);
    ASSERT_EQ(requests.size(), 1u);
    EXPECT_EQ(requests[0].payload.size(), 332u);
}

TEST_F(KernelEndpointTest, ReplyLargerThanCapacityIsEnospc) {
    start_server();
    answer = [&](const UlogMessage& rq) {
        server->reply(rq, 0, encode_payload(StatusText{"1 clustered-core", true}));
    };
    auto result = consult(UlogRequestType::status_info, {}, 8);
    clock.run_until_idle();
    ASSERT_TRUE(*result);
    EXPECT_EQ((*result)->error, -ENOSPC);
    EXPECT_TRUE((*result)->data.empty());
    EXPECT_EQ(kernel_lines(log),
              std::vector<std::string>{"device-mapper: dm-log-userspace: Insufficient space to "
                                       "receive package [15] (17 vs 8)"});
}

TEST_F(KernelEndpointTest, IncompleteMessageIsLoggedAndDropped) {
    start_server();
    answer = [&](const UlogMessage& rq) {
        Bytes junk = encode(make_bare_ack(rq.req->seq, 0));
        junk[16] = std::byte{100};  // cn_msg.len 100: more than an ack, less than a request
        junk.resize(20 + 100);
        link.server_side().send(std::move(junk));
        server->reply(rq, 0);
    };
    auto result = consult(UlogRequestType::postsuspend);
    clock.run_until_idle();
    ASSERT_TRUE(*result);
    EXPECT_EQ((*result)->error, 0);
    EXPECT_EQ(kernel_lines(log),
              std::vector<std::string>{"device-mapper: dm-log-userspace: Incomplete message "
                                       "received (expected 160, got 100): [0]"});
}

TEST_F(KernelEndpointTest, ReplyMatchedBySeqAloneNotUuidOrType) {
    start_server();
    answer = [&](const UlogMessage& rq) {
        UlogMessage other = rq;
        other.req->uuid = "LVM-someoneelse";
        other.req->luid = 1;
        other.req->type = UlogRequestType::dtr;
        server->reply(other, 0, encode_payload(RegionSize{2048}));
    };
    auto result = consult(UlogRequestType::get_region_size, {}, 8);
    clock.run_until_idle();
    ASSERT_TRUE(*result);
    EXPECT_EQ(decode_region_size((*result)->data)->sectors, 2048u);
}

TEST_F(KernelEndpointTest, ConsultsRunOneAtATimeInCallOrder) {
    start_server();
    std::vector<UlogMessage> pending;
    answer = [&](const UlogMessage& rq) { pending.push_back(rq); };
    auto first = consult(UlogRequestType::get_sync_count, {}, 8);
    auto second = consult(UlogRequestType::status_info, {}, 64);
    clock.run_until_idle(1s);
    ASSERT_EQ(requests.size(), 1u);  // the second waits for the first
    EXPECT_EQ(requests[0].req->type, UlogRequestType::get_sync_count);
    server->reply(pending[0], 0, encode_payload(SyncCount{64}));
    clock.run_until_idle(1s);
    ASSERT_TRUE(*first);
    ASSERT_EQ(requests.size(), 2u);
    EXPECT_EQ(requests[1].req->type, UlogRequestType::status_info);
    server->reply(pending[1], 0, encode_payload(StatusText{"1 clustered-core", true}));
    clock.run_until_idle(1s);
    ASSERT_TRUE(*second);
    EXPECT_EQ((*second)->error, 0);
}

TEST_F(KernelEndpointTest, WithoutOneInFlightWaitsOverlapAsInTheKernel) {
    endpoint({.one_in_flight = false});
    start_server();
    std::vector<UlogMessage> pending;
    answer = [&](const UlogMessage& rq) { pending.push_back(rq); };
    auto first = consult(UlogRequestType::get_sync_count, {}, 8);
    auto second = consult(UlogRequestType::get_sync_count, {}, 8);
    clock.run_until_idle(1s);
    ASSERT_EQ(requests.size(), 2u);
    EXPECT_EQ(endpoint().waiting(), 2u);
    server->reply(pending[1], 0, encode_payload(SyncCount{2}));
    server->reply(pending[0], 0, encode_payload(SyncCount{1}));
    clock.run_until_idle(1s);
    ASSERT_TRUE(*first && *second);
    EXPECT_EQ(decode_sync_count((*first)->data)->count, 1u);
    EXPECT_EQ(decode_sync_count((*second)->data)->count, 2u);
}

TEST_F(KernelEndpointTest, DroppedReplyIsRecoveredByTheTimeout) {
    auto drop = std::make_shared<test::DropHook>(Direction::to_kernel, 1);
    link.hooks().append(drop);
    start_server();
    auto result = consult(UlogRequestType::get_region_size, {}, 8);
    answer = [&](const UlogMessage& rq) { server->reply(rq, 0, encode_payload(RegionSize{1024})); };
    clock.run_until_idle();
    ASSERT_TRUE(*result);
    EXPECT_EQ((*result)->error, 0);
    EXPECT_EQ(drop->dropped(), 1);
    EXPECT_EQ(seqs(), (std::vector<std::uint32_t>{0, 1}));
    EXPECT_EQ(clock.now().time_since_epoch(), 15s);
}

TEST_F(KernelEndpointTest, DuplicatedReplyIsHarmless) {
    auto dup = std::make_shared<test::DuplicateHook>(Direction::to_kernel);
    link.hooks().append(dup);
    start_server();
    answer = [&](const UlogMessage& rq) { server->reply(rq, 0, encode_payload(SyncCount{64})); };
    auto a = consult(UlogRequestType::get_sync_count, {}, 8);
    auto b = consult(UlogRequestType::get_sync_count, {}, 8);
    clock.run_until_idle();
    ASSERT_TRUE(*a && *b);
    EXPECT_EQ((*a)->error, 0);
    EXPECT_EQ((*b)->error, 0);
    EXPECT_EQ(dup->duplicated(), 2);
    EXPECT_EQ(seqs(), (std::vector<std::uint32_t>{0, 1}));
}

TEST_F(KernelEndpointTest, DestroyedEndpointEndsPendingConsultsWithEshutdown) {
    start_server();
    answer = [](const UlogMessage&) {};
    auto waiting = consult(UlogRequestType::get_sync_count, {}, 8);
    auto queued = consult(UlogRequestType::get_sync_count, {}, 8);
    clock.run_until_idle(1s);
    ep.reset();
    clock.run_until_idle(1s);
    ASSERT_TRUE(*waiting && *queued);
    EXPECT_EQ((*waiting)->error, -ESHUTDOWN);
    EXPECT_EQ((*queued)->error, -ESHUTDOWN);
}

// Runs loop steps one at a time until the fake server has answered `n` requests (its reply is
// then posted, one step from delivery).
void step_until_answered(boost::asio::io_context& ctx, const std::vector<UlogMessage>& requests,
                         std::size_t n) {
    while (requests.size() < n) ASSERT_EQ(ctx.run_one(), 1u);
}

TEST_F(KernelEndpointTest, ByDefaultTheConsultResumesOneStepAfterItsReply) {
    start_server();
    auto result = consult(UlogRequestType::get_sync_count, {}, 8);
    step_until_answered(ctx, requests, 1);
    ASSERT_EQ(ctx.run_one(), 1u);  // the reply's delivery: wakes the consult with a post
    EXPECT_FALSE(*result);
    ctx.run();
    EXPECT_TRUE(*result);
}

TEST_F(KernelEndpointTest, ResumeInDeliveryFinishesTheConsultInsideTheReplysStep) {
    endpoint({.resume_in_delivery = true});
    start_server();
    auto result = consult(UlogRequestType::get_sync_count, {}, 8);
    step_until_answered(ctx, requests, 1);
    ASSERT_EQ(ctx.run_one(), 1u);
    ASSERT_TRUE(*result);
    EXPECT_EQ((*result)->error, 0);
}

TEST_F(KernelEndpointTest, ResumeInDeliveryKeepsConsultsInOrderWithDuplicatedReplies) {
    endpoint({.resume_in_delivery = true});
    auto dup = std::make_shared<test::DuplicateHook>(Direction::to_kernel);
    link.hooks().append(dup);
    start_server();
    answer = [&](const UlogMessage& rq) {
        server->reply(rq, 0, encode_payload(SyncCount{rq.req->seq + 10}));
    };
    auto a = consult(UlogRequestType::get_sync_count, {}, 8);
    auto b = consult(UlogRequestType::get_sync_count, {}, 8);
    clock.run_until_idle();
    ASSERT_TRUE(*a && *b);
    EXPECT_EQ(decode_sync_count((*a)->data)->count, 10u);
    EXPECT_EQ(decode_sync_count((*b)->data)->count, 11u);
    EXPECT_EQ(dup->duplicated(), 2);
    EXPECT_EQ(seqs(), (std::vector<std::uint32_t>{0, 1}));
}

// The resumed consult runs inside the endpoint's delivery; ending the endpoint there must not
// leave the delivery using it (the ASan build checks).
TEST_F(KernelEndpointTest, ResumeInDeliveryLetsTheResumedConsultDestroyTheEndpoint) {
    endpoint({.resume_in_delivery = true});
    start_server();
    bool destroyed = false;
    boost::asio::co_spawn(
        ctx,
        [&]() -> boost::asio::awaitable<void> {
            auto r = co_await ep->consult(kUuid, kLuid, UlogRequestType::get_sync_count, {}, 8);
            EXPECT_EQ(r.error, 0);
            ep.reset();
            destroyed = true;
        },
        boost::asio::detached);
    step_until_answered(ctx, requests, 1);
    ASSERT_EQ(ctx.run_one(), 1u);
    EXPECT_TRUE(destroyed);
    ctx.run();
}

}  // namespace
}  // namespace dmemu::transfer
