// SPDX-License-Identifier: GPL-2.0-only
// TransportFaults: add, list, remove, clear and for=D; a fault fires only in its direction and
// for its request types; the same seed gives the same firings, another seed other ones.
#include "tests/transport_faults/transport_faults_fixture.hpp"

namespace dmemu::transfer::faults_test {
namespace {

TEST(TransportFaults, AddListRemoveClear) {
    World w;
    EXPECT_EQ(w.add("drop p=0.05 dir=to-server"), 1u);
    EXPECT_EQ(w.add("duplicate p=0.01"), 2u);
    EXPECT_EQ(w.add("cut"), 3u);
    const auto list = w.faults.list();
    ASSERT_EQ(list.size(), 3u);
    EXPECT_EQ(list[1].id, 2u);
    EXPECT_EQ(list[1].kind, "duplicate");
    EXPECT_EQ(list[1].spec, "duplicate p=0.01");
    EXPECT_EQ(list[1].fired, 0u);
    EXPECT_TRUE(w.faults.remove(2));
    EXPECT_FALSE(w.faults.remove(2));
    EXPECT_FALSE(w.faults.remove(99));
    ASSERT_EQ(w.faults.list().size(), 2u);
    EXPECT_EQ(w.faults.list()[1].kind, "cut");
    w.faults.clear();
    EXPECT_TRUE(w.faults.list().empty());
    EXPECT_FALSE(w.cuttable.is_cut());
    EXPECT_EQ(w.add("drop"), 4u);  // ids are never reused
}

TEST(TransportFaults, BadSpecInstallsNothingAndUsesNoId) {
    World w;
    std::string error;
    EXPECT_EQ(w.faults.add("drop p=2", &error), std::nullopt);
    EXPECT_EQ(error, "fault: drop: p '2' is not a probability in [0, 1]");
    EXPECT_TRUE(w.faults.list().empty());
    EXPECT_EQ(w.add("drop"), 1u);
}

TEST(TransportFaults, CutNeedsACuttableCarrier) {
    boost::asio::io_context ctx;
    emu::VirtualClock clock(ctx);
    InProcessLink link(ctx);
    TransportFaults faults("ulog", link.hooks(), clock, emu::Rng(1));
    std::string error;
    EXPECT_EQ(faults.add("cut", &error), std::nullopt);
    EXPECT_EQ(error, "fault: cut: this link has no CuttableCarrier to cut");
    EXPECT_TRUE(faults.add("drop", &error).has_value());
}

TEST(TransportFaults, FiredCountsWhatTheObserversSaw) {
    FaultedWorld w("duplicate dir=to-kernel");
    w.add("delay ms=1 dir=to-server p=0.5");
    for (int i = 0; i < 10; ++i) (void)w.region_size();
    const auto list = w.faults.list();
    std::map<TransportFaultId, std::uint64_t> seen;
    for (const auto& e : w.events) ++seen[e.fault];
    EXPECT_EQ(list[0].fired, 10u);
    EXPECT_EQ(seen[1], 10u);
    EXPECT_EQ(list[1].fired, seen[2]);
    EXPECT_GT(seen[2], 0u);
    EXPECT_LT(seen[2], 10u);
}

TEST(TransportFaults, ForRemovesTheFaultAndSaysSo) {
    FaultedWorld w("drop dir=to-server for=20s");
    EXPECT_EQ(w.region_size(), 1024u);
    EXPECT_EQ(w.now(), 30s);  // sends at 0 and 15 s dropped; the one at 30 s goes through
    EXPECT_EQ(w.kernel_lines(),
              (std::vector<std::string>{timed_out(6, w.seq), timed_out(6, w.seq + 1)}));
    EXPECT_EQ(w.trace.back(), "t=20.000000000 link=ulog fault=1 kind=drop removed after 20s");
    EXPECT_TRUE(w.faults.list().empty());
}

TEST(TransportFaults, RemovedBeforeItsTimeAForFaultSaysNothingMore) {
    World w;
    const auto id = w.add("drop for=20s");
    EXPECT_TRUE(w.faults.remove(id));
    w.clock.run_until_idle();
    EXPECT_TRUE(w.events.empty());
    EXPECT_EQ(w.clock.pending_timers(), 0u);
}

TEST(TransportFaults, FiresOnlyOnRepliesWhenDirToKernel) {
    FaultedWorld w("duplicate dir=to-kernel");
    EXPECT_EQ(w.region_size(), 1024u);
    EXPECT_EQ(w.consult(UlogRequestType::get_sync_count, {}, 8).error, 0);
    EXPECT_EQ(w.server_seqs(UlogRequestType::get_region_size), std::vector<std::uint32_t>{w.seq});
    ASSERT_EQ(w.events.size(), 2u);
    for (const auto& e : w.events) EXPECT_EQ(e.direction, Direction::to_kernel);
}

TEST(TransportFaults, FiresOnlyOnRequestsWhenDirToServer) {
    FaultedWorld w("duplicate dir=to-server");
    const auto replies = w.server.link().delivered(Direction::to_kernel);
    EXPECT_EQ(w.region_size(), 1024u);
    ASSERT_EQ(w.events.size(), 1u);
    EXPECT_EQ(w.events[0].direction, Direction::to_userspace);
    EXPECT_EQ(w.server.link().delivered(Direction::to_kernel) - replies,
              2u);  // 2 requests, 2 replies
}

TEST(TransportFaults, FiresOnlyForItsTypes) {
    FaultedWorld w("drop type=GET_SYNC_COUNT,STATUS_INFO times=1");
    EXPECT_EQ(w.region_size(), 1024u);
    EXPECT_EQ(w.consult(UlogRequestType::is_clean, encode_payload(Region{1}), 8).error, 0);
    EXPECT_EQ(w.now(), 0s);
    EXPECT_TRUE(w.events.empty());
    EXPECT_EQ(w.consult(UlogRequestType::get_sync_count, {}, 8).error, 0);
    EXPECT_EQ(w.now(), 15s);
    ASSERT_EQ(w.events.size(), 1u);
    EXPECT_EQ(w.events[0].type, UlogRequestType::get_sync_count);
}

TEST(TransportFaults, BareAckIsKnownByTheTypeOfItsRequest) {
    FaultedWorld w("drop dir=to-kernel type=CLEAR_REGION times=1");
    EXPECT_EQ(w.consult(UlogRequestType::mark_region, encode_payload(RegionList{{4}})).error, 0);
    EXPECT_TRUE(w.events.empty());
    const std::uint32_t seq = w.endpoint.next_seq();
    EXPECT_EQ(w.consult(UlogRequestType::clear_region, encode_payload(RegionList{{4}})).error, 0);
    EXPECT_EQ(w.kernel_lines(), std::vector<std::string>{timed_out(11, seq)});
    EXPECT_EQ(w.trace, std::vector<std::string>{
                           "t=0.000000000 link=ulog fault=1 kind=drop dir=to-kernel seq=" +
                           std::to_string(seq) + " type=CLEAR_REGION dropped"});
}

TEST(TransportFaults, FaultsSeeAMessageInTheOrderAdded) {
    FaultedWorld w("duplicate dir=to-server times=1");
    w.add("drop dir=to-server times=1");  // takes one of the two copies
    const std::uint32_t seq = w.endpoint.next_seq();
    EXPECT_EQ(w.region_size(), 1024u);
    EXPECT_EQ(w.now(), 0s);
    EXPECT_EQ(w.server_seqs(UlogRequestType::get_region_size), std::vector<std::uint32_t>{seq});
    EXPECT_EQ(w.event_whats(), (std::vector<std::string>{"duplicated", "dropped"}));
}

TEST(TransportFaults, AnObserverMayRemoveTheFaultThatFired) {
    World w;
    w.create_log();
    w.faults.subscribe([&](const TransportFaultEvent& e) { w.faults.remove(e.fault); });
    w.add("cut");
    w.add("drop dir=to-server for=1s");
    // Refused by the cut, which its observer then removes; at 1 s the drop expires and its
    // observer removes it before the expiry does.
    EXPECT_EQ(w.consult(UlogRequestType::get_region_size, {}, 8).error, -ESRCH);
    EXPECT_FALSE(w.cuttable.is_cut());
    EXPECT_TRUE(w.faults.list().empty());
    EXPECT_EQ(w.event_whats(),
              (std::vector<std::string>{"send failed with -ESRCH", "removed after 1s"}));
    EXPECT_EQ(w.region_size(), 1024u);
}

TEST(TransportFaults, GoneFaultsLeaveTheLinkForwarding) {
    boost::asio::io_context ctx;
    emu::VirtualClock clock(ctx);
    InProcessLink link(ctx);
    std::vector<test::Bytes> got;
    link.server_side().set_receiver([&](test::Bytes m) { got.push_back(std::move(m)); });
    {
        TransportFaults faults("ulog", link.hooks(), clock, emu::Rng(1));
        std::string error;
        ASSERT_TRUE(faults.add("drop", &error));
        EXPECT_EQ(link.kernel_side().send(test::bytes_of("lost")), 0);
    }
    EXPECT_EQ(link.kernel_side().send(test::bytes_of("kept")), 0);
    clock.run_until_idle();
    EXPECT_EQ(got, std::vector<test::Bytes>{test::bytes_of("kept")});
}

// A mixed plan over some traffic: the firings, the kernel's lines and the end time.
std::vector<std::string> run_mixed(std::uint64_t seed) {
    World w(seed);
    w.create_log();
    w.add("drop p=0.1");
    w.add("duplicate p=0.2");
    w.add("delay dist=uniform:1-20ms p=0.5");
    w.add("reorder p=0.2 hold=5ms");
    w.add("corrupt p=0.05 mode=truncate");
    for (int i = 0; i < 30; ++i) {
        if (i % 2 == 0)
            (void)w.consult(UlogRequestType::get_sync_count, {}, 8);
        else
            (void)w.consult(UlogRequestType::mark_region,
                            encode_payload(RegionList{{std::uint64_t(i)}}));
    }
    auto out = w.trace;
    for (const auto& line : w.kernel_lines()) out.push_back(line);
    out.push_back("end " + std::to_string(w.now().count()));
    return out;
}

TEST(TransportFaults, SameSeedSameFirings) {
    const auto a = run_mixed(42);
    EXPECT_GT(a.size(), 30u);
    EXPECT_EQ(a, run_mixed(42));
}

TEST(TransportFaults, DifferentSeedDifferentFirings) { EXPECT_NE(run_mixed(42), run_mixed(43)); }

}  // namespace
}  // namespace dmemu::transfer::faults_test
