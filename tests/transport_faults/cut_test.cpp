// SPDX-License-Identifier: GPL-2.0-only
// cut: no log server listens. Sends fail with -ESRCH at once; through a userspace dirty log the
// -ESRCH reconnect loop of userspace_do_request runs (2 s pauses, CTR with the saved string),
// and completes (RESUME, the original request again) once a server that accepts the CTR is
// back.
#include <cstring>

#include "tests/transport_faults/transport_faults_fixture.hpp"
#include "tests/ulog/ulog_test_support.hpp"

namespace dmemu::transfer::faults_test {
namespace {

std::string unable_to_send(int type) {
    return std::string(kPrefix) + "Unable to send log request [" + std::to_string(type) +
           "] to userspace: -3";
}

TEST(TransportCut, SendsFailWithEsrchAtOnce) {
    World w;
    w.create_log();
    const auto id = w.add("cut");
    EXPECT_TRUE(w.cuttable.is_cut());
    const std::uint32_t seq = w.endpoint.next_seq();
    EXPECT_EQ(w.consult(UlogRequestType::get_region_size, {}, 8).error, -ESRCH);
    EXPECT_EQ(w.now(), 0s);
    EXPECT_EQ(w.kernel_lines(), std::vector<std::string>{unable_to_send(6)});
    EXPECT_TRUE(w.server_seqs(UlogRequestType::get_region_size).empty());
    EXPECT_EQ(w.trace, std::vector<std::string>{
                           "t=0.000000000 link=ulog fault=1 kind=cut dir=to-server seq=" +
                           std::to_string(seq) + " type=GET_REGION_SIZE send failed with -ESRCH"});
    EXPECT_EQ(w.faults.list().at(0).fired, 1u);

    EXPECT_TRUE(w.faults.remove(id));
    EXPECT_FALSE(w.cuttable.is_cut());
    EXPECT_EQ(w.region_size(), 1024u);  // the server kept its log
}

TEST(TransportCut, RepliesInFlightAreLostAndTheResendFindsNoServer) {
    FaultedWorld w("delay ms=10 dir=to-kernel");
    w.clock.call_after(5ms, [&] { w.add("cut"); });
    const std::uint32_t seq = w.endpoint.next_seq();
    EXPECT_EQ(w.consult(UlogRequestType::get_region_size, {}, 8).error, -ESRCH);
    EXPECT_EQ(w.now(), 15s);
    EXPECT_EQ(w.kernel_lines(), (std::vector<std::string>{timed_out(6, seq), unable_to_send(6)}));
    EXPECT_EQ(w.event_whats(), (std::vector<std::string>{"delayed 10ms", "lost: no listener",
                                                         "send failed with -ESRCH"}));
}

TEST(TransportCut, ForLiftsTheCutByItself) {
    FaultedWorld w("cut for=3s");
    EXPECT_EQ(w.consult(UlogRequestType::get_region_size, {}, 8).error, -ESRCH);
    w.clock.run_until_idle();
    EXPECT_EQ(w.now(), 3s);
    EXPECT_FALSE(w.cuttable.is_cut());
    EXPECT_TRUE(w.faults.list().empty());
    EXPECT_EQ(w.trace.back(), "t=3.000000000 link=ulog fault=1 kind=cut removed after 3s");
    EXPECT_EQ(w.region_size(), 1024u);
}

// Records the payload of every CTR that gets onto the link.
class CtrTap final : public MessageHook {
public:
    explicit CtrTap(std::shared_ptr<std::vector<test::Bytes>> out) : out_(std::move(out)) {}
    void on_message(Direction d, std::vector<std::byte> m, Forward forward) override {
        if (const auto rq = decode(m); d == Direction::to_userspace && rq && !rq->is_bare_ack() &&
                                       rq->req->type == UlogRequestType::ctr)
            out_->push_back(rq->payload);
        forward(std::move(m));
    }

private:
    std::shared_ptr<std::vector<test::Bytes>> out_;
};

// The kernel's dirty log on the same endpoint.
class TransportCutLog : public ::testing::Test {
protected:
    template <typename T>
    std::shared_ptr<std::optional<T>> spawn(boost::asio::awaitable<T> aw) {
        auto slot = std::make_shared<std::optional<T>>();
        boost::asio::co_spawn(w.ctx, std::move(aw), [slot](std::exception_ptr e, T r) {
            if (e) std::rethrow_exception(e);
            *slot = std::move(r);
        });
        return slot;
    }
    std::unique_ptr<logs::DirtyLog> make_log() {
        emu::TargetContext ti{env};
        ti.len = 65536;
        auto slot =
            spawn(logs::userspace_log_type.ctr(ti, {"LVM-testuuid", "clustered-core", "1024"}));
        w.clock.run_until_idle();
        EXPECT_TRUE(*slot && (*slot)->error == 0);
        auto log = std::move((*slot)->log);
        auto resumed = spawn(log->resume());
        w.clock.run_until_idle();
        EXPECT_EQ(resumed->value_or(-1), 0);
        return log;
    }
    // The dirty log's lines from `after` on, without their common prefix.
    std::vector<std::string> lines(std::uint64_t after) const {
        std::vector<std::string> out;
        for (auto line : w.kernel_lines(after)) out.push_back(line.substr(std::strlen(kPrefix)));
        return out;
    }

