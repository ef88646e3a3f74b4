// SPDX-License-Identifier: GPL-2.0-only
// The log server engine in its three match modes through the pvmove-style swap, malformed
// input, the kernel's -ESRCH reconnect path against a stopped server, and timeouts.
#include "transfer/cn_msg.hpp"
#include "ulog_test_support.hpp"

namespace dmemu::logs::test {
namespace {

using namespace std::chrono_literals;
using transfer::UlogRequestType;

template <MatchMode M>
class ModeTest : public UlogFixture {
protected:
    ModeTest() : UlogFixture(options()) {}
    static LogServerOptions options() {
        LogServerOptions o;
        o.match = M;
        return o;
    }

    // b-swap-same-uuid's first part: live L1, load L2 (same uuid), suspend L1, resume L2,
    // DTR L1. Returns the events from the swap on.
    void swap() {
        l1_ = must_make({"LVM-testuuid", "clustered-core", "1024"});
        run(l1_->get_sync_count());
        run(l1_->resume());
        l2_ = must_make({"LVM-testuuid", "clustered-core", "1024"}, 131072);
        run(l2_->get_sync_count());
        run(l1_->presuspend());
        run(l1_->postsuspend());
        resume_l2_ = run(l2_->resume());
        destroy(l1_);
    }
    // The engine's instance that the last request of this type reached.
    std::uint64_t reached(UlogRequestType type) const {
        const auto& ev = server_.engine().events();
        for (auto it = ev.rbegin(); it != ev.rend(); ++it)
            if (it->type == type) return it->instance;
        return 0;
    }
    std::unique_ptr<DirtyLog> l1_, l2_;
    int resume_l2_ = -1;
};

using UuidLuidMode = ModeTest<MatchMode::uuid_luid>;
using UuidMode = ModeTest<MatchMode::uuid>;
using UuidFirstMode = ModeTest<MatchMode::uuid_first>;

TEST_F(UuidLuidMode, SwapResumesNewLogAndDestroysOld) {
    swap();
    EXPECT_EQ(resume_l2_, 0);
    EXPECT_EQ(reached(UlogRequestType::resume), 2u);
    EXPECT_EQ(reached(UlogRequestType::dtr), 1u);
    ASSERT_EQ(engine().official().size(), 1u);
    EXPECT_EQ(engine().official().front()->id, 2u);
    EXPECT_EQ(engine().official().front()->region_count, 128u);  // L2's own length
    EXPECT_TRUE(engine().pending().empty());
    EXPECT_EQ(run(l2_->is_clean(0)), 0);  // served (clean bits start clear), no error
    EXPECT_EQ(run(l2_->status(emu::StatusType::info)), "1 clustered-core");
    destroy(l2_);
}

TEST_F(UuidLuidMode, SecondCtrWithSameLuidIsRefused) {
    auto l = must_make({"LVM-testuuid", "clustered-core", "1024"});
    auto msg =
        transfer::make_request("LVM-testuuid", engine().events().front().luid, UlogRequestType::ctr,
                               7, transfer::as_bytes("64 clustered-core 8"));
    auto resp = engine().handle(msg);
    EXPECT_EQ(resp.error, -EINVAL);
    destroy(l);
}

TEST_F(UuidMode, SwapSharesOneObjectWithRefcount) {
    l1_ = must_make({"LVM-testuuid", "clustered-core", "1024"});
    run(l1_->resume());
    l2_ = must_make({"LVM-testuuid", "clustered-core", "1024"}, 131072);
    EXPECT_EQ(reached(UlogRequestType::ctr), 1u) << "no new instance";
    ASSERT_NE(engine().find(1), nullptr);
    EXPECT_EQ(engine().find(1)->ref_count, 2);
    run(l1_->presuspend());
    run(l1_->postsuspend());
    EXPECT_EQ(run(l2_->resume()), 0);
    EXPECT_EQ(reached(UlogRequestType::resume), 1u);
    destroy(l1_);
    EXPECT_EQ(reached(UlogRequestType::dtr), 1u);
    ASSERT_EQ(engine().official().size(), 1u);
    EXPECT_EQ(engine().official().front()->ref_count, 1);
    // The new, longer table runs on the old log: 64 regions, never the kernel's 128.
    EXPECT_EQ(engine().official().front()->region_count, 64u);
    EXPECT_EQ(run(l2_->get_sync_count()), 0u);
    destroy(l2_);
    EXPECT_TRUE(engine().official().empty());
}

TEST_F(UuidFirstMode, SwapResumesOldInstanceAndDtrDestroysLiveOne) {
    swap();
    EXPECT_EQ(reached(UlogRequestType::ctr), 2u);
    EXPECT_EQ(reached(UlogRequestType::resume), 1u) << "the old instance was resumed";
    EXPECT_EQ(reached(UlogRequestType::dtr), 1u) << "the old table's DTR hit the live log";
    EXPECT_TRUE(engine().official().empty());
    ASSERT_EQ(engine().pending().size(), 1u);
    EXPECT_EQ(engine().pending().front()->id, 2u) << "L2's instance stays pending forever";
    // The live table's log is gone from the cluster: every cluster request fails.
    EXPECT_EQ(run(l2_->is_clean(0)), 0);
    EXPECT_EQ(engine().events().back().error, -ENOENT);
    l2_->mark_region(1);
    EXPECT_EQ(run(l2_->flush()), -ENOENT);
    EXPECT_EQ(env_.events, 1);
    destroy(l2_);
}

TEST_F(UuidFirstMode, ClearOfInactiveTableDestroysLiveLog) {
    l1_ = must_make({"LVM-testuuid", "clustered-core", "1024"});
    run(l1_->resume());
    l2_ = must_make({"LVM-testuuid", "clustered-core", "1024"});
    destroy(l2_);  // dmsetup clear
    EXPECT_EQ(reached(UlogRequestType::dtr), 1u);
    EXPECT_TRUE(engine().official().empty());
    // STATUS_INFO goes through the cluster, which has no CPG for the uuid any more.
    EXPECT_EQ(run(l1_->status(emu::StatusType::info)), "userspace 1 COM_FAILURE");
    destroy(l1_);
}

// -ESRCH: a request through userspace_do_request waits 2 s per attempt, resends CTR (with its
// NUL) until the server is back, then RESUME, then the request.
class ReconnectTest : public UlogFixture {};

TEST_F(ReconnectTest, NoServerFailsCtrWithKernelLines) {
    server_.stop();
    auto r = make_log({"uuid2", "clustered-core", "1024"});
    EXPECT_EQ(r.error, -ESRCH);
    EXPECT_EQ(
        kernel_lines(),
        (std::vector<std::string>{
            "device-mapper: dm-log-userspace: Unable to send log request [1] to userspace: -3",
            "device-mapper: dm-log-userspace: Userspace log server not found"}));
}

TEST_F(ReconnectTest, NoEndpointBehavesAsNoServer) {
    env_.set_endpoint(nullptr);
    auto r = make_log({"uuid3", "clustered-core", "1024"});
    EXPECT_EQ(r.error, -ESRCH);
    EXPECT_EQ(
        kernel_lines(),
        (std::vector<std::string>{
            "device-mapper: dm-log-userspace: Unable to send log request [1] to userspace: -3",
            "device-mapper: dm-log-userspace: Userspace log server not found"}));
}

TEST_F(ReconnectTest, ServerBackAfterFiveSecondsReconnectsAtSix) {
    auto log = must_make({"LVM-testuuid", "clustered-core", "1024"});
    run(log->resume());
    server_.stop();
    const auto t0 = clock_.now();
    const auto first_line = klog_.last_seq();
    clock_.call_after(5s, [this] { server_.restart(); });
    EXPECT_EQ(run(log->get_sync_count()), 0u);  // clustered-core, default sync: 0 in sync
    EXPECT_EQ(clock_.now() - t0, 6s);
    const std::string p = "device-mapper: dm-log-userspace: ";
    std::vector<std::string> lines;
    for (const auto& l : klog_.since(first_line)) lines.push_back(l.text);
    EXPECT_EQ(lines, (std::vector<std::string>{
                         p + "Unable to send log request [14] to userspace: -3",
                         p + " Userspace log server not found.",
                         p + "Attempting to contact userspace log server...",
                         p + "Unable to send log request [1] to userspace: -3",
                         p + "Attempting to contact userspace log server...",
                         p + "Unable to send log request [1] to userspace: -3",
                         p + "Attempting to contact userspace log server...",
                         p + "Reconnected to userspace log server... DM_ULOG_CTR complete"}));
    EXPECT_EQ(seen(), (std::vector<std::string>{"CTR L1", "RESUME L1", "GET_SYNC_COUNT L1"}));
    destroy(log);
}

TEST_F(ReconnectTest, ControlRequestsReturnEsrchWithoutRetry) {
    auto log = must_make({"LVM-testuuid", "clustered-core", "1024"});
    server_.stop();
    EXPECT_EQ(run(log->presuspend()), -ESRCH);
    EXPECT_EQ(clock_.now(), emu::TimePoint{});
    destroy(log);  // DTR's -ESRCH is ignored
}

// A listening but silent server: the endpoint warns every 15 s and resends with a fresh seq.
class SilentServerTest : public UlogFixture {
protected:
    SilentServerTest() : UlogFixture({}, true) {}
};

TEST_F(SilentServerTest, TimeoutsWarnAndResend) {
    auto log = must_make({"LVM-testuuid", "clustered-core", "1024"});
    server_.stop();
    server_.link().server_side().set_receiver([](std::vector<std::byte>) {});  // silent
    std::optional<int> r;
    boost::asio::co_spawn(
        ctx_, [&]() -> boost::asio::awaitable<void> { r = co_await log->presuspend(); },
        boost::asio::detached);
    const auto before = klog_.last_seq();
    clock_.run_until_idle(31s);
    EXPECT_FALSE(r.has_value());
    std::vector<std::string> lines;
    for (const auto& l : klog_.since(before)) lines.push_back(l.text);
    EXPECT_EQ(
        lines,
        (std::vector<std::string>{
            "device-mapper: dm-log-userspace: [testuuid] Request timed out: [3/2] - retrying",
            "device-mapper: dm-log-userspace: [testuuid] Request timed out: [3/3] - retrying"}));
    server_.start();  // answers the next resend
    clock_.run_until_idle();
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(*r, -EINVAL);  // the log was never resumed: not official
    destroy(log);
}

// Malformed input never reaches the engine and never crashes the server.
class MalformedTest : public UlogFixture {
protected:
    std::vector<transfer::UlogMessage> send_raw(std::vector<std::byte> bytes) {
        std::vector<transfer::UlogMessage> got;
        server_.link().kernel_side().set_receiver([&](std::vector<std::byte> b) {
            auto m = transfer::decode(b);
            if (m) got.push_back(*m);
        });
        server_.link().kernel_side().send(std::move(bytes));
        clock_.run_until_idle();
        server_.link().kernel_side().set_receiver(nullptr);
        return got;
    }
    static std::vector<std::byte> request(std::uint32_t raw_type, std::vector<std::byte> payload) {
        auto bytes = transfer::encode(
            transfer::make_request("LVM-x", 5, UlogRequestType::is_clean, 42, payload));
        std::memcpy(bytes.data() + sizeof(transfer::CnMsg) + 152, &raw_type, 4);
        return bytes;
    }
};

TEST_F(MalformedTest, TypeZeroIsNackedWithEagain) {
    auto got = send_raw(request(0, {}));
    ASSERT_EQ(got.size(), 1u);
    EXPECT_TRUE(got[0].is_bare_ack());
    EXPECT_EQ(got[0].cn.seq, 42u);
    EXPECT_EQ(got[0].cn.ack, static_cast<std::uint32_t>(EAGAIN));
}

TEST_F(MalformedTest, UnknownTypeIsIgnored) {
    EXPECT_TRUE(send_raw(request(99, {})).empty());
    EXPECT_EQ(server_.connection()->dropped(), 1u);
}

TEST_F(MalformedTest, BadPayloadGetsEinval) {
    auto got = send_raw(request(14, std::vector<std::byte>(4)));  // GET_SYNC_COUNT + 4 bytes
    ASSERT_EQ(got.size(), 1u);
    ASSERT_FALSE(got[0].is_bare_ack());
    EXPECT_EQ(got[0].req->error, -EINVAL);
    EXPECT_EQ(got[0].req->seq, 42u);
    EXPECT_TRUE(got[0].payload.empty());
}

TEST_F(MalformedTest, UnknownLogGetsEinvalAndClearIsAckedAtOnce) {
    auto got = send_raw(transfer::encode(
        transfer::make_request("nobody", 9, UlogRequestType::get_sync_count, 1, {})));
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].req->error, -EINVAL);
    std::vector<std::byte> region(8);
    got = send_raw(transfer::encode(
        transfer::make_request("nobody", 9, UlogRequestType::clear_region, 2, region)));
    ASSERT_EQ(got.size(), 1u);
    EXPECT_TRUE(got[0].is_bare_ack());
    EXPECT_EQ(got[0].cn.seq, 2u);
    EXPECT_EQ(got[0].cn.ack, 0u);
}

TEST_F(MalformedTest, ShortMessageIsDropped) {
    EXPECT_TRUE(send_raw(std::vector<std::byte>(7)).empty());
    EXPECT_EQ(server_.connection()->dropped(), 1u);
}

}  // namespace
}  // namespace dmemu::logs::test
