// SPDX-License-Identifier: GPL-2.0-only
// The "userspace" dirty log (logs/userspace/userspace_log.cpp) against the in-process server
// on a virtual clock: the request streams of the oracle's captured cases, ctr errors, the
// -ESRCH reconnect path, timeouts, flush batching and status.
#include <sstream>

#include "ulog_test_support.hpp"

namespace dmemu::logs::test {
namespace {

using namespace std::chrono_literals;

class UserspaceLogTest : public UlogFixture {
protected:
    // Drives logs as the mirror target would; one op per string:
    //   ctr N [region]   resume N   pre N   post N   dtr N   gsc N   grw N   status N
    //   insync N r       mark N r   clear N r        flush N
    void script(const std::vector<std::string>& ops) {
        for (const auto& op : ops) {
            std::istringstream in(op);
            std::string verb, name;
            std::uint64_t arg = 0;
            in >> verb >> name >> arg;
            auto& log = logs_[name];
            if (verb == "ctr") {
                log = must_make(
                    {"LVM-testuuid", "clustered-core", arg ? std::to_string(arg) : "1024"});
                ASSERT_TRUE(log) << op;
            } else if (verb == "resume") {
                EXPECT_EQ(run(log->resume()), 0) << op;
            } else if (verb == "pre") {
                EXPECT_EQ(run(log->presuspend()), 0) << op;
            } else if (verb == "post") {
                EXPECT_EQ(run(log->postsuspend()), 0) << op;
            } else if (verb == "dtr") {
                destroy(log);
            } else if (verb == "gsc") {
                (void)run(log->get_sync_count());
            } else if (verb == "grw") {
                Region r = 0;
                (void)run(log->get_resync_work(&r));
            } else if (verb == "status") {
                (void)run(log->get_sync_count());
                (void)run(log->status(emu::StatusType::info));
            } else if (verb == "insync") {
                (void)run(log->in_sync(arg, true));
            } else if (verb == "mark") {
                log->mark_region(arg);
            } else if (verb == "clear") {
                log->clear_region(arg);
            } else if (verb == "flush") {
                EXPECT_EQ(run(log->flush()), 0) << op;
            } else {
                FAIL() << "bad op " << op;
            }
        }
    }
    // Runs a flush without letting virtual time reach a scheduled integrated flush.
    int run_flush_no_wait(DirtyLog& log) {
        std::optional<int> r;
        boost::asio::co_spawn(
            ctx_, [&]() -> boost::asio::awaitable<void> { r = co_await log.flush(); },
            boost::asio::detached);
        clock_.run_until_idle(std::chrono::seconds(1));
        return r.value_or(-1);
    }
    std::map<std::string, std::unique_ptr<DirtyLog>> logs_;
};

// create (ctr, kmirrord's GET_SYNC_COUNT, resume, first resync work), table, status, writes,
// a read, status, remove.
TEST_F(UserspaceLogTest, CreateStatusWriteRemoveMatchesOracle) {
    script({"ctr a",       "gsc a",       "resume a",  "grw a",   "status a",   "status a",
            "insync a 0",  "insync a 0",  "mark a 0",  "flush a", "clear a 0",  "flush a",
            "insync a 15", "insync a 15", "mark a 15", "flush a", "clear a 15", "flush a",
            "insync a 39", "status a",    "pre a",     "post a",  "dtr a"});
    EXPECT_EQ(seen(), oracle_sequence("a-create-core"));
}

// Two logs with one uuid: load L2 while L1 is live, suspend L1, resume L2 (RESUME before the
// old DTR), a swap to another uuid, and resume doing suspend and swap in one step.
TEST_F(UserspaceLogTest, SwapSameUuidMatchesOracle) {
    script({"ctr l1", "gsc l1", "resume l1", "grw l1", "status l1", "ctr l2", "gsc l2", "status l1",
            "pre l1", "post l1", "resume l2", "grw l2", "dtr l1", "status l2"});
    // L3 has another uuid.
    logs_["l3"] = must_make({"LVM-otheruuid", "clustered-core", "1024"});
    script({"gsc l3", "pre l2", "post l2", "resume l3", "grw l3", "dtr l2", "ctr l4", "gsc l4",
            "pre l3", "post l3", "resume l4", "grw l4", "dtr l3", "pre l4", "post l4", "dtr l4"});
    EXPECT_EQ(seen(), oracle_sequence("b-swap-same-uuid"));
    EXPECT_TRUE(engine().pending().empty());
    EXPECT_TRUE(engine().official().empty());
}

// load then clear; load over an inactive table (new CTR first, old DTR last); remove with an
// inactive table (its DTR first). The oracle server sent no GET_RESYNC_WORK after this RESUME.
TEST_F(UserspaceLogTest, LoadClearAndLoadOverInactiveMatchOracle) {
    script({"ctr l1", "gsc l1", "resume l1", "ctr l2", "gsc l2", "status l2", "dtr l2", "status l1",
            "ctr l3", "gsc l3", "ctr l4 2048", "gsc l4", "dtr l3", "dtr l4", "pre l1", "post l1",
            "dtr l1"});
    EXPECT_EQ(seen(), oracle_sequence("c-load-clear"));
}

TEST_F(UserspaceLogTest, SuspendResumeRemoveMatchesOracle) {
    script({"ctr l1",    "gsc l1",    "resume l1", "grw l1",  "pre l1",    "post l1", "status l1",
            "resume l1", "grw l1",    "pre l1",    "post l1", "resume l1", "grw l1",  "pre l1",
            "post l1",   "resume l1", "grw l1",    "pre l1",  "post l1",   "dtr l1",  "ctr l2",
            "gsc l2",    "resume l2", "grw l2",    "pre l2",  "post l2",   "dtr l2"});
    EXPECT_EQ(seen(), oracle_sequence("d-suspend-resume-remove"));
}

TEST_F(UserspaceLogTest, CtrStringHasLengthAndArgsWithoutNul) {
    std::vector<std::byte> seen_payload;
    auto log = must_make({"LVM-testuuid", "integrated_flush", "clustered-core", "1024", "nosync"});
    ASSERT_TRUE(log);
    EXPECT_EQ(log->get_region_size(), 1024u);
    EXPECT_EQ(run(log->status(emu::StatusType::table)),
              "userspace 5 LVM-testuuid integrated_flush clustered-core 1024 nosync ");
    destroy(log);
}

TEST_F(UserspaceLogTest, TableStatusHasTrailingSpace) {
    auto log = must_make({"LVM-testuuid", "clustered-core", "1024"});
    EXPECT_EQ(run(log->status(emu::StatusType::table)),
              "userspace 3 LVM-testuuid clustered-core 1024 ");
    // cmirrord routes STATUS_INFO through the cluster (local.c), and a log joins its CPG at RESUME.
    EXPECT_EQ(run(log->status(emu::StatusType::info)), "userspace 1 COM_FAILURE");
    run(log->resume());
    EXPECT_EQ(run(log->status(emu::StatusType::info)), "1 clustered-core");
    destroy(log);
}

TEST_F(UserspaceLogTest, RejectsTooFewArguments) {
    auto r = make_log({"uuid1", "clustered-core"});
    EXPECT_EQ(r.error, -EINVAL);
    EXPECT_EQ(kernel_lines(),
              std::vector<std::string>{
                  "device-mapper: dm-log-userspace: Too few arguments to userspace dirty log"});
    EXPECT_TRUE(engine().events().empty());
}

TEST_F(UserspaceLogTest, RejectsLongUuid) {
    auto r = make_log({std::string(129, 'u'), "clustered-core", "1024"});
    EXPECT_EQ(r.error, -EINVAL);
    EXPECT_EQ(kernel_lines(),
              std::vector<std::string>{"device-mapper: dm-log-userspace: UUID argument too long."});
}

TEST_F(UserspaceLogTest, ServerRefusingCtrFailsToCreateLog) {
    auto r = make_log({"uuid2", "clustered-bogus", "1024"});
    EXPECT_EQ(r.error, -EINVAL);
    EXPECT_EQ(kernel_lines(),
              std::vector<std::string>{
                  "device-mapper: dm-log-userspace: Userspace log server failed to create log"});
}

TEST_F(UserspaceLogTest, DiskLogDeviceFromCtrReplyIsOpened) {
    auto r = make_log({"uuid4", "clustered-disk", "253:2", "1024"});
    EXPECT_EQ(r.error, -ENODEV);  // FakeEnv has no devices
    EXPECT_EQ(env_.requested_devices, std::vector<std::string>{"253:2"});
    EXPECT_EQ(kernel_lines(),
              std::vector<std::string>{
                  "device-mapper: dm-log-userspace: Failed to register 253:2 with device-mapper"});
    // No DTR after a failed ctr: CTR and GET_REGION_SIZE only.
    EXPECT_EQ(seen(), (std::vector<std::string>{"CTR L1", "GET_REGION_SIZE L1"}));
}

TEST_F(UserspaceLogTest, InSyncWithoutBlockingSendsNothing) {
    auto log = must_make({"LVM-testuuid", "clustered-core", "1024"});
    engine().clear_events();
    EXPECT_EQ(run(log->in_sync(3, false)), -EWOULDBLOCK);
    EXPECT_TRUE(engine().events().empty());
    destroy(log);
}

TEST_F(UserspaceLogTest, ResyncWorkSkippedOnceInSync) {
    auto log = must_make({"LVM-testuuid", "clustered-core", "1024", "nosync"});
    run(log->resume());
    EXPECT_EQ(run(log->get_sync_count()), 64u);  // sets in_sync_hint = region_count
    engine().clear_events();
    Region r = 99;
    EXPECT_EQ(run(log->get_resync_work(&r)), 0);
    EXPECT_EQ(run(log->is_remote_recovering(5)), 0);
    EXPECT_TRUE(engine().events().empty());
    run(log->resume());  // resets the hint
    EXPECT_EQ(run(log->get_resync_work(&r)), 0);
    EXPECT_EQ(seen(), (std::vector<std::string>{"RESUME L1", "GET_RESYNC_WORK L1"}));
    destroy(log);
}

TEST_F(UserspaceLogTest, RemoteRecoveringIsRateLimitedAcrossLogs) {
    auto a = must_make({"uuid-a", "clustered-core", "1024"});
    auto b = must_make({"uuid-b", "clustered-core", "1024"});
    run(a->resume());
    run(b->resume());
    engine().clear_events();
    EXPECT_EQ(run(a->is_remote_recovering(3)), 1);  // asked: not in sync, region 3 pending
    EXPECT_EQ(run(b->is_remote_recovering(3)), 1);  // within 250 ms: no request
    EXPECT_EQ(engine().events().size(), 1u);
    clock_.advance(250ms);
    EXPECT_EQ(run(b->is_remote_recovering(3)), 1);
    EXPECT_EQ(engine().events().size(), 2u);
    destroy(a);
    destroy(b);
}

// Clears first, then marks in groups of 32 newest first, then one FLUSH.
TEST_F(UserspaceLogTest, FlushSendsClearsThenMarkGroupsOf32ThenFlush) {
    auto log = must_make({"LVM-testuuid", "clustered-core", "1024"});
    run(log->resume());
    engine().clear_events();
    for (Region r = 0; r < 40; ++r) log->mark_region(r);
    for (Region r = 50; r < 53; ++r) log->clear_region(r);
    EXPECT_EQ(run(log->flush()), 0);
    const auto& ev = engine().events();
    ASSERT_EQ(ev.size(), 4u);
    EXPECT_EQ(ev[0].type, transfer::UlogRequestType::clear_region);
    EXPECT_EQ(ev[0].regions, (std::vector<std::uint64_t>{52, 51, 50}));
    EXPECT_EQ(ev[1].type, transfer::UlogRequestType::mark_region);
    ASSERT_EQ(ev[1].regions.size(), 32u);
    EXPECT_EQ(ev[1].regions.front(), 39u);
    EXPECT_EQ(ev[1].regions.back(), 8u);
    EXPECT_EQ(ev[2].regions, (std::vector<std::uint64_t>{7, 6, 5, 4, 3, 2, 1, 0}));
    EXPECT_EQ(ev[3].type, transfer::UlogRequestType::flush);
    EXPECT_TRUE(ev[3].regions.empty());
    engine().clear_events();
    EXPECT_EQ(run(log->flush()), 0);
    EXPECT_TRUE(engine().events().empty()) << "nothing pending: no FLUSH";
    destroy(log);
}

TEST_F(UserspaceLogTest, FailedGroupIsResentOneByOne) {
    auto log = must_make({"LVM-testuuid", "clustered-core", "1024"});  // never resumed: no CPG
    engine().clear_events();
    for (Region r = 1; r <= 3; ++r) log->mark_region(r);
    EXPECT_EQ(run(log->flush()), -ENOENT);
    const auto& ev = engine().events();
    ASSERT_EQ(ev.size(), 2u);
    EXPECT_EQ(ev[0].regions, (std::vector<std::uint64_t>{3, 2, 1}));
    EXPECT_EQ(ev[1].regions, (std::vector<std::uint64_t>{1}));  // the taken list, reversed
    EXPECT_EQ(env_.events, 1);
    destroy(log);
}

TEST_F(UserspaceLogTest, IntegratedFlushCarriesMarksAndDelaysClearOnlyFlush) {
    auto log = must_make({"LVM-testuuid", "integrated_flush", "clustered-core", "1024"});
    run(log->resume());
    engine().clear_events();
    log->mark_region(4);
    log->mark_region(5);
    EXPECT_EQ(run(log->flush()), 0);
    ASSERT_EQ(engine().events().size(), 1u);
    EXPECT_EQ(engine().events()[0].type, transfer::UlogRequestType::flush);
    EXPECT_EQ(engine().events()[0].regions, (std::vector<std::uint64_t>{5, 4}));
    engine().clear_events();
    log->clear_region(4);
    const auto t0 = clock_.now();
    boost::asio::co_spawn(ctx_, log->flush(), boost::asio::detached);
    clock_.advance(1s);
    ASSERT_EQ(seen(), std::vector<std::string>{"CLEAR_REGION L1"});
    clock_.run_until_idle();
    EXPECT_EQ(seen(), (std::vector<std::string>{"CLEAR_REGION L1", "FLUSH L1"}));
    EXPECT_EQ(clock_.now() - t0, 3s);
    destroy(log);
}

TEST_F(UserspaceLogTest, PostsuspendRunsPendingIntegratedFlushFirst) {
    auto log = must_make({"LVM-testuuid", "integrated_flush", "clustered-core", "1024"});
    run(log->resume());
    log->clear_region(1);
    EXPECT_EQ(run_flush_no_wait(*log), 0);
    engine().clear_events();
    run(log->presuspend());
    run(log->postsuspend());
    EXPECT_EQ(seen(), (std::vector<std::string>{"PRESUSPEND L1", "FLUSH L1", "POSTSUSPEND L1"}));
    destroy(log);
}

TEST_F(UserspaceLogTest, StatusInfoFailureIsComFailure) {
    auto log = must_make({"LVM-testuuid", "clustered-core", "1024"});
    server_.restart();  // the new server knows no log
    EXPECT_EQ(run(log->status(emu::StatusType::info)), "userspace 1 COM_FAILURE");
    destroy(log);
}

}  // namespace
}  // namespace dmemu::logs::test