    World w;
    logs::test::FakeEnv env{w.ctx, w.clock, w.rng, w.klog, &w.endpoint};
};

TEST_F(TransportCutLog, DirectRequestsFailWithEsrchAtOnce) {
    auto log = make_log();
    w.add("cut");
    auto r = spawn(log->presuspend());
    w.clock.run_until_idle();
    EXPECT_EQ(r->value_or(0), -ESRCH);
    EXPECT_EQ(w.now(), 0s);
}

// The cut lifts at 5 s, but the server kept the log: cmirrord refuses the reconnect CTR as a
// duplicate ("Log already exists", -EINVAL) and the kernel loops on. A server restarted at 9 s
// knows nothing and accepts it at 10 s: RESUME, then the original request.
TEST_F(TransportCutLog, ReconnectLoopRunsOnceTheCutIsLiftedAndCompletesWithAFreshServer) {
    auto log = make_log();
    auto ctr_payloads = std::make_shared<std::vector<test::Bytes>>();
    w.server.link().hooks().append(std::make_shared<CtrTap>(ctr_payloads));
    w.add("cut for=5s");
    std::vector<std::int32_t> refused_ctrs;
    w.clock.call_after(9s, [&] {
        for (const auto& e : w.server.engine().events())
            if (e.type == UlogRequestType::ctr && e.error != 0) refused_ctrs.push_back(e.error);
        w.server.restart();
    });
    auto count = spawn(log->get_sync_count());
    w.clock.run_until_idle();
    ASSERT_TRUE(*count);
    EXPECT_EQ(**count, 0u);  // the fresh server's core log starts out of sync
    EXPECT_EQ(w.now(), 10s);
    EXPECT_EQ(lines(0), (std::vector<std::string>{
                            "Unable to send log request [14] to userspace: -3",
                            " Userspace log server not found.",
                            "Attempting to contact userspace log server...",  // 2 s
                            "Unable to send log request [1] to userspace: -3",
                            "Attempting to contact userspace log server...",  // 4 s
                            "Unable to send log request [1] to userspace: -3",
                            "Attempting to contact userspace log server...",  // 6 s
                            "Attempting to contact userspace log server...",  // 8 s
                            "Attempting to contact userspace log server...",  // 10 s
                            "Reconnected to userspace log server... DM_ULOG_CTR complete"}));
    EXPECT_EQ(refused_ctrs, (std::vector<std::int32_t>{-EINVAL, -EINVAL}));
    // The saved CTR string, now with its NUL, at 6, 8 and 10 s.
    const test::Bytes saved = test::bytes_of(std::string_view("65536 clustered-core 1024\0", 26));
    EXPECT_EQ(*ctr_payloads, (std::vector<test::Bytes>{saved, saved, saved}));
    std::vector<UlogRequestType> fresh;
    for (const auto& e : w.server.engine().events()) fresh.push_back(e.type);
    EXPECT_EQ(fresh, (std::vector<UlogRequestType>{UlogRequestType::ctr, UlogRequestType::resume,
                                                   UlogRequestType::get_sync_count}));
    // Refused sends: GET_SYNC_COUNT at 0 s, the CTRs at 2 s and 4 s.
    EXPECT_EQ(w.events.size(), 4u);
    EXPECT_EQ(w.trace.back(), "t=5.000000000 link=ulog fault=1 kind=cut removed after 5s");
    bool destroyed = false;
    boost::asio::co_spawn(w.ctx, log->dtr(), [&](std::exception_ptr e) {
        if (e) std::rethrow_exception(e);
        destroyed = true;
    });
    w.clock.run_until_idle();
    EXPECT_TRUE(destroyed);
}

}  // namespace
}  // namespace dmemu::transfer::faults_test
